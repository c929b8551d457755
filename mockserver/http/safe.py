"""HEAD changes nothing (RFC 9110, 9.2.1): it never reaches a handler that acts.

aiohttp answers HEAD on every GET route by running the GET handler and dropping the body; on
the documented endpoints that would issue a token, start a session or use up a pending poll.
So HEAD on /ACCESS_TOKEN/, /IDMOBILE/ and /GET/ answers 200 with the JSON content type and no
body, without calling the domain. Elsewhere GET is a read (the consent page, the admin API),
and HEAD runs the route's own handler, past the journal and fault middlewares: a HEAD is
never journaled and never counts towards a fault's `first: N`.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from mockserver.http.keys import ENDPOINTS, endpoint_of

DQE_ENDPOINTS = frozenset(ENDPOINTS.values())


@web.middleware
async def safe_head(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer HEAD without acting (see the module's docstring); other methods pass through."""
    if request.method != "HEAD":
        return await handler(request)
    if endpoint_of(request) in DQE_ENDPOINTS:
        return web.Response(status=200, content_type="application/json")
    # The route's own handler (a read), or the 404/405 of an unknown path or method.
    return await request.match_info.handler(request)
