"""Real servers for the browser tests: the mock and a partner site, in a background loop.

The tests are synchronous (Playwright's sync API); the servers run on an event loop of their
own in a daemon thread, and anything that touches the mock's state runs on that loop too.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from html import escape
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.http.keys import STATE
from mockserver.settings import Settings
from mockserver.testing.client import user_infos
from mockserver.testing.server import BackgroundLoop

TIMEOUT = 10.0
LICENCE = "100001"
SECRET = "demo-secret"
PARTNER_NAME = "ACME"


class LiveMock:
    """The mock, served for real, with a frozen clock the tests advance."""

    def __init__(self, live: BackgroundLoop, admin_token: str | None = None) -> None:
        self.live = live
        app = create_app(
            Settings(seed=11, frozen_clock=True, check_responses=True, admin_token=admin_token)
        )
        self.state: MockState = app[STATE]
        self.url = live.serve(app)
        self.admin_token = admin_token

    def admin(self, method: str, path: str, body: str | None = None) -> Any:
        """A call to /__admin`path` (YAML `body`, the Bearer header when the mock has an admin
        token); its JSON answer."""
        headers = {"Content-Type": "application/yaml"}
        if self.admin_token:
            headers["Authorization"] = f"Bearer {self.admin_token}"
        request = urllib.request.Request(
            f"{self.url}/__admin{path}",
            data=body.encode() if body is not None else None,
            method=method,
            headers=headers,
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read())

    def reset(self) -> None:
        """Forget tokens and sessions, rewind the clock."""
        self.live.call(self.state.reset)

    def advance(self, seconds: float) -> None:
        """Move the mock's time forward."""
        self.live.call(self.state.clock.advance, seconds)


class Partner:
    """The partner's site: /cb shows the token and status the operator's redirect brought."""

    def __init__(self, live: BackgroundLoop) -> None:
        self.visits: list[dict[str, str]] = []
        app = web.Application()
        app.add_routes([web.get("/cb", self._callback)])
        self.url = live.serve(app)

    def callback(self, **query: str) -> str:
        """The redirect_uri to give /IDMOBILE/, with the partner's own query parameters."""
        return f"{self.url}/cb?{urlencode(query)}" if query else f"{self.url}/cb"

    async def _callback(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.visits.append(query)
        rows = "".join(
            f"<dt>{escape(k)}</dt><dd id='q-{escape(k)}'>{escape(v)}</dd>" for k, v in query.items()
        )
        text = (
            "<!doctype html><html><head><meta charset='utf-8'><title>ACME — back from the "
            f"operator</title></head><body><h1>{PARTNER_NAME}</h1><dl>{rows}</dl></body></html>"
        )
        return web.Response(text=text, content_type="text/html")


class SyncDqe:
    """A blocking client of the live mock's three endpoints (urllib, JSON bodies)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def call(self, endpoint: str, params: dict[str, str]) -> dict[str, Any]:
        """GET /{endpoint}/ with `params`; the JSON body, whatever the HTTP status."""
        url = f"{self.base_url}/{endpoint}/?{urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            body = error.read()
        result = json.loads(body)
        assert isinstance(result, dict), result
        return result

    def token(self) -> dict[str, Any]:
        """A fresh /ACCESS_TOKEN/ body."""
        body = self.call(
            "ACCESS_TOKEN",
            {"client_secret": SECRET, "grant_type": "client_idmobile", "licence": LICENCE},
        )
        assert "access_token" in body, body
        return body

    def start(self, number: str, scope: str, redirect_uri: str, **extra: str) -> tuple[str, str]:
        """Token, then /IDMOBILE/: (token, consent url)."""
        token = str(self.token()["access_token"])
        params = {
            "number": number,
            "token": token,
            "name": PARTNER_NAME,
            "licence": LICENCE,
            "scope": scope,
            "redirect_uri": redirect_uri,
        }
        if scope != "numVerify":
            params["mode"] = "2"
        if "matching" in scope:
            params["user_infos"] = user_infos(family_name="Dupont")
        params.update(extra)
        body = self.call("IDMOBILE", params)
        assert body.get("status") == "success", body
        return token, str(body["url"])

    def get(self, token: str, scope: str) -> dict[str, Any]:
        """One /GET/."""
        return self.call("GET", {"token": token, "Licence": LICENCE, "scope": scope})

    def poll(self, token: str, scope: str, max_polls: int = 20) -> dict[str, Any]:
        """/GET/ until it is no longer pending (at most `max_polls` times)."""
        for _ in range(max_polls):
            body = self.get(token, scope)
            if body.get("status") != "pending":
                return body
        raise AssertionError(f"/GET/ still pending after {max_polls} polls")
