"""The whole HTTP surface, in one list."""

from __future__ import annotations

from aiohttp import web

from mockserver.http import dqe, operator

# Each documented endpoint answers GET (query) and POST (form body), with or without the
# trailing slash the docs show (clients drop it often enough; a redirect would lose a POST).
DQE_ENDPOINTS = {
    "/ACCESS_TOKEN/": dqe.access_token,
    "/IDMOBILE/": dqe.idmobile,
    "/GET/": dqe.get_result,
}
CONSENT = "/operator/{operator}/consent/{session_id}"

ROUTES = [
    *(
        route(path, handler)
        for documented, handler in DQE_ENDPOINTS.items()
        for path in (documented, documented.rstrip("/"))
        for route in (web.get, web.post)
    ),
    web.get(CONSENT, operator.consent_page),
    web.post(CONSENT, operator.consent),
]
