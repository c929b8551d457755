"""Hot reload: watch scenario files and reload; a broken file never loses the last good set.

Only changes to scenario files count (a file given by path, or a *.yaml / *.yml directly in
a given directory). A reload waits until the files' contents stop changing (the same digest
SETTLE_SECONDS apart), loads a complete new set in a worker thread, and swaps it in only if
the files did not change during the load; an empty or half-written file is an error that
keeps the last good set.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Protocol

from aiohttp import web
from watchfiles import awatch

from mockserver.domain.loading import (
    ScenarioFileError,
    directory_files,
    is_scenario_file,
    open_regular,
)
from mockserver.domain.registry import ReloadReport
from mockserver.domain.scenarios import ScenarioSet
from mockserver.http.keys import RELOADS, SETTINGS, STATE

log = logging.getLogger("dqe_mock.reload")
# watchfiles logs "N changes detected" at INFO for every change it sees, ours to ignore too:
# with the server's log written into a watched directory, each line would announce the next.
logging.getLogger("watchfiles").setLevel(logging.WARNING)
DEBOUNCE_MS = 150
# A change is loaded once the files read the same twice, this many seconds apart.
SETTLE_SECONDS = 0.2
# Files still changing after this long are reported, and the last good set kept.
SETTLE_LIMIT_SECONDS = 5.0
# --watch-poll: how often the files are looked at, in milliseconds.
POLL_DELAY_MS = 300


class Reloadable(Protocol):
    """What a reload needs of the registry (ScenarioRegistry)."""

    def load(self) -> ScenarioSet | str: ...

    def swap(self, loaded: ScenarioSet | str) -> ReloadReport: ...


def watched_paths(paths: Iterable[Path]) -> list[Path]:
    """What to watch: each directory, each file and each file's directory.

    The directory sees an editor replace a file by renaming; the file itself is the only way
    to see writes to a single file bind-mounted into a container (its directory is another
    mount and hears nothing).
    """
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.add(path)
        elif path.exists():
            found |= {path, path.parent}
    return sorted(found)


def relevance(paths: Iterable[Path]) -> Callable[[Path], bool]:
    """A test of a changed path: is it one of the scenario files the server loads?"""
    given = [p for p in paths]
    files = {form for p in given if not p.is_dir() for form in (p.absolute(), p.resolve())}
    dirs = {form for p in given if p.is_dir() for form in (p.absolute(), p.resolve())}

    def relevant(changed: Path) -> bool:
        return changed in files or (changed.parent in dirs and is_scenario_file(changed))

    return relevant


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    """The files a load reads: each file given, and the scenario files of each directory."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += directory_files(path)
        else:
            found.append(path)
    return found


def digest(paths: Iterable[Path], max_bytes: int) -> bytes:
    """One digest of the scenario files' names and contents (at most `max_bytes` + 1 each)."""
    hasher = hashlib.blake2b(digest_size=16)
    for path in scenario_files(paths):
        hasher.update(str(path).encode("utf-8", "surrogateescape") + b"\0")
        try:
            with os.fdopen(open_regular(path), "rb") as stream:  # a FIFO would block
                hasher.update(stream.read(max_bytes + 1))
        except OSError as exc:
            hasher.update(f"unreadable: {exc.errno}".encode())
        except ScenarioFileError:
            hasher.update(b"not a regular file")
        hasher.update(b"\0")
    return hasher.digest()


async def reload_settled(
    registry: Reloadable,
    read_digest: Callable[[], Awaitable[bytes]],
    settle: float = SETTLE_SECONDS,
    limit: float = SETTLE_LIMIT_SECONDS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> ReloadReport:
    """Load the files once they stop changing, and swap the new set in.

    The files must read the same `settle` seconds apart, and again once the load is done,
    or the load is discarded and the wait starts over; after `limit` seconds of changes the
    reload is reported failed, and the last good set stays.
    """
    waited = 0.0
    before = await read_digest()
    while waited < limit:
        await sleep(settle)
        waited += settle
        current = await read_digest()
        if current != before:
            before = current
            continue
        loaded = await asyncio.to_thread(registry.load)
        before = await read_digest()
        if before == current:
            return registry.swap(loaded)
    return registry.swap(
        f"the scenario files were still changing after {limit:g} s; not loaded (the last "
        "good set keeps serving)"
    )


async def _watch(app: web.Application, stop: asyncio.Event) -> None:
    settings = app[SETTINGS]
    paths = settings.scenario_paths
    relevant = relevance(paths)
    signal = app[RELOADS]

    async def read_digest() -> bytes:
        return await asyncio.to_thread(digest, paths, settings.max_document_bytes)

    async for changes in awatch(
        *watched_paths(paths),
        debounce=DEBOUNCE_MS,
        step=50,
        stop_event=stop,
        force_polling=True if settings.watch_poll else None,
        poll_delay_ms=POLL_DELAY_MS,
    ):
        if not any(relevant(Path(name)) for _, name in changes):
            await signal.ignore()
            continue
        report = await reload_settled(app[STATE].registry, read_digest)
        if report.ok:
            log.info("scenarios reloaded (generation %s)", report.generation)
        else:
            log.error("scenario reload failed; still serving the last good set:\n%s", report.errors)
        await signal.notify()


async def watch_scenarios(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: run the watcher while the app runs (when watching is on)."""
    settings = app[SETTINGS]
    if not settings.watch or not settings.scenario_paths:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(_watch(app, stop))
    yield
    stop.set()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
