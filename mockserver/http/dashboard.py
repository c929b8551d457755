"""The live dashboard, GET /__admin/ui: one server-rendered page and a little vanilla script.

The server renders the frame, the loaded scenarios and the faults (with how often each has
fired) of the namespace asked for (`?namespace=`, else the default namespace's view); the
script (assets/dashboard.js) draws what changes while the page is open, from the admin API's
JSON, once a second: the requests as they arrive (GET /__admin/journal with its cursor), each
session's timeline on a time axis (GET /__admin/sessions), the coverage heat map and the
findings (GET /__admin/report; the page says so when the server has no report). Every value
is escaped: html.escape here, textContent and setAttribute in the script, never innerHTML.

The script and the style ship in the wheel (mockserver/http/assets/, package data) and are
inlined into the page, allowed by their SHA-256 in the Content-Security-Policy: no CDN, no
other script, no inline style attribute, no framing.

How the admin token reaches the page: see http/dashboard_auth.py (`?token=` once, then an
HttpOnly SameSite=Strict cookie that admits reads only).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from aiohttp import web

from mockserver import __version__
from mockserver.domain.faults import Fault
from mockserver.domain.registry import DEFAULT_NAMESPACE
from mockserver.http.admin import _namespace, _scenario_json
from mockserver.http.dashboard_auth import DASHBOARD_PATH, TOKEN_PARAM, set_cookie
from mockserver.http.keys import ADMIN_PREFIX, SETTINGS, STATE, STORE
from mockserver.http.namespaces import admin_query

# How often the script asks the admin API for news, in milliseconds.
POLL_MS = 1000
ASSETS = ("dashboard.css", "dashboard.js")


@cache
def asset(name: str) -> str:
    """The text of a shipped asset (mockserver/http/assets/<name>)."""
    return resources.files("mockserver.http").joinpath("assets", name).read_text("utf-8")


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


@cache
def page_headers() -> dict[str, str]:
    """Headers of the page: a CSP that runs only the shipped script and style (by hash) and
    lets it fetch from this origin only; no framing, no sniffing, no caching, no Referer."""
    csp = (
        "default-src 'none'; "
        f"script-src 'sha256-{_sha256(asset('dashboard.js'))}'; "
        f"style-src 'sha256-{_sha256(asset('dashboard.css'))}'; "
        "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


async def dashboard(request: web.Request) -> web.StreamResponse:
    """GET /__admin/ui[?namespace=NS]: the dashboard page (text/html).

    With --admin-token, `?token=<admin token>` (checked by admin.admin_guard) answers 303 to
    the same page without the token, setting the dashboard cookie (http/dashboard_auth.py).
    """
    namespace = _namespace(request)
    admin_token = request.app[SETTINGS].admin_token
    if admin_token and TOKEN_PARAM in admin_query(request):
        target = DASHBOARD_PATH + (f"?namespace={namespace}" if namespace else "")
        response = web.Response(status=303, headers={"Location": target, **page_headers()})
        set_cookie(response, request, admin_token)
        return response
    state = request.app[STATE]
    await request.app[STORE].catch_up()
    view = state.registry.view(namespace or DEFAULT_NAMESPACE)
    runtime = {
        s.id
        for name in {DEFAULT_NAMESPACE, namespace or DEFAULT_NAMESPACE}
        for s in state.registry.runtime(name).scenarios
    }
    scenarios = [
        _scenario_json(s, "runtime" if s.id in runtime else "files") for s in view.scenarios
    ]
    # How often each fault fired: in the namespace asked for, else in all of them.
    hits: dict[str, int] = {}
    for (where, fault_id), count in state.faults.counts().items():
        if namespace is None or where == namespace:
            hits[fault_id] = hits.get(fault_id, 0) + count
    text = render_page(namespace, scenarios, view.faults, hits)
    return web.Response(text=text, content_type="text/html", headers=page_headers())


def render_page(
    namespace: str | None,
    scenarios: Iterable[Mapping[str, Any]],
    faults: Iterable[Fault],
    hits: Mapping[str, int],
) -> str:
    """The whole page. `scenarios`: GET /__admin/scenarios items; `hits`: fault id -> times it
    fired in the namespace. The live sections are empty containers the script fills."""
    shown = escape(namespace) if namespace else "all namespaces"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        # An empty icon: the browser asks for no /favicon.ico, which the journal would record
        # as a client's request to an unknown path.
        "<link rel='icon' href='data:,'>"
        f"<title>dqe-mock dashboard</title><style>{asset('dashboard.css')}</style></head>"
        f"<body data-admin='{escape(ADMIN_PREFIX)}' data-namespace='{escape(namespace or '')}' "
        f"data-poll-ms='{POLL_MS}'>"
        "<header><span class='logo'>dqe-mock</span><span>dashboard</span>"
        f"<span class='muted'>v{escape(__version__)}</span>"
        f"<span class='muted' id='namespace'>{shown}</span>"
        "<span id='live' class='live'>connecting…</span></header>"
        "<main>"
        "<section id='requests-section' class='wide'><h2>Requests</h2>"
        "<p class='muted'>Newest first, as they arrive (the latest 200).</p>"
        "<div class='scroll'><table id='requests'><thead><tr><th>#</th><th>clock (s)</th>"
        "<th>method</th><th>path</th><th>status</th><th>verdict</th><th>token</th>"
        "<th>scenario</th><th>error / fault</th><th>parameters</th><th>reason</th></tr></thead>"
        "<tbody></tbody></table></div></section>"
        "<section id='sessions-section' class='wide'><h2>Sessions</h2>"
        "<p class='muted'>Newest first: token, initiation, consent, polls and answer on a "
        "time axis (the latest 20).</p><div id='sessions'></div></section>"
        "<section id='coverage-section'><h2>Coverage</h2>"
        "<p class='muted' id='report-status'>waiting for the report…</p>"
        "<div class='scroll'><table id='coverage'></table></div>"
        "<div id='missing'></div></section>"
        "<section id='findings-section'><h2>Findings</h2><ul id='findings'></ul></section>"
        f"<section id='scenarios-section'><h2>Scenarios</h2>{_scenarios(scenarios)}</section>"
        f"<section id='faults-section'><h2>Faults</h2>{_faults(faults, hits)}</section>"
        "</main>"
        f"<script>{asset('dashboard.js')}</script></body></html>"
    )


def _cells(values: Iterable[object]) -> str:
    return "".join(f"<td>{escape(str(v))}</td>" for v in values)


def _scenarios(scenarios: Iterable[Mapping[str, Any]]) -> str:
    rows = []
    for s in scenarios:
        match = s["numbers"] or s["range"] or s["pattern"] or ("any" if s["any"] else "")
        shown = ", ".join(match) if isinstance(match, list) else match
        rows.append(
            f"<tr class='scenario' data-id='{escape(s['id'])}'>"
            f"{_cells((s['id'], s['layer'], s['operator'], shown, s['description']))}</tr>"
        )
    return (
        "<p class='muted'>In matching order; reload the page after changing them.</p>"
        "<div class='scroll short'><table id='scenarios'><thead><tr><th>id</th><th>layer</th>"
        "<th>operator</th><th>matches</th><th>description</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _faults(faults: Iterable[Fault], hits: Mapping[str, int]) -> str:
    rows = []
    for f in faults:
        where = f.scenario or ", ".join(sorted(f.numbers or f.licences or ())) or "every request"
        limit = f"first {f.first}" if f.first is not None else "always"
        kind = f"{f.kind} {f.status}" if f.kind == "http_error" else f.kind
        rows.append(
            f"<tr class='fault' data-id='{escape(f.id)}'>"
            f"{_cells((f.id, f.endpoint, kind, where, limit, hits.get(f.id, 0)))}</tr>"
        )
    if not rows:
        return "<p class='muted' id='no-faults'>No fault is loaded.</p>"
    return (
        "<table id='faults'><thead><tr><th>id</th><th>endpoint</th><th>kind</th><th>on</th>"
        "<th>applies</th><th>requests matched</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
