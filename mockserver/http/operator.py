"""The operator's consent step: the url /IDMOBILE/ returns, and the redirect back."""

from __future__ import annotations

import json
import re

from aiohttp import web

from mockserver.contract.decisions import consent_decisions
from mockserver.domain.consent import ConsentStep
from mockserver.domain.sessions import Session
from mockserver.domain.urls import origin_of_host
from mockserver.http import pages
from mockserver.http.decode import DecodeError, decode
from mockserver.http.keys import SERVICE, SETTINGS, STORE, prefetched, touch_of, transition

# The pages run no script and load nothing; they may not be framed; the session id in the url
# is not sent on to the partner as a Referer.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def operator_slug(name: str) -> str:
    """'Bouygues Telecom' -> 'bouygues-telecom'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "operator"


def public_base(request: web.Request) -> str:
    """The mock's base URL as its clients reach it, without a trailing slash: --public-url,
    else the request's Host header when valid (else the socket's address)."""
    return (request.app[SETTINGS].public_url or _origin(request)).rstrip("/")


def consent_url(request: web.Request, session: Session) -> str:
    """Absolute url of the session's consent step, from --public-url or the request's Host."""
    base = public_base(request)
    return f"{base}/operator/{operator_slug(session.operator)}/consent/{session.id}"


def _origin(request: web.Request) -> str:
    """scheme://host:port the client reached: its Host header when that is a valid RFC 3986
    host[:port], else the address of the socket it connected to."""
    origin = origin_of_host(request.scheme, request.headers.get("Host", ""))
    if origin is not None:
        return origin
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        host = f"[{sockname[0]}]" if ":" in str(sockname[0]) else str(sockname[0])
        return f"{request.scheme}://{host}:{sockname[1]}"
    return f"{request.scheme}://127.0.0.1"


async def consent_page(request: web.Request) -> web.StreamResponse:
    """GET: the operator's consent page. Safe: looking at it changes nothing."""
    session_id = request.match_info["session_id"]
    if prefetched(request) is None:  # else the faults middleware read the session already
        await request.app[STORE].prepare(touch_of(request, "consent", {}))
    return _render(request, request.app[SERVICE].consent_view(session_id))


async def consent(request: web.Request) -> web.StreamResponse:
    """POST: answer the consent step (decision, otp); with no fields, as the scenario says."""
    try:
        values = await decode(request)
    except DecodeError as exc:
        raise _bad_request(str(exc)) from exc
    decision = values.get("decision") or None
    if decision is not None and decision not in consent_decisions():
        raise _bad_request(f"decision must be one of {', '.join(consent_decisions())}")
    session_id, otp = request.match_info["session_id"], values.get("otp")
    service = request.app[SERVICE]
    step = await transition(
        request, "consent", values, lambda _: service.consent(session_id, decision, otp)
    )
    if step is not None and step.completed and step.redirect_to:
        # Not web.HTTPFound: it rewrites the Location through yarl (%2F becomes /, %7e ~,
        # the host is lowercased), and the partner's URL must come back byte for byte.
        return web.Response(
            status=302,
            headers={"Location": step.redirect_to, "Referrer-Policy": "no-referrer"},
        )
    return _render(request, step)


def _bad_request(message: str) -> web.HTTPBadRequest:
    body = json.dumps({"error": "invalid_request", "error_description": message})
    return web.HTTPBadRequest(text=body, content_type="application/json")


def _render(request: web.Request, step: ConsentStep | None) -> web.Response:
    """The page: 200; 410 once the token has expired; 404 for an unknown session; 410 for a
    session a later /IDMOBILE/ with the same token replaced.

    410 and not 404 for a replaced session (GET and POST alike): the mock issued that link and
    knows it will never work again, which is what 410 Gone says (RFC 9110 §15.5.11), as for
    an expired one; 404 says the link is unknown, which would send the user looking for a
    typo or a reset.
    """
    if step is not None:
        text, status = pages.consent_page(step), 410 if step.expired else 200
    else:
        replaced = request.app[SERVICE].consent_replaced(request.match_info["session_id"])
        if replaced is not None:
            text, status = pages.replaced_page(replaced), 410
        else:
            text, status = pages.not_found_page(), 404
    return web.Response(text=text, status=status, content_type="text/html", headers=PAGE_HEADERS)
