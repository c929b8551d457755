"""Time for the domain: a clock object, never time.time() inside the domain."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from mockserver.domain.tokens import DEFAULT_MAX_TOKENS

# Keys (tokens) with an offset of their own, at most: as many as tokens are kept.
DEFAULT_MAX_KEYS = DEFAULT_MAX_TOKENS


class Clock:
    """Seconds on a monotonic scale, plus offsets that tests and the admin API can advance.

    An offset is global, or belongs to one key (a token): advancing a token's time expires
    that token, or ends its session's pending, without touching anyone else's.
    With `frozen=True` time stands still until advanced: tests need no sleeps at all.
    At most `max_keys` keys keep an offset: past it, the key advanced longest ago loses its.
    """

    def __init__(
        self,
        source: Callable[[], float] = time.monotonic,
        frozen: bool = False,
        max_keys: int = DEFAULT_MAX_KEYS,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._source = source
        # Unix time minus this clock's reading at start: what utc() adds to a reading.
        self._to_unix = wall() - source()
        self.max_keys = max_keys
        # A whole number of seconds: `frozen + 29 + 1 - frozen` is then exactly 30.0, so a
        # test that advances to a boundary lands on it (a fractional base rounds it away).
        self._frozen_at: float | None = float(math.floor(source())) if frozen else None
        self._offset = 0.0
        self._key_offsets: dict[str, float] = {}

    def now(self, key: str | None = None) -> float:
        """The current time in seconds (as seen by `key`, when given)."""
        base = self._frozen_at if self._frozen_at is not None else self._source()
        extra = self._key_offsets.get(key, 0.0) if key is not None else 0.0
        return base + self._offset + extra

    def advance(self, seconds: float, key: str | None = None) -> float:
        """Move time forward by `seconds` (for everyone, or for `key`); return the new now()."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        if key is None:
            self._offset += seconds
        else:
            self._key_offsets[key] = self._key_offsets.pop(key, 0.0) + seconds
            while len(self._key_offsets) > self.max_keys:
                del self._key_offsets[next(iter(self._key_offsets))]
        return self.now(key)

    def install(self, offset: float, key: str | None = None, key_offset: float = 0.0) -> None:
        """Hold the offsets a shared store (mockserver/store/) read: the global one, and
        `key`'s own when given (0 forgets it)."""
        self._offset = offset
        if key is not None:
            if key_offset:
                self._key_offsets[key] = key_offset
                while len(self._key_offsets) > self.max_keys:
                    del self._key_offsets[next(iter(self._key_offsets))]
            else:
                self._key_offsets.pop(key, None)

    def freeze_at(self, reading: float) -> None:
        """Stand still at `reading` (a frozen clock whose base processes sharing a store
        agree on); the advances stay."""
        self._frozen_at = reading

    @property
    def frozen(self) -> bool:
        """Does time stand still until advanced?"""
        return self._frozen_at is not None

    def utc(self, reading: float) -> str:
        """`HH:MM:SS UTC` of a reading of this clock: the wall time at start plus the time
        elapsed on this clock since (advances included, so it agrees with the mock's expiry)."""
        return time.strftime("%H:%M:%S UTC", time.gmtime(reading + self._to_unix))

    def keys(self) -> int:
        """How many keys have an offset of their own."""
        return len(self._key_offsets)

    def forget(self, key: str) -> None:
        """Drop the offset of one key."""
        self._key_offsets.pop(key, None)

    def reset(self) -> None:
        """Drop every advance."""
        self._offset = 0.0
        self._key_offsets.clear()
