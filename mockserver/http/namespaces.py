"""The namespace a request names: validated on every route, read strictly on admin calls.

`X-Dqe-Namespace` is the mock's own header (not DQE's), so an invalid value is refused on
every route, the DQE endpoints included, with a 400 JSON that names the rule
(domain.registry.NAMESPACE_RULE); so is `?namespace=` on admin calls, whose query string
is decoded as strict UTF-8 (yarl turns %FF into U+FFFD).
"""

from __future__ import annotations

import json

from aiohttp import web
from aiohttp.typedefs import Handler

from mockserver.domain.registry import NAMESPACE_RULE, valid_namespace
from mockserver.http.decode import DecodeError, query_pairs
from mockserver.http.keys import ADMIN_PREFIX, NAMESPACE_HEADER

_ADMIN_QUERY = web.RequestKey("admin_query", dict)


def bad_request(error: str, description: str) -> web.HTTPBadRequest:
    """A JSON 400: {"error": code, "error_description": sentence}."""
    body = json.dumps({"error": error, "error_description": description})
    return web.HTTPBadRequest(text=body, content_type="application/json")


def _refuse(where: str) -> web.HTTPBadRequest:
    return bad_request(
        "invalid_namespace",
        f"{where} must match {NAMESPACE_RULE} (a letter or digit, then up to 63 letters, "
        "digits, '.', '_', ':' or '-')",
    )


def admin_query(request: web.Request) -> dict[str, list[str]]:
    """An admin call's query parameters (strict UTF-8), each with its values in order."""
    if _ADMIN_QUERY not in request:
        try:
            pairs = query_pairs(request)
        except DecodeError as exc:
            raise bad_request("bad_request", str(exc)) from exc
        query: dict[str, list[str]] = {}
        for key, value in pairs:
            query.setdefault(key, []).append(value)
        request[_ADMIN_QUERY] = query
    found: dict[str, list[str]] = request[_ADMIN_QUERY]
    return found


@web.middleware
async def namespace_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """400 for an invalid X-Dqe-Namespace (any route) or admin ?namespace= (or a bad query)."""
    header = request.headers.get(NAMESPACE_HEADER)
    # Present means meant: a blank value (an unset $NS in a CI script) is refused, never read
    # as "no namespace", which would make a reset or a listing cover every namespace.
    if header is not None and not valid_namespace(header):
        raise _refuse(f"the {NAMESPACE_HEADER} header")
    if request.path.startswith(ADMIN_PREFIX):
        values = admin_query(request).get("namespace", [])
        if len(values) > 1:
            raise bad_request("bad_request", "namespace is given more than once")
        if values and not valid_namespace(values[0]):
            raise _refuse("?namespace=")
    return await handler(request)
