"""A dqe-mock running in a background thread, driven through its /__admin/ API.

BackgroundLoop is the one way the tests and the kit run aiohttp apps in a thread.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, TypeVar

import yaml
from aiohttp import web

from mockserver.http.app import create_app
from mockserver.http.connection import GuardedRunner
from mockserver.http.keys import ADMIN_PREFIX
from mockserver.settings import Settings

ADMIN = ADMIN_PREFIX
TIMEOUT = 10.0
T = TypeVar("T")


class AdminError(RuntimeError):
    """The mock's admin API refused a call (the message carries its explanation)."""


class BackgroundLoop:
    """An asyncio loop in a daemon thread, serving aiohttp apps on free ports of a host.

    For synchronous code (tests, Hypothesis, Playwright) that needs real servers: `run` and
    `call` execute on the loop (the apps' state is not thread-safe), `close` stops every
    server, then the loop. Waits are bounded by TIMEOUT seconds (TimeoutError past it).
    """

    def __init__(self, name: str = "dqe-mock") -> None:
        self.loop = asyncio.new_event_loop()
        self._runners: list[web.BaseRunner] = []
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(TIMEOUT)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Call a plain function on the loop's thread and wait for its result."""

        async def on_loop() -> T:
            return fn(*args)

        return self.run(on_loop())

    def serve(self, app: web.Application | web.BaseRunner, host: str = "127.0.0.1") -> str:
        """Serve `app` (or a runner not yet set up) on a free port of `host`: its base url."""

        async def start() -> int:
            runner = app if isinstance(app, web.BaseRunner) else web.AppRunner(app)
            await runner.setup()
            self._runners.append(runner)
            await web.TCPSite(runner, host, 0).start()
            return int(runner.addresses[0][1])

        port = self.run(start())
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def close(self) -> None:
        """Stop every server, then the loop and its thread."""
        for runner in reversed(self._runners):
            self.run(runner.cleanup())
        self._runners.clear()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(TIMEOUT)
        self.loop.close()


class MockServer:
    """Start once, reset often: the server behind the `dqe_mock` pytest fixture.

    It listens on 127.0.0.1 on a free port, in a BackgroundLoop; every control call goes
    through the same /__admin/ endpoints a CI script would use.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = replace(settings or Settings(), port=0)
        self._background: BackgroundLoop | None = None
        self.app: web.Application | None = None
        self.base_url = ""

    def start(self) -> MockServer:
        """Run the server; return once it accepts connections."""
        background = BackgroundLoop()
        self._background = background

        async def runner() -> web.AppRunner:
            # Built on the loop that serves it.
            self.app = create_app(self.settings)
            return GuardedRunner(
                self.app, header_timeout=self.settings.header_timeout, handle_signals=False
            )

        self.base_url = background.serve(background.run(runner()), self.settings.host)
        return self

    def stop(self) -> None:
        """Stop the server and its thread."""
        if self._background is not None:
            self._background.close()
            self._background = None

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
