"""Request decoding: the GET query or the POST body, as one flat mapping of strings.

Text is decoded strictly: the query string as UTF-8, a urlencoded body in the charset its
Content-Type names (UTF-8 when it names none). A byte, or a percent-encoded sequence, that is
not valid there is a DecodeError, never a replacement character. Bodies are read by
body.read_body (size, time, compression).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web

from mockserver.contract import strictjson
from mockserver.http.body import BodyError, bounded, limits_of, once, read_body, too_large
from mockserver.http.charsets import DEFAULT_CHARSET, CharsetError, codec_of, decode_text

log = logging.getLogger("dqe_mock.http")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
URLENCODED, MULTIPART = FORM_TYPES
MAX_FIELDS = 1000  # as aiohttp's client_max_fields

Pairs = list[tuple[str, str]]
# Decoded once per request; a failure is remembered (the journal decodes after the handler).
_PARAMS: web.RequestKey[dict[str, str] | Exception] = web.RequestKey("params")
_FORM: web.RequestKey[Pairs | Exception] = web.RequestKey("form")
# The member names a JSON body repeats (the first value is used, as for a form).
_JSON_REPEATS: web.RequestKey[tuple[str, ...]] = web.RequestKey("json_repeats")


def json_repeats(request: web.Request) -> tuple[str, ...]:
    """The member names the request's JSON body repeated; () for any other request."""
    repeats: tuple[str, ...] = request.get(_JSON_REPEATS, ())
    return repeats


class DecodeError(ValueError):
    """The request's parameters cannot be read (bad encoding, bad JSON, unknown body type)."""


async def decode(request: web.Request) -> dict[str, str]:
    """Query parameters, overlaid with the POST body's; the first value of a repeated key wins.

    Raises DecodeError, or the 408/413 HTTPException of body.read_body.
    """

    async def params() -> dict[str, str]:
        found = _first_values(query_pairs(request))
        if request.method == "POST" and request.body_exists:
            found.update(await _body(request))
        return found

    found: dict[str, str] = await once(request, _PARAMS, params)
    return dict(found)


def query_pairs(request: web.Request) -> Pairs:
    """The query string's pairs, percent-decoded as strict UTF-8 (DecodeError otherwise).

    yarl decodes an invalid sequence such as %F6 to U+FFFD; the raw query is parsed here.
    """
    return _pairs(request.rel_url.raw_query_string, "utf-8", "the query string")


async def form_pairs(request: web.Request) -> Pairs:
    """Every text field of a form body, in order, repeats included; DecodeError if unreadable."""
    pairs: Pairs = await once(request, _FORM, lambda: _read_form(request))
    return list(pairs)


async def _read_form(request: web.Request) -> Pairs:
    if request.content_type == URLENCODED:
        raw = await _read(request)
        try:
            charset = codec_of(request.charset)
            text = decode_text(raw, charset, "the form body")
        except CharsetError as exc:
            raise DecodeError(str(exc)) from exc
        return _pairs(text, charset, "the form body")
    if request.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
        raise DecodeError("a multipart body cannot be compressed (no Content-Encoding)")
    try:
        codec_of(request.charset)
        return await bounded(request, lambda: _multipart_fields(request))
    except (BodyError, CharsetError) as exc:
        raise DecodeError(str(exc)) from exc
    except (ValueError, AssertionError) as exc:
        # aiohttp's multipart reader raises an AssertionError on broken boundaries.
        raise DecodeError(f"the form body cannot be parsed: {exc}") from exc


async def _multipart_fields(request: web.Request) -> Pairs:
    """The text fields of a multipart body, each decoded strictly in its own charset.

    File fields are skipped. Read here rather than by request.post(), which decodes a part in
    whatever codec its charset names (punycode, unicode_escape...) without a word.
    """
    limit = limits_of(request).max_body
    reader = await request.multipart()
    pairs: Pairs = []
    size = 0
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise DecodeError("a nested multipart body is not a form field")
        if part.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
            raise DecodeError("a form field cannot be compressed (no Content-Encoding)")
        chunks = []
        while chunk := await part.read_chunk():
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            chunks.append(chunk)
        data = part.decode(b"".join(chunks))  # Content-Transfer-Encoding (base64...)
        if len(pairs) >= MAX_FIELDS:
            raise DecodeError(f"the form body has more than {MAX_FIELDS} fields")
        if part.filename is None and part.name is not None:
            charset = part.get_charset(default=DEFAULT_CHARSET)
            pairs.append((part.name, decode_text(data, charset, f"the field {part.name!r}")))
    return pairs


async def _read(request: web.Request) -> bytes:
    try:
        return await read_body(request)
    except BodyError as exc:
        raise DecodeError(str(exc)) from exc


async def _body(request: web.Request) -> dict[str, str]:
    ctype = request.content_type
    if ctype in FORM_TYPES:
        return _first_values(await form_pairs(request))
    raw = await _read(request)
    if ctype == "application/json":
        # Not documented, but some clients send JSON: accept an object of scalars.
        try:
            data, repeats = strictjson.loads_with_repeats(
                decode_text(raw, request.charset, "the JSON body")
            )
        except CharsetError as exc:
            raise DecodeError(str(exc)) from exc
        except (ValueError, RecursionError) as exc:
            raise DecodeError(f"the JSON body does not parse: {exc}") from exc
        if not isinstance(data, dict):
            raise DecodeError("the JSON body is not an object")
        request[_JSON_REPEATS] = repeats
        return _json_params(data)
    if not raw.strip():
        return {}
    raise DecodeError(f"unsupported Content-Type {ctype!r}: send application/x-www-form-urlencoded")


def _json_params(data: dict[str, Any]) -> dict[str, str]:
    """A JSON body's members as the text parameters a form would carry.

    Strings as they are; numbers and booleans as their JSON text; null as an absent
    parameter; user_infos, whatever its JSON value, as its JSON text (the endpoint judges
    it: 06 when it is not an object). An array or object anywhere else, or a lone surrogate
    escape (not text: it cannot be written as UTF-8), is a DecodeError.
    """
    params: dict[str, str] = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, str):
            params[key] = value
        elif isinstance(value, bool | int | float) or key == "user_infos":
            try:
                params[key] = json.dumps(value, ensure_ascii=False)
            except RecursionError as exc:
                raise DecodeError("the JSON body is nested too deeply") from exc
        else:
            kind = "an array" if isinstance(value, list) else "an object"
            raise DecodeError(f"the JSON body's {key!r} is {kind}: send text")
    try:
        "".join(f"{k}{v}" for k, v in params.items()).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DecodeError(
            "the JSON body has a lone surrogate escape (\\ud800 to \\udfff not in a pair), "
            "which is not text"
        ) from exc
    return params


# Parsing a query string or form body is pure in (text, charset); a client sends the same
# parameters again (a poll, a retry, a load test): short texts are memoised, bounded
# (PARSE_CACHE_SIZE texts of at most PARSE_CACHE_CHARS characters, a few MiB at worst).
PARSE_CACHE_SIZE = 64
PARSE_CACHE_CHARS = 4096


def _pairs(text: str, charset: str, where: str) -> Pairs:
    """parse_qsl, strict: a percent-encoded sequence invalid in charset is a DecodeError."""
    try:
        if len(text) <= PARSE_CACHE_CHARS:
            return list(_parsed(text, charset))
        return _parse(text, charset)
    except UnicodeError as exc:
        reason = getattr(exc, "reason", "invalid bytes")
        raise DecodeError(
            f"{where} has percent-encoded bytes that are not valid {charset} ({reason}): "
            "send UTF-8, or name the charset in Content-Type (e.g. charset=ISO-8859-1)"
        ) from exc
    except LookupError as exc:
        raise DecodeError(f"{where}: unknown charset {charset!r}") from exc
    except ValueError as exc:
        raise DecodeError(f"{where} has more than {MAX_FIELDS} fields") from exc


@lru_cache(maxsize=PARSE_CACHE_SIZE)
def _parsed(text: str, charset: str) -> tuple[tuple[str, str], ...]:
    return tuple(_parse(text, charset))


def _parse(text: str, charset: str) -> Pairs:
    return parse_qsl(
        text,
        keep_blank_values=True,
        encoding=charset,
        errors="strict",
        max_num_fields=MAX_FIELDS,
    )


def _first_values(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in items:
        if key in params:
            log.info("repeated parameter %r: the first value is used", key)
            continue
        params[key] = value
    return params
