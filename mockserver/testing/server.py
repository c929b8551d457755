"""A dqe-mock running in a background thread, driven through its /__admin/ API."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import replace
from typing import Any

import yaml
from aiohttp import web

from mockserver.http.app import create_app
from mockserver.http.connection import GuardedRunner
from mockserver.http.keys import ADMIN_PREFIX
from mockserver.settings import Settings

ADMIN = ADMIN_PREFIX
TIMEOUT = 10.0


class AdminError(RuntimeError):
    """The mock's admin API refused a call (the message carries its explanation)."""


class MockServer:
    """Start once, reset often: the server behind the `dqe_mock` pytest fixture.

    It listens on 127.0.0.1 on a free port; every control call goes through the same
    /__admin/ endpoints a CI script would use.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = replace(settings or Settings(), port=0)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.app: web.Application | None = None
        self.base_url = ""

    def start(self) -> MockServer:
        """Run the server; return once it accepts connections."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="dqe-mock", daemon=True)
        self._thread.start()
        port = asyncio.run_coroutine_threadsafe(self._serve(), loop).result(TIMEOUT)
        self.base_url = f"http://{self.settings.host}:{port}"
        return self

    async def _serve(self) -> int:
        self.app = create_app(self.settings)
        self._runner = GuardedRunner(
            self.app, header_timeout=self.settings.header_timeout, handle_signals=False
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, 0)
        await site.start()
        address = self._runner.addresses[0]
        return int(address[1])

    def stop(self) -> None:
        """Stop the server and its thread."""
        loop, runner = self._loop, self._runner
        if loop is None:
            return
        if runner is not None:
            asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(TIMEOUT)
        loop.close()
        self._loop = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the admin API -----------------------------------------------------------------

    def admin(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        namespace: str | None = None,
        content_type: str = "application/json",
    ) -> Any:
        """Call /__admin/<path>; return the decoded JSON answer."""
        query = f"?{urllib.parse.urlencode({'namespace': namespace})}" if namespace else ""
        request = urllib.request.Request(
            f"{self.base_url}{ADMIN}/{path}{query}", data=body, method=method
        )
        if body is not None:
            request.add_header("Content-Type", content_type)
        if self.settings.admin_token:
            request.add_header("Authorization", f"Bearer {self.settings.admin_token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise AdminError(
                f"{method} {ADMIN}/{path}: HTTP {exc.code} {exc.read().decode()}"
            ) from exc

    def reset(self, namespace: str | None = None) -> None:
        """Forget tokens, sessions, journal and runtime scenarios (of one namespace, or all)."""
        self.admin("POST", "reset", namespace=namespace)

    def add_scenarios(self, document: str | dict[str, Any], namespace: str | None = None) -> Any:
        """Add a scenario document (YAML text or a dict in the scenario file format)."""
        text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
        return self.admin("POST", "scenarios", text.encode(), namespace, "application/yaml")

    def journal(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """Journal entries, oldest first (every page of GET /__admin/journal)."""
        page = self.admin("GET", "journal", namespace=namespace)
        entries: list[dict[str, Any]] = list(page["entries"])
        while page.get("next"):
            page = self.admin("GET", page["next"].removeprefix(f"{ADMIN}/"))
            entries.extend(page["entries"])
        return entries

    def advance_clock(self, seconds: float, token: str | None = None) -> float:
        """Move the mock's time forward (for everyone, or for one token)."""
        body = json.dumps({"seconds": seconds, "token": token}).encode()
        now: float = self.admin("POST", "clock/advance", body)["now"]
        return now

    def session(self, token: str) -> dict[str, Any]:
        """The session timeline of a token."""
        timeline: dict[str, Any] = self.admin("GET", f"sessions/{urllib.parse.quote(token)}")
        return timeline
