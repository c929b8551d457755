"""Hot reload: a changed scenario file applies without a restart; a broken one is reported
(file:line) and the last good set keeps answering; POST /__admin/reload does it on demand."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from aiohttp.web import Application

from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.http.keys import RELOADS, STATE
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient

FIRST = "+33639987001"
SECOND = "+33639987002"
WITHIN = 5.0


def scenario(scenario_id: str, number: str, outcome: str) -> str:
    return (
        f"  - id: {scenario_id}\n"
        f'    match: {{numbers: ["{number}"]}}\n'
        "    operator: Orange\n"
        f"    outcome: {outcome}\n"
    )


GOOD = "version: 1\nscenarios:\n" + scenario("first-15", FIRST, '{initiate_error: "15"}')
BOTH = GOOD + scenario("second-16", SECOND, '{initiate_error: "16"}')
# Line 8 opens a flow sequence that is never closed; YAML notices where the file ends.
BAD_YAML = GOOD + "  - id: second-16\n    match: {numbers: [\n"
BAD_YAML_LINE = 9
# Line 10: an error id the catalogue does not know.
UNKNOWN_ERROR = GOOD + scenario("second-77", SECOND, '{initiate_error: "77"}')
UNKNOWN_ERROR_LINE = 10


@dataclass
class Running:
    app: Application
    server: TestServer
    session: ClientSession
    dqe: DqeClient
    path: Path

    @property
    def state(self) -> MockState:
        return self.app[STATE]

    async def health(self) -> Any:
        async with self.session.get(self.server.make_url("/__admin/health")) as reply:
            assert reply.status == 200
            return await reply.json()

    async def initiate_error(self, number: str) -> str | None:
        """The error /IDMOBILE/ answers for `number` (None on success)."""
        reply = await self.dqe.idmobile(await self.dqe.token(), number, "formfilling")
        assert reply.status == 200
        return reply.error_id

    async def rewrite(self, text: str, until: Callable[[MockState], bool]) -> float:
        """Write the file and wait (bounded) for the reload attempt that makes `until` true.

        Answers how long it took. Each wait is on the reload signal, never a sleep; TimeoutError
        fails the test if no such reload comes within WITHIN seconds.
        """
        signal = self.app[RELOADS]
        attempts = signal.attempts
        started = time.monotonic()
        self.path.write_text(text)
        deadline = started + WITHIN
        while True:
            attempts = await signal.wait_beyond(attempts, within=deadline - time.monotonic())
            if until(self.state):
                return time.monotonic() - started


@pytest.fixture
async def watched(tmp_path: Path) -> AsyncIterator[Running]:
    """A real server watching one scenario file (which starts as GOOD)."""
    path = tmp_path / "team.yaml"
    path.write_text(GOOD)
    app = create_app(Settings(seed=3, frozen_clock=True, scenario_paths=(path,), watch=True))
    server = TestServer(app, host="127.0.0.1")
    async with server, ClientSession() as session:
        running = Running(app, server, session, DqeClient(session, server.make_url("/")), path)
        # Answering requests also lets the watcher task start before the first change.
        assert await running.initiate_error(FIRST) == "15"
        assert await running.initiate_error(SECOND) is None
        yield running


def reloaded_ok(generation: int) -> Callable[[MockState], bool]:
    return lambda s: s.registry.last_reload.ok and s.registry.generation > generation


def reload_failed(state: MockState) -> bool:
    return not state.registry.last_reload.ok


async def test_a_changed_file_applies_without_a_restart(watched: Running) -> None:
    generation = watched.state.registry.generation
    took = await watched.rewrite(BOTH, reloaded_ok(generation))
    assert took < WITHIN
    assert await watched.initiate_error(SECOND) == "16"
    assert await watched.initiate_error(FIRST) == "15"
    health = await watched.health()
    assert health["last_reload"]["ok"] is True
    assert health["last_reload"]["errors"] == []
    assert health["generation"] == watched.state.registry.generation > generation
    assert health["sources"][-1] == str(watched.path)


@pytest.mark.parametrize(
    ("broken", "line", "words"),
    [(BAD_YAML, BAD_YAML_LINE, "YAML"), (UNKNOWN_ERROR, UNKNOWN_ERROR_LINE, "77")],
    ids=["bad-yaml", "unknown-error-id"],
)
async def test_a_broken_file_keeps_the_last_good_set_until_fixed(
    watched: Running, broken: str, line: int, words: str
) -> None:
    generation = watched.state.registry.generation
    await watched.rewrite(BOTH, reloaded_ok(generation))
    assert await watched.initiate_error(SECOND) == "16"
    good_generation = watched.state.registry.generation

    await watched.rewrite(broken, reload_failed)
    health = await watched.health()
    report = health["last_reload"]
    assert report["ok"] is False
    errors = "\n".join(report["errors"])
    assert f"{watched.path}:{line}:" in errors, errors
    assert words in errors
    # Nothing lost: the last good set still answers, at the same generation.
    assert health["generation"] == good_generation
    assert await watched.initiate_error(FIRST) == "15"
    assert await watched.initiate_error(SECOND) == "16"
    assert health["sources"][-1] == str(watched.path)

    fixed = GOOD + scenario("second-17", SECOND, '{initiate_error: "17"}')
    await watched.rewrite(fixed, reloaded_ok(good_generation))
    health = await watched.health()
    assert health["last_reload"] == {
        "ok": True,
        "generation": health["generation"],
        "errors": [],
    }
    assert await watched.initiate_error(SECOND) == "17"
    assert await watched.initiate_error(FIRST) == "15"


async def test_runtime_scenarios_survive_a_reload(watched: Running) -> None:
    document = "version: 1\nscenarios:\n" + scenario("runtime-16", FIRST, '{initiate_error: "16"}')
    url = watched.server.make_url("/__admin/scenarios")
    async with watched.session.post(url, params={"namespace": "100001"}, data=document) as reply:
        assert reply.status == 201
    assert await watched.initiate_error(FIRST) == "16"
    await watched.rewrite(BOTH, reloaded_ok(watched.state.registry.generation))
    assert await watched.initiate_error(FIRST) == "16"  # the runtime layer is still on top
    assert await watched.initiate_error(SECOND) == "16"  # from the file


async def test_reload_endpoint_applies_or_reports(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(GOOD)
    app = create_app(Settings(seed=3, frozen_clock=True, scenario_paths=(path,)))
    server = TestServer(app, host="127.0.0.1")
    async with server, ClientSession() as session:
        dqe = DqeClient(session, server.make_url("/"))

        async def initiate_error(number: str) -> str | None:
            return (await dqe.idmobile(await dqe.token(), number, "formfilling")).error_id

        async def reload() -> tuple[int, Any]:
            async with session.post(server.make_url("/__admin/reload")) as reply:
                return reply.status, await reply.json()

        # Not watching: a change waits for the reload call.
        path.write_text(BOTH)
        assert await initiate_error(SECOND) is None
        assert await reload() == (200, {"ok": True, "generation": 1, "errors": []})
        assert await initiate_error(SECOND) == "16"

        path.write_text(UNKNOWN_ERROR)
        status, body = await reload()
        assert status == 400
        assert body["ok"] is False
        assert body["generation"] == 1
        assert len(body["errors"]) == 1
        assert body["errors"][0].startswith(f"{path}:{UNKNOWN_ERROR_LINE}:")
        assert "77" in body["errors"][0]
        assert await initiate_error(SECOND) == "16"
        assert await initiate_error(FIRST) == "15"

        path.unlink()
        status, body = await reload()
        assert status == 400
        assert body["errors"][0].startswith(f"{path}:")
        assert await initiate_error(SECOND) == "16"

        path.write_text(GOOD)
        assert await reload() == (200, {"ok": True, "generation": 2, "errors": []})
        assert await initiate_error(SECOND) is None
        assert app[STATE].registry.last_reload.ok
