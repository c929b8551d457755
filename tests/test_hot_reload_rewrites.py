"""Hot reload under rewrites (issue 10, item 5): only complete, valid sets are ever served.

A file rewritten in place passes through empty and half-written states; other files in a
watched directory are none of the watcher's business; a single file is watched itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.cli import main
from mockserver.domain.registry import ReloadReport
from mockserver.domain.scenarios import ScenarioSet
from mockserver.http.app import create_app
from mockserver.http.keys import RELOADS, STATE
from mockserver.http.watch import reload_settled, watched_paths
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient

NUMBER = "+33639987911"
WITHIN = 5.0
HELD_REWRITES = 3


def document(error_id: str) -> str:
    """One line of flow YAML: every strict prefix of it is a syntax error or empty."""
    return (
        '{"version": 1, "scenarios": [{"id": "rewritten", "match": {"numbers": '
        f'["{NUMBER}"]}}, "operator": "Orange", "outcome": {{"initiate_error": "{error_id}"}}}}]}}\n'
    )


OLD, NEW = document("15"), document("16")


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[tuple[TestServer, DqeClient]]:
    async with (
        TestServer(create_app(settings), host="127.0.0.1") as server,
        ClientSession() as session,
    ):
        yield server, DqeClient(session, server.make_url("/"))


async def error_of(dqe: DqeClient, token: str) -> str | None:
    reply = await dqe.idmobile(token, NUMBER, "numVerify")
    assert reply.status == 200
    return reply.error_id


def rewrite_in_place(path: Path, text: str, chunks: int = 4) -> None:
    """What `generate > file` does: truncate, then write in pieces, each visible on disk."""
    step = max(1, len(text) // chunks)
    with path.open("w", encoding="utf-8") as stream:  # truncates: the file is empty now
        stream.flush()
        for start in range(0, len(text), step):
            stream.write(text[start : start + step])
            stream.flush()


class Poller:
    """Polls /IDMOBILE/ for NUMBER until stopped, keeping every answer."""

    def __init__(self, dqe: DqeClient, token: str) -> None:
        self.dqe, self.token = dqe, token
        self.answers: list[str | None] = []
        self.stop = asyncio.Event()

    async def run(self) -> None:
        while not self.stop.is_set():
            self.answers.append(await error_of(self.dqe, self.token))


async def test_rewrites_in_place_never_serve_the_built_in_path(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(OLD, encoding="utf-8")
    settings = Settings(seed=3, frozen_clock=True, scenario_paths=(path,), watch=True)
    async with serve(settings) as (server, dqe):
        signal, registry = server.app[RELOADS], server.app[STATE].registry
        poller = Poller(dqe, await dqe.token())
        polling = asyncio.create_task(poller.run())
        failed_on = []
        for index in range(HELD_REWRITES):
            text = NEW if index % 2 == 0 else OLD
            generation = registry.generation
            with path.open("w", encoding="utf-8") as stream:  # truncated: empty on disk
                for part in (text[: len(text) // 2], text[len(text) // 2 :]):
                    # Hold this state until the watcher has tried to load it.
                    attempts = signal.attempts
                    stream.flush()
                    await signal.wait_beyond(attempts, within=WITHIN)
                    failed_on.append(registry.last_reload.errors)
                    stream.write(part)
            await signal.wait_until(lambda s, g=generation: registry.generation > g, within=WITHIN)
        # A burst of fast rewrites in another thread, while the poller goes on.
        await asyncio.to_thread(lambda: [rewrite_in_place(path, t) for t in [NEW, OLD] * 10])
        final = registry.generation
        path.write_text(NEW, encoding="utf-8")
        await signal.wait_until(lambda s: registry.generation > final, within=WITHIN)
        poller.stop.set()
        await polling
        # Each state the loader met was refused: empty, then half a document.
        assert all("the document is empty" in e for e in failed_on[0::2]), failed_on
        assert all("YAML syntax" in e for e in failed_on[1::2]), failed_on
        # Every answer came from a complete set, the old file or the new one; never from
        # the built-in catch-all (which answers this number with no error at all).
        assert len(poller.answers) >= HELD_REWRITES
        assert set(poller.answers) <= {"15", "16"}, poller.answers
        assert await error_of(dqe, poller.token) == "16"


async def test_an_empty_file_keeps_the_last_set(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(OLD, encoding="utf-8")
    settings = Settings(seed=3, frozen_clock=True, scenario_paths=(path,), watch=True)
    async with serve(settings) as (server, dqe):
        token = await dqe.token()
        signal, registry = server.app[RELOADS], server.app[STATE].registry
        generation, attempts = registry.generation, signal.attempts
        path.write_text("", encoding="utf-8")
        await signal.wait_beyond(attempts, within=WITHIN)
        assert registry.last_reload.errors == f"{path}:1: the document is empty"
        assert registry.generation == generation
        assert await error_of(dqe, token) == "15"


def test_validate_reports_an_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    assert capsys.readouterr().err == f"{path}:1: the document is empty\n"


async def test_other_files_in_a_watched_directory_do_not_reload(tmp_path: Path) -> None:
    directory = tmp_path / "scenarios"
    directory.mkdir()
    (directory / "shop.yaml").write_text(OLD, encoding="utf-8")
    settings = Settings(seed=3, frozen_clock=True, scenario_paths=(directory,), watch=True)
    async with serve(settings) as (server, dqe):
        token = await dqe.token()
        signal, registry = server.app[RELOADS], server.app[STATE].registry
        for round_ in range(3):
            attempts, ignored, generation = signal.attempts, signal.ignored, registry.generation
            (directory / "mock.log").write_text(f"log line {round_}\n", encoding="utf-8")
            (directory / "notes.txt").write_text("x", encoding="utf-8")
            # The watcher saw the change (positive evidence), and did not reload.
            await signal.wait_until(lambda s, seen=ignored: s.ignored > seen, within=WITHIN)
            assert (signal.attempts, registry.generation) == (attempts, generation)
        # Positive control: a scenario file written into the same directory reloads.
        attempts = signal.attempts
        (directory / "zz-more.yml").write_text(NEW, encoding="utf-8")
        await signal.wait_beyond(attempts, within=WITHIN)
        assert registry.last_reload.ok
        assert await error_of(dqe, token) == "16"


async def test_polling_mode_reloads(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(OLD, encoding="utf-8")
    settings = Settings(
        seed=3, frozen_clock=True, scenario_paths=(path,), watch=True, watch_poll=True
    )
    async with serve(settings) as (server, dqe):
        token = await dqe.token()
        assert await error_of(dqe, token) == "15"
        registry, signal = server.app[STATE].registry, server.app[RELOADS]
        generation = registry.generation
        deadline = time.monotonic() + WITHIN
        # The poller takes its first look at the files in its own thread, with no signal
        # that it has: a write before that look is not a change to it. Write again until
        # one is seen, within the deadline.
        for attempt in range(100):
            path.write_text(NEW + f"# write {attempt}\n", encoding="utf-8")
            with contextlib.suppress(TimeoutError):
                await signal.wait_until(lambda s: registry.generation > generation, within=1.0)
                break
            assert time.monotonic() < deadline, "no reload in polling mode"
        assert await error_of(dqe, token) == "16"


def test_a_single_file_is_watched_itself_and_through_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(OLD, encoding="utf-8")
    other = tmp_path / "more"
    other.mkdir()
    assert watched_paths([path, other]) == sorted([path, tmp_path, other])


class FakeRegistry:
    """Records loads and swaps; each load answers the next text of `sets`."""

    def __init__(self) -> None:
        self.loads = 0
        self.swapped: list[ScenarioSet | str] = []

    def load(self) -> ScenarioSet | str:
        self.loads += 1
        return ScenarioSet(sources=(f"load {self.loads}",))

    def swap(self, loaded: ScenarioSet | str) -> ReloadReport:
        self.swapped.append(loaded)
        return ReloadReport(not isinstance(loaded, str), len(self.swapped), "")


def digests(*values: bytes) -> Callable[[], Awaitable[bytes]]:
    queue = list(values)

    async def read() -> bytes:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return read


async def no_sleep(_: float) -> None:
    return None


async def test_settle_waits_for_the_same_content_twice() -> None:
    registry = FakeRegistry()
    # Empty, half, then the whole file twice: loaded once, after it read the same.
    report = await reload_settled(registry, digests(b"", b"half", b"whole"), 0.2, 5.0, no_sleep)
    assert report.ok
    assert registry.loads == 1
    assert registry.swapped == [ScenarioSet(sources=("load 1",))]


async def test_a_load_during_which_the_file_changed_is_discarded() -> None:
    registry = FakeRegistry()
    # Stable ("a", "a"), but "b" after the load: that load is thrown away; "b" then settles.
    report = await reload_settled(registry, digests(b"a", b"a", b"b", b"b"), 0.2, 5.0, no_sleep)
    assert report.ok
    assert registry.loads == 2
    assert registry.swapped == [ScenarioSet(sources=("load 2",))]


async def test_files_that_never_settle_keep_the_last_set() -> None:
    registry = FakeRegistry()
    counter = iter(range(1000))

    async def always_new() -> bytes:
        return str(next(counter)).encode()

    report = await reload_settled(registry, always_new, 0.2, 1.0, no_sleep)
    assert not report.ok
    assert registry.loads == 0
    assert len(registry.swapped) == 1
    assert "still changing" in str(registry.swapped[0])
