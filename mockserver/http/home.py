"""GET / from a browser: a small page saying where to go. The mock has no resource at its root
(a client that calls it has a base URL slip): anything else there gets the JSON 404 of an
unknown path, naming the endpoints (http/middleware.py)."""

from __future__ import annotations

from html import escape

from aiohttp import web

from mockserver import __version__
from mockserver.http.operator import PAGE_HEADERS, public_base

# README sections a newcomer reads first (named, not linked: the mock serves no README).
WALKTHROUGH = "Walkthrough with curl"
MAGIC_NUMBERS = "Magic numbers"
HTML_TYPES = ("text/html", "application/xhtml+xml")

CSS = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:640px;margin:32px auto;padding:0 16px;"
    "color:#1d1d1f}code{background:#f2f2f4;padding:1px 4px;border-radius:4px}li{margin:6px 0}"
)


def wants_html(accept: str) -> bool:
    """Does an Accept header ask for a page (a browser's does), rather than JSON or anything?"""
    ranges = [part.split(";", 1)[0].strip().lower() for part in accept.split(",")]
    return any(kind in HTML_TYPES for kind in ranges)


def root_page(request: web.Request) -> web.Response:
    """The page a browser gets at / (200, text/html; the mock has no resource there, and
    anything else gets the JSON 404 of an unknown path, naming the endpoints)."""
    return web.Response(
        text=page(public_base(request)), content_type="text/html", headers=PAGE_HEADERS
    )


def page(base: str) -> str:
    """The root page: the endpoints, the docs, the dashboard, the README sections to read."""
    link = escape(base, quote=True)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>dqe-mock</title><style>{CSS}</style></head><body>"
        f"<h1>dqe-mock {escape(__version__)}</h1>"
        "<p>A mock of DQE Software's ID Mobile API, for tests. Its endpoints are "
        "<code>/ACCESS_TOKEN/</code>, <code>/IDMOBILE/</code> and <code>/GET/</code> "
        "(GET or POST): point your client's base URL here, not at a page.</p><ul>"
        f"<li><a id='docs' href='{link}/docs'>The contract</a>: every endpoint, parameter "
        "and error, browsable (also <a href='" + link + "/openapi.json'>/openapi.json</a>).</li>"
        f"<li><a id='dashboard' href='{link}/__admin/ui'>The dashboard</a>: sessions, "
        "journal and scenarios of this mock.</li>"
        f"<li>The README's <strong>{WALKTHROUGH}</strong> section: a token, each scope and "
        f"errors on demand, step by step; its <strong>{MAGIC_NUMBERS}</strong> table lists the "
        "numbers that give each answer.</li></ul></body></html>"
    )
