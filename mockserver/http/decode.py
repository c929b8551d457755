"""Request decoding: the GET query or the POST body, as one flat mapping of strings."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

log = logging.getLogger("dqe_mock.http")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class DecodeError(ValueError):
    """The request's parameters cannot be read (bad encoding, bad JSON, unknown body type)."""


async def decode(request: web.Request) -> dict[str, str]:
    """Query parameters, overlaid with the POST body's; the first value of a repeated key wins."""
    params = _first_values(request.query.items())
    if request.method == "POST" and request.body_exists:
        params.update(await _body(request))
    return params


async def read_form(request: web.Request) -> dict[str, str]:
    """The text fields of a form body; DecodeError for anything unreadable."""
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge as exc:
        raise too_large(exc) from exc
    except UnicodeDecodeError as exc:
        raise DecodeError(f"the form body is not UTF-8: {exc.reason}") from exc
    except LookupError as exc:
        raise DecodeError(f"the form body's charset is unknown: {exc}") from exc
    except (ValueError, HttpProcessingError, AssertionError) as exc:
        # aiohttp's multipart reader raises InvalidHeader (HttpProcessingError) or an
        # AssertionError on broken boundaries.
        raise DecodeError(f"the form body cannot be parsed: {exc}") from exc
    return _first_values((k, v) for k, v in form.items() if isinstance(v, str))


def too_large(exc: web.HTTPRequestEntityTooLarge) -> web.HTTPRequestEntityTooLarge:
    """The 413 with a JSON body that says what the limit is."""
    message = f"request body too large: {exc.text or 'over the limit'} (see --max-body)"
    body = json.dumps({"error": "request_too_large", "error_description": message})
    return web.HTTPRequestEntityTooLarge(
        max_size=0, actual_size=0, text=body, content_type="application/json"
    )


async def _body(request: web.Request) -> dict[str, str]:
    ctype = request.content_type
    if ctype in FORM_TYPES:
        return await read_form(request)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise too_large(exc) from exc
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


def _first_values(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in items:
        if key in params:
            log.info("repeated parameter %r: the first value is used", key)
            continue
        params[key] = value
    return params
