"""Time for the domain: a clock object, never time.time() inside the domain."""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    """Seconds on a monotonic scale, plus an offset that tests and the admin API can advance.

    With `frozen=True` time stands still until advanced: tests of pending and expiry then
    need no sleeps at all.
    """

    def __init__(self, source: Callable[[], float] = time.monotonic, frozen: bool = False) -> None:
        self._source = source
        self._frozen_at: float | None = source() if frozen else None
        self._offset = 0.0

    def now(self) -> float:
        """The current time in seconds."""
        base = self._frozen_at if self._frozen_at is not None else self._source()
        return base + self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward by `seconds` (never backward); return the new now()."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds
        return self.now()

    def reset(self) -> None:
        """Drop every advance."""
        self._offset = 0.0
