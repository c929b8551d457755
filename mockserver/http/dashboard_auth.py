"""How a browser holds the admin token for the dashboard (/__admin/ui).

A browser cannot send `Authorization: Bearer` when it navigates to a page, so the dashboard
is opened once as `/__admin/ui?token=<admin token>`: the guard checks that token like a Bearer
header, and the page answers 303 to `/__admin/ui` (the token leaves the address bar, the
history and any Referer) setting the cookie COOKIE. The cookie does not hold the token: its
value is HMAC-SHA256(token, COOKIE_LABEL), so reading it never gives the token away; it is
HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it), Path=/__admin,
Secure over https, and lasts as long as the browser session.

The cookie admits only GET and HEAD under /__admin/ (what the dashboard reads: the page, the
journal, the sessions, the report, a session's export): every call that changes the mock
still needs the Bearer header, so a page of another port on the same host (same site, so the
cookie goes along) can make the browser read but never reset or rewrite the mock, and it
cannot read the answers either (no CORS).

The token is never written into the page, and the access log writes route patterns, never
query strings (http/connection.AccessLog).
"""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

from mockserver.http.keys import ADMIN_PREFIX

COOKIE = "dqe_mock_admin"
COOKIE_LABEL = b"dqe-mock dashboard cookie v1"
DASHBOARD_PATH = f"{ADMIN_PREFIX}/ui"
TOKEN_PARAM = "token"
READ_METHODS = frozenset({"GET", "HEAD"})


def cookie_value(admin_token: str) -> str:
    """The cookie's value for `admin_token`: 64 hex digits, HMAC-SHA256 of COOKIE_LABEL."""
    return hmac.new(admin_token.encode(), COOKIE_LABEL, hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def browser_credential(request: web.Request, admin_token: str, query_token: str | None) -> bool:
    """Is this admin read allowed without a Bearer header? Yes for GET/HEAD carrying the
    dashboard cookie, and for the dashboard page itself given `?token=` (`query_token`, the
    strictly decoded value, None when absent) equal to the admin token."""
    if request.method not in READ_METHODS:
        return False
    if query_token is not None and request.path == DASHBOARD_PATH:
        return _same(query_token, admin_token)
    cookie = request.cookies.get(COOKIE)
    return cookie is not None and _same(cookie, cookie_value(admin_token))


def set_cookie(response: web.StreamResponse, request: web.Request, admin_token: str) -> None:
    """Give the browser the dashboard cookie (see the module's docstring for its flags)."""
    response.set_cookie(
        COOKIE,
        cookie_value(admin_token),
        path=ADMIN_PREFIX,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
