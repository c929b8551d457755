"""A condition that reload attempts notify, so waiting needs no sleep."""

from __future__ import annotations

import asyncio


class ReloadSignal:
    """Lets tests and tools wait for the next reload attempt instead of sleeping."""

    def __init__(self) -> None:
        self.attempts = 0
        self._changed = asyncio.Condition()

    async def notify(self) -> None:
        """A reload attempt finished."""
        async with self._changed:
            self.attempts += 1
            self._changed.notify_all()

    async def wait_beyond(self, attempts: int, within: float) -> int:
        """Wait until more than `attempts` reloads were attempted; TimeoutError after `within` s."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: self.attempts > attempts)
        return self.attempts
