"""Reading a request body: bounded in size and time, decompressed here, every failure a client's.

aiohttp's own decompression is off (handler_args in connection.py): a body that does not
decode would otherwise fail inside the HTTP parser, where the request is lost (no journal
entry, a bare 400) or, truncated, silently decode to nothing. Here a body is read once:

- larger than max_body (declared in Content-Length, received, or once decompressed): 413;
- not received within body_timeout seconds of the headers: 408;
- unreadable (bad compression or chunking, an unknown Content-Encoding, the client left):
  BodyError, which each endpoint answers as its decode error (01, invalid_request, a 400).

The 408 and 413 close the connection.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from aiohttp import web
from aiohttp.http_exceptions import ContentLengthError, HttpProcessingError, TransferEncodingError

from mockserver.settings import DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY

GZIP, DEFLATE, IDENTITY = ("gzip", "x-gzip"), "deflate", "identity"
_T = TypeVar("_T")


class BodyError(ValueError):
    """The body cannot be read or decoded; the message never quotes the client's bytes."""


@dataclass(frozen=True)
class ReadLimits:
    """Largest body in bytes (after decompression); seconds to receive it after the headers."""

    max_body: int = DEFAULT_MAX_BODY
    body_timeout: float = DEFAULT_BODY_TIMEOUT


READ_LIMITS = web.AppKey("read_limits", ReadLimits)
# A body is read once; a failure is remembered (the journal reads again after the handler).
_BODY: web.RequestKey[bytes | Exception] = web.RequestKey("body")


def limits_of(request: web.Request) -> ReadLimits:
    """The app's ReadLimits (the defaults when the app sets none)."""
    return request.app.get(READ_LIMITS) or ReadLimits()


async def read_body(request: web.Request, limit: int | None = None, option: str = "") -> bytes:
    """The body, decoded from its Content-Encoding (gzip, deflate, identity).

    `limit` (bytes, after decompression) defaults to --max-body; a route that takes larger
    bodies (scenario documents) passes its own, and `option` names the option that sets it.
    Raises the 413 or 408 HTTPException (JSON body, connection closed) or BodyError.
    """
    cap = limit if limit is not None else limits_of(request).max_body
    name = option or "--max-body"

    async def read() -> bytes:
        raw = await bounded(request, lambda: _read_at_most(request, cap, name), cap, name)
        return decompress(raw, request.headers.get("Content-Encoding", ""), request, cap, name)

    return await once(request, _BODY, read)


async def once(
    request: web.Request, key: web.RequestKey[_T | Exception], compute: Callable[[], Awaitable[_T]]
) -> _T:
    """compute() the first time a request asks, its value (or its failure) after that.

    A body is read once, and the journal reads the parameters again after the handler: the
    second caller gets the same answer, or the same ValueError or HTTPException, at once.
    """
    # Not `key in request`: a request's Mapping.__contains__ raises and catches a KeyError for
    # an absent key; request.get() is no better.
    try:
        value = request[key]
    except KeyError:
        try:
            value = await compute()
        except (ValueError, web.HTTPException) as exc:
            value = exc
        request[key] = value
    if isinstance(value, Exception):
        raise value
    return value


async def _read_at_most(request: web.Request, limit: int, option: str) -> bytes:
    """The raw body, read in chunks and refused (413) as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_large(limit, option=option)
        chunks.append(chunk)
    return b"".join(chunks)


async def bounded(
    request: web.Request,
    read: Callable[[], Awaitable[_T]],
    limit: int | None = None,
    option: str = "--max-body",
) -> _T:
    """read(), bounded by the app's ReadLimits (or `limit` bytes); 413, 408 or BodyError."""
    limits = limits_of(request)
    cap = limits.max_body if limit is None else limit
    declared = request.content_length
    if declared is not None and declared > cap:
        raise too_large(cap, option=option)
    try:
        async with asyncio.timeout(limits.body_timeout):
            return await read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise too_large(cap, option=option) from exc
    except TimeoutError as exc:
        raise too_slow(limits.body_timeout) from exc
    except (web.RequestPayloadError, HttpProcessingError, ConnectionError, EOFError) as exc:
        raise BodyError(read_error_text(exc)) from exc


def decompress(
    raw: bytes,
    content_encoding: str,
    request: web.Request,
    limit: int | None = None,
    option: str = "--max-body",
) -> bytes:
    """raw decoded from each coding of Content-Encoding, last applied first; at most `limit`
    bytes (--max-body by default)."""
    limit = limits_of(request).max_body if limit is None else limit
    if not raw:
        return raw
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == IDENTITY:
            continue
        if coding in GZIP:
            raw = _inflate(raw, 16 + zlib.MAX_WBITS, limit, coding, option)
        elif coding == DEFLATE:
            # RFC 9110 says zlib format; some clients send raw deflate, as aiohttp accepts.
            try:
                raw = _inflate(raw, zlib.MAX_WBITS, limit, coding, option)
            except BodyError:
                raw = _inflate(raw, -zlib.MAX_WBITS, limit, coding, option)
        else:
            raise BodyError(f"Content-Encoding {coding!r} is not supported (gzip, deflate)")
    return raw


def _inflate(data: bytes, wbits: int, limit: int, coding: str, option: str) -> bytes:
    """One compressed stream (gzip members may follow each other), at most limit bytes out."""
    out = bytearray()
    while True:
        stream = zlib.decompressobj(wbits)
        try:
            out += stream.decompress(data, limit + 1 - len(out))
        except zlib.error as exc:
            raise BodyError(f"the body is not valid {coding} data") from exc
        if len(out) > limit:
            raise too_large(limit, "decompressed request body", option)
        if not stream.eof:
            raise BodyError(f"the {coding} body is truncated")
        data = stream.unused_data
        if not data or wbits != 16 + zlib.MAX_WBITS:
            break
    if data:
        raise BodyError(f"data follows the end of the {coding} stream")
    return bytes(out)


def too_large(
    limit: int, what: str = "request body", option: str = "--max-body"
) -> web.HTTPRequestEntityTooLarge:
    """The 413 with a JSON body that says what the limit is; the connection is closed."""
    message = f"{what} over the limit of {limit} bytes (see {option})"
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
    """Why a body could not be received, in words that never quote the client's bytes."""
    if isinstance(exc, web.RequestPayloadError) and not exc.__cause__:
        return "the body is malformed (bad chunked encoding)"
    for cause in (exc, exc.__cause__, exc.__context__):
        if isinstance(cause, TransferEncodingError):
            return "the chunked body is malformed"
        if isinstance(cause, ContentLengthError):
            return "the body is shorter than its Content-Length"
    if isinstance(exc, ConnectionError | EOFError):
        return "the client closed the connection before the whole body arrived"
    return f"the body cannot be read ({type(exc).__name__})"
