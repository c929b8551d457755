"""GET /__admin/ui over HTTP: the admin token (?token= once, then the read-only cookie), the
page's headers (a CSP that allows the shipped script and style by hash only) and escaping of
what the server renders (scenarios, faults). The browser side: tests/browser/test_dashboard.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from html import escape

import pytest
from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestServer

from mockserver.domain.faults import Fault
from mockserver.http.app import create_app
from mockserver.http.dashboard import render_page
from mockserver.settings import Settings

TOKEN = "ui-s3cret"
UI = "/__admin/ui"
HOSTILE = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
DOC = f"""\
faults:
  - id: gateway-down
    endpoint: ACCESS_TOKEN
    kind: http_error
    status: 502
    first: 2
scenarios:
  - id: hostile
    description: {json.dumps(HOSTILE)}
    match: {{numbers: ["+33639987601"]}}
    operator: Orange
"""


@pytest.fixture
async def guarded() -> AsyncIterator[TestServer]:
    server = TestServer(
        create_app(Settings(seed=3, frozen_clock=True, admin_token=TOKEN)), host="127.0.0.1"
    )
    async with server:
        yield server


@pytest.fixture
async def browser() -> AsyncIterator[ClientSession]:
    """A client that keeps cookies (unsafe: the server is 127.0.0.1, not a domain name)."""
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as session:
        yield session


def sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


async def test_without_a_credential_the_page_is_refused(
    guarded: TestServer, browser: ClientSession
) -> None:
    for query in ("", "?token=wrong", f"?token={TOKEN}x", "?token="):
        async with browser.get(guarded.make_url(UI + query), allow_redirects=False) as reply:
            assert reply.status == 401, query
            assert reply.content_type == "application/json"
            assert TOKEN not in await reply.text()
    assert not browser.cookie_jar.filter_cookies(guarded.make_url(UI))


async def test_the_token_once_gives_a_read_only_cookie(
    guarded: TestServer, browser: ClientSession
) -> None:
    url = guarded.make_url(f"{UI}?token={TOKEN}&namespace=team-a")
    async with browser.get(url, allow_redirects=False) as reply:
        assert reply.status == 303
        assert reply.headers["Location"] == f"{UI}?namespace=team-a"
        cookie = reply.cookies["dqe_mock_admin"]
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Strict"
        assert cookie["path"] == "/__admin"
        # HMAC-SHA256 hex digest, never the token itself.
        assert re.fullmatch(r"[0-9a-f]{64}", cookie.value)
        assert TOKEN not in cookie.value
        assert TOKEN not in await reply.text()
    async with browser.get(guarded.make_url(UI)) as reply:
        assert reply.status == 200
        page = await reply.text()
        assert "<title>dqe-mock dashboard</title>" in page
        assert TOKEN not in page
    for read in ("/__admin/health", "/__admin/journal", "/__admin/sessions"):
        async with browser.get(guarded.make_url(read)) as reply:
            assert reply.status == 200, read
    # The cookie never changes the mock: writes still need the Bearer header.
    for method, write in (
        ("POST", "/__admin/reset"),
        ("DELETE", "/__admin/journal"),
        ("POST", "/__admin/scenarios"),
        ("POST", "/__admin/clock/advance"),
    ):
        async with browser.request(method, guarded.make_url(write)) as reply:
            assert reply.status == 401, (method, write)


async def test_a_forged_cookie_and_a_token_on_other_paths_are_refused(
    guarded: TestServer,
) -> None:
    forged = ClientSession(cookies={"dqe_mock_admin": TOKEN})
    async with forged, forged.get(guarded.make_url("/__admin/journal")) as reply:
        assert reply.status == 401
    async with ClientSession() as plain:
        # ?token= is read on the dashboard page only.
        async with plain.get(guarded.make_url(f"/__admin/journal?token={TOKEN}")) as reply:
            assert reply.status == 401
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with plain.get(guarded.make_url(UI), headers=headers) as reply:
            assert reply.status == 200


async def test_the_page_allows_its_own_script_and_style_by_hash_only() -> None:
    server = TestServer(create_app(Settings(seed=3, frozen_clock=True)), host="127.0.0.1")
    async with server, ClientSession() as client, client.get(server.make_url(UI)) as reply:
        assert reply.status == 200
        assert reply.content_type == "text/html"
        page = await reply.text()
        csp = reply.headers["Content-Security-Policy"]
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Cache-Control"] == "no-store"
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.S)
    (style,) = re.findall(r"<style>(.*?)</style>", page, re.S)
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == f"'sha256-{sha256(script)}'"
    assert directives["style-src"] == f"'sha256-{sha256(style)}'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    for sink in (".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert "http://" not in script.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in script


async def test_scenarios_and_faults_are_rendered_escaped(
    guarded: TestServer, browser: ClientSession
) -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    async with browser.post(guarded.make_url("/__admin/scenarios"), data=DOC, headers=bearer) as r:
        assert r.status == 201, await r.text()
    async with browser.get(guarded.make_url(UI), headers=bearer) as reply:
        page = await reply.text()
    assert HOSTILE not in page
    assert escape(HOSTILE) in page
    assert "<tr class='scenario' data-id='hostile'>" in page
    row = re.search(r"<tr class='fault' data-id='gateway-down'>(.*?)</tr>", page)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1))
    assert cells == [
        "gateway-down",
        "ACCESS_TOKEN",
        "http_error 502",
        "every request",
        "first 2",
        "0",
    ]


def test_render_page_escapes_every_value() -> None:
    fault = Fault(id="f1", kind="latency", numbers=frozenset({HOSTILE}))
    scenario = {
        "id": HOSTILE,
        "layer": "runtime",
        "operator": HOSTILE,
        "numbers": [HOSTILE],
        "range": None,
        "pattern": None,
        "any": False,
        "description": HOSTILE,
    }
    page = render_page(HOSTILE, [scenario], [fault], {"f1": 1})
    assert "<img" not in page
    assert page.count("<script>") == 1  # the page's own
    assert page.count(escape(HOSTILE)) >= 5
