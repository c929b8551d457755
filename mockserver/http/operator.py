"""The operator's consent step: the url /IDMOBILE/ returns, and the redirect back."""

from __future__ import annotations

import html
import re

from aiohttp import web

from mockserver.domain.service import ConsentStep
from mockserver.domain.sessions import Session
from mockserver.http.keys import SERVICE, SETTINGS

DECISIONS = ("approve", "deny", "wrong_otp", "abandon", "operator_failure")


def operator_slug(name: str) -> str:
    """'Bouygues Telecom' -> 'bouygues-telecom'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "operator"


def consent_url(request: web.Request, session: Session) -> str:
    """Absolute url of the session's consent step, from --public-url or the request's Host."""
    base = request.app[SETTINGS].public_url or str(request.url.origin())
    return f"{base.rstrip('/')}/operator/{operator_slug(session.operator)}/consent/{session.id}"


async def consent_page(request: web.Request) -> web.StreamResponse:
    """GET: the operator's consent page. Safe: looking at it changes nothing."""
    step = request.app[SERVICE].consent_view(request.match_info["session_id"])
    if step is None:
        raise web.HTTPNotFound(text="no such consent request (unknown or reset session)")
    return web.Response(text=_page(step), content_type="text/html", status=200)


async def consent(request: web.Request) -> web.StreamResponse:
    """POST: answer the consent step (decision, otp); with no fields, as the scenario says."""
    form = await request.post()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    decision = values.get("decision") or None
    if decision is not None and decision not in DECISIONS:
        raise web.HTTPBadRequest(text=f"decision must be one of {', '.join(DECISIONS)}")
    step = request.app[SERVICE].consent(
        request.match_info["session_id"], decision, values.get("otp")
    )
    if step is None:
        raise web.HTTPNotFound(text="no such consent request (unknown or reset session)")
    if step.redirect_to:
        raise web.HTTPFound(step.redirect_to)
    return web.Response(text=_page(step), content_type="text/html", status=200)


def _page(step: ConsentStep) -> str:
    session = step.session
    e = html.escape
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{e(session.operator)} — consent</title></head><body>"
        f"<h1>{e(session.operator)}</h1>"
        f"<p>{e(session.partner)} asked to check the line {e(session.number)}.</p>"
        f"<p id='message'>{e(step.message)}</p></body></html>"
    )
