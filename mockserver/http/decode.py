"""Request decoding: the GET query or the POST body, as one flat mapping of strings.

Every way a body can fail to arrive or to decode ends here as a client error: DecodeError
(the endpoint answers 01, invalid_request or a JSON 400), 413 when it is larger than
--max-body (declared or decompressed), 408 when it does not arrive within --body-timeout.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.http_exceptions import (
    ContentEncodingError,
    ContentLengthError,
    HttpProcessingError,
    TransferEncodingError,
)

from mockserver.settings import DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY

log = logging.getLogger("dqe_mock.http")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
URLENCODED = "application/x-www-form-urlencoded"
MAX_FIELDS = 1000  # as aiohttp's client_max_fields


class DecodeError(ValueError):
    """The request's parameters cannot be read (bad encoding, bad JSON, unknown body type)."""


@dataclass(frozen=True)
class ReadLimits:
    """How much body a request may have (bytes, after decompression) and how long it may take."""

    max_body: int = DEFAULT_MAX_BODY
    body_timeout: float = DEFAULT_BODY_TIMEOUT


READ_LIMITS = web.AppKey("read_limits", ReadLimits)
# What a request's reading gave (remembered: the journal reads again after the handler).
_DECODED: web.RequestKey[dict[str, str] | Exception] = web.RequestKey("decoded")
_BODY: web.RequestKey[bytes | Exception] = web.RequestKey("body")
_T = TypeVar("_T")


async def decode(request: web.Request) -> dict[str, str]:
    """Query parameters, overlaid with the POST body's; the first value of a repeated key wins.

    Decoded once per request: a second call (the journal's) gets the same result or error.
    Raises DecodeError, or the 408/413 HTTPException of read_body.
    """
    if _DECODED not in request:
        try:
            params = _first_values(query_pairs(request))
            if request.method == "POST" and request.body_exists:
                params.update(await _body(request))
            request[_DECODED] = params
        except (DecodeError, web.HTTPException) as exc:
            request[_DECODED] = exc
    decoded = request[_DECODED]
    if isinstance(decoded, Exception):
        raise decoded
    return dict(decoded)


def query_pairs(request: web.Request) -> list[tuple[str, str]]:
    """The query string's pairs, percent-decoded as strict UTF-8 (DecodeError otherwise).

    yarl would decode an invalid sequence such as %F6 to U+FFFD; the raw query is parsed here
    so that such a value is refused, not silently changed.
    """
    return _pairs(request.rel_url.raw_query_string, "utf-8", "the query string")


async def read_body(request: web.Request) -> bytes:
    """The body, decompressed, at most max_body bytes, received within body_timeout seconds.

    Raises the 413 (declared or actual size over the limit), the 408 (too slow), or
    DecodeError (the body cannot be read: bad compression or chunking, the client left).
    A failure is remembered: reading again raises it again at once.
    """
    if _BODY not in request:
        try:
            request[_BODY] = await _guarded(request, request.read)
        except (DecodeError, web.HTTPException) as exc:
            request[_BODY] = exc
    body = request[_BODY]
    if isinstance(body, Exception):
        raise body
    return body


async def read_form(request: web.Request) -> dict[str, str]:
    """The text fields of a form body; DecodeError for anything unreadable.

    A urlencoded body is decoded with the charset of its Content-Type (UTF-8 when none is
    given), strictly: a byte or a percent-encoded sequence that is not valid in that charset is
    an error, never a replacement character.
    """
    if request.content_type == URLENCODED:
        raw = await read_body(request)
        charset = request.charset or "utf-8"
        try:
            text = raw.decode(charset)
        except UnicodeDecodeError as exc:
            raise DecodeError(f"the form body is not valid {charset}: {exc.reason}") from exc
        except LookupError as exc:
            raise DecodeError(f"the form body's charset {charset!r} is unknown") from exc
        return _first_values(_pairs(text, charset, "the form body"))
    try:
        form = await _guarded(request, request.post)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"the form body is not UTF-8: {exc.reason}") from exc
    except LookupError as exc:
        raise DecodeError(f"the form body's charset is unknown: {exc}") from exc
    except (ValueError, AssertionError) as exc:
        # aiohttp's multipart reader raises an AssertionError on broken boundaries.
        raise DecodeError(f"the form body cannot be parsed: {exc}") from exc
    return _first_values((k, v) for k, v in form.items() if isinstance(v, str))


def too_large(limit: int, what: str = "request body") -> web.HTTPRequestEntityTooLarge:
    """The 413 with a JSON body that says what the limit is; the connection is closed."""
    message = f"{what} over the limit of {limit} bytes (see --max-body)"
    body = json.dumps({"error": "request_too_large", "error_description": message})
    exc = web.HTTPRequestEntityTooLarge(
        max_size=limit, actual_size=limit + 1, text=body, content_type="application/json"
    )
    exc.force_close()
    return exc


def too_slow(timeout: float) -> web.HTTPRequestTimeout:
    """The 408 with a JSON body; the connection is closed."""
    message = f"the request body did not arrive within {timeout:g} s (see --body-timeout)"
    body = json.dumps({"error": "request_timeout", "error_description": message})
    exc = web.HTTPRequestTimeout(text=body, content_type="application/json")
    exc.force_close()
    return exc


def read_error_text(exc: BaseException) -> str:
    """Why a body could not be read, in words that never quote the client's bytes."""
    causes = [exc, exc.__cause__, exc.__context__]
    for cause in causes:
        if isinstance(cause, ContentEncodingError):
            return "the body does not decode as its Content-Encoding says"
        if isinstance(cause, TransferEncodingError):
            return "the chunked body is malformed"
        if isinstance(cause, ContentLengthError):
            return "the body is shorter than its Content-Length"
    if isinstance(exc, ConnectionError | EOFError):
        return "the client closed the connection before the whole body arrived"
    return f"the body cannot be read ({type(exc).__name__})"


READ_ERRORS = (web.RequestPayloadError, HttpProcessingError, ConnectionError, EOFError)


async def _guarded(request: web.Request, read: Callable[[], Awaitable[_T]]) -> _T:
    """read(), bounded by the app's ReadLimits; every failure a client error."""
    limits = request.app.get(READ_LIMITS) or ReadLimits()
    declared = request.content_length
    if declared is not None and declared > limits.max_body:
        raise too_large(limits.max_body)
    try:
        async with asyncio.timeout(limits.body_timeout):
            return await read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise too_large(limits.max_body) from exc
    except TimeoutError as exc:
        raise too_slow(limits.body_timeout) from exc
    except READ_ERRORS as exc:
        raise DecodeError(read_error_text(exc)) from exc


async def _body(request: web.Request) -> dict[str, str]:
    ctype = request.content_type
    if ctype in FORM_TYPES:
        return await read_form(request)
    raw = await read_body(request)
    if ctype == "application/json":
        # Not documented, but some clients send JSON: accept an object of scalars.
        try:
            data = json.loads(raw.decode(request.charset or "utf-8"))
        except (ValueError, UnicodeDecodeError, LookupError, RecursionError) as exc:
            raise DecodeError(f"the JSON body does not parse: {exc}") from exc
        if not isinstance(data, dict):
            raise DecodeError("the JSON body is not an object")
        try:
            return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
        except RecursionError as exc:
            raise DecodeError("the JSON body is nested too deeply") from exc
    if not raw.strip():
        return {}
    raise DecodeError(f"unsupported Content-Type {ctype!r}: send application/x-www-form-urlencoded")


def _pairs(text: str, charset: str, where: str) -> list[tuple[str, str]]:
    """parse_qsl, strict: an invalid percent-encoded sequence is a DecodeError."""
    try:
        return parse_qsl(
            text,
            keep_blank_values=True,
            encoding=charset,
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError as exc:
        raise DecodeError(
            f"{where} has percent-encoded bytes that are not valid {charset} ({exc.reason}): "
            "send UTF-8, or name the charset in Content-Type (e.g. charset=ISO-8859-1)"
        ) from exc
    except LookupError as exc:
        raise DecodeError(f"{where}: unknown charset {charset!r}") from exc
    except ValueError as exc:
        raise DecodeError(f"{where} has more than {MAX_FIELDS} fields") from exc


def _first_values(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in items:
        if key in params:
            log.info("repeated parameter %r: the first value is used", key)
            continue
        params[key] = value
    return params
