"""Bounded memo caches of the pure steps of a request, and one way to empty them all.

A client sends the same few values again and again (a poll, a retry, a load test): folding a
name, scoring user_infos against a record, parsing a phone number cost a lookup the second
time. Every cache here is bounded (functools.lru_cache); `clear()` empties them, for a test
that counts what a session keeps apart from these bounded caches.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])
_CLEARERS: list[Callable[[], None]] = []


def memoised(maxsize: int) -> Callable[[_F], _F]:
    """functools.lru_cache(maxsize) whose cache `clear()` also empties.

    The function must be pure and its arguments hashable; what it returns is shared between
    calls with equal arguments, so it must not be mutated by callers.
    """

    def decorate(function: _F) -> _F:
        cached = lru_cache(maxsize=maxsize)(function)
        _CLEARERS.append(cached.cache_clear)
        return cached  # type: ignore[return-value]

    return decorate


def clear() -> None:
    """Empty every cache made by memoised()."""
    for clear_one in _CLEARERS:
        clear_one()
