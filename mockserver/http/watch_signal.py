"""A condition that reload attempts notify, so waiting needs no sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class ReloadSignal:
    """Lets tests and tools wait for the next reload attempt instead of sleeping.

    `attempts` counts reloads tried (each a load of the files, good or bad); `ignored` counts
    batches of file changes the watcher saw and ignored (no scenario file among them).
    """

    def __init__(self) -> None:
        self.attempts = 0
        self.ignored = 0
        self._changed = asyncio.Condition()

    async def notify(self) -> None:
        """A reload attempt finished."""
        async with self._changed:
            self.attempts += 1
            self._changed.notify_all()

    async def ignore(self) -> None:
        """The watcher saw changes, none of them to a scenario file, and did not reload."""
        async with self._changed:
            self.ignored += 1
            self._changed.notify_all()

    async def wait_beyond(self, attempts: int, within: float) -> int:
        """Wait until more than `attempts` reloads were attempted; TimeoutError after `within` s."""
        await self.wait_until(lambda s: s.attempts > attempts, within)
        return self.attempts

    async def wait_until(self, condition: Callable[[ReloadSignal], bool], within: float) -> None:
        """Wait until `condition(self)` holds; TimeoutError after `within` seconds."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: condition(self))
