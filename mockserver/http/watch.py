"""Hot reload: watch scenario files and reload; a broken file never loses the last good set."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from watchfiles import awatch

from mockserver.http.keys import RELOADS, SETTINGS, STATE

log = logging.getLogger("dqe_mock.reload")
DEBOUNCE_MS = 150


def _watched(paths: tuple[Path, ...]) -> list[Path]:
    # Watch directories (editors replace files by renaming, which a file watch would miss).
    return sorted({p if p.is_dir() else p.parent for p in paths if p.exists()})


async def _watch(app: web.Application, stop: asyncio.Event) -> None:
    paths = app[SETTINGS].scenario_paths
    wanted = {p.absolute() for p in paths}
    async for changes in awatch(*_watched(paths), debounce=DEBOUNCE_MS, step=50, stop_event=stop):
        touched = {Path(name) for _, name in changes}
        if not any(t in wanted or t.parent in wanted for t in touched):
            continue
        report = app[STATE].registry.reload()
        if report.ok:
            log.info("scenarios reloaded (generation %s)", report.generation)
        else:
            log.error("scenario reload failed; still serving the last good set:\n%s", report.errors)
        await app[RELOADS].notify()


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
