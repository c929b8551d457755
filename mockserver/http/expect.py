"""The `Expect` request header (RFC 9110 §10.1.1), answered before any body is sent.

aiohttp answers an `Expect` it does not know with a text 417 that repeats the header's value
(a token or markup pasted there comes back), and `100-continue` with "100 Continue" even when
the body it invites is over the limit. Here:

- an expectation other than `100-continue` is a JSON 417 that quotes nothing (GuardedServer,
  for every request, routed or not);
- `100-continue` with a `Content-Length` over the route's limit is the JSON 413 at once,
  without inviting the body; otherwise "100 Continue" (HTTP/1.1 only), as aiohttp does.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.http import HttpVersion11

from mockserver.http.body import limits_of, too_large
from mockserver.http.keys import ADMIN_PREFIX, SETTINGS

CONTINUE = "100-continue"
DOCUMENT_ROUTES = frozenset({f"{ADMIN_PREFIX}/scenarios"})  # bodies bounded by --max-scenario-bytes


def expectation_failed() -> web.Response:
    """The 417 for an expectation the mock does not meet; the connection is closed."""
    body = {
        "error": "expectation_failed",
        "error_description": "the only expectation the mock meets is Expect: 100-continue",
    }
    response = web.json_response(body, status=417)
    response.force_close()
    return response


def unmet_expectation(request: web.BaseRequest) -> bool:
    """Does the request carry an Expect header other than 100-continue?"""
    value = request.headers.get("Expect")
    return value is not None and value.strip().lower() != CONTINUE


async def expect_handler(request: web.Request) -> web.StreamResponse | None:
    """Route expect_handler: 417, or 413 from Content-Length alone, or 100 Continue."""
    if unmet_expectation(request):
        return expectation_failed()
    if request.path in DOCUMENT_ROUTES and SETTINGS in request.app:
        limit, option = request.app[SETTINGS].max_document_bytes, "--max-scenario-bytes"
    else:
        limit, option = limits_of(request).max_body, "--max-body"
    if (request.content_length or 0) > limit:
        exc = too_large(limit, option=option)
        response = web.Response(
            status=413, text=exc.text, content_type="application/json", headers=None
        )
        response.force_close()
        return response
    if request.version == HttpVersion11:
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    return None


def with_expect_handler(routes: list[web.RouteDef]) -> list[web.RouteDef]:
    """The same routes, each with expect_handler (aiohttp calls it before any middleware)."""
    return [
        web.RouteDef(r.method, r.path, r.handler, {**r.kwargs, "expect_handler": expect_handler})
        for r in routes
    ]
