"""The domain's clock (domain/clock.py): a source, offsets for everyone or one key, freezing.

Oracles: docs/admin-api.md (time is advanced through the admin API, never
backwards; advancing a token's time touches nobody else) and hand-computed sums.
"""

from __future__ import annotations

import pytest

from mockserver.domain.clock import DEFAULT_MAX_KEYS, Clock


class Source:
    """A hand-driven time source."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_a_running_clock_follows_its_source() -> None:
    source = Source(100.5)
    clock = Clock(source)
    assert clock.now() == 100.5
    source.at = 107.25
    assert clock.now() == 107.25


def test_a_frozen_clock_starts_at_a_whole_second_and_stands_still() -> None:
    source = Source(100.75)
    clock = Clock(source, frozen=True)
    assert clock.now() == 100.0
    source.at = 500.0
    assert clock.now() == 100.0
    assert clock.advance(29) + 1 - 100.0 == 30.0  # lands on the boundary exactly


def test_advance_moves_everyone_and_returns_the_new_time() -> None:
    clock = Clock(Source(10.0), frozen=True)
    assert clock.advance(5) == 15.0
    assert clock.advance(2.5) == 17.5
    assert clock.now("any-key") == 17.5
    assert clock.advance(0) == 17.5


def test_advancing_a_key_moves_only_that_key() -> None:
    clock = Clock(Source(10.0), frozen=True)
    assert clock.advance(5, key="TKa") == 15.0
    assert clock.advance(1, key="TKa") == 16.0
    assert clock.now() == 10.0
    assert clock.now("TKb") == 10.0
    clock.advance(2)
    assert (clock.now(), clock.now("TKa"), clock.now("TKb")) == (12.0, 18.0, 12.0)
    assert clock.keys() == 1


def test_the_clock_never_goes_back() -> None:
    clock = Clock(Source(10.0), frozen=True)
    with pytest.raises(ValueError, match=r"^the clock only moves forward$"):
        clock.advance(-0.5)
    with pytest.raises(ValueError, match=r"^the clock only moves forward$"):
        clock.advance(-1, key="TKa")
    assert clock.now() == 10.0
    assert clock.keys() == 0


def test_past_max_keys_the_key_advanced_longest_ago_loses_its_offset() -> None:
    clock = Clock(Source(0.0), frozen=True, max_keys=2)
    clock.advance(1, key="a")
    clock.advance(2, key="b")
    clock.advance(3, key="a")  # a is now the latest advanced
    clock.advance(4, key="c")  # b goes
    assert clock.keys() == 2
    assert (clock.now("a"), clock.now("b"), clock.now("c")) == (4.0, 0.0, 4.0)


def test_max_keys_is_bounded_by_default_as_tokens_are() -> None:
    assert Clock().max_keys == DEFAULT_MAX_KEYS == 100_000


def test_forget_drops_one_key() -> None:
    clock = Clock(Source(0.0), frozen=True)
    clock.advance(3, key="a")
    clock.advance(4, key="b")
    clock.forget("a")
    clock.forget("never-advanced")
    assert (clock.now("a"), clock.now("b"), clock.keys()) == (0.0, 4.0, 1)


def test_reset_drops_every_advance_but_not_the_frozen_base() -> None:
    clock = Clock(Source(50.0), frozen=True)
    clock.advance(10)
    clock.advance(5, key="a")
    clock.reset()
    assert (clock.now(), clock.now("a"), clock.keys()) == (50.0, 50.0, 0)


def test_the_default_source_is_monotonic_time() -> None:
    clock = Clock()
    first = clock.now()
    assert clock.now() >= first
    frozen = Clock(frozen=True)
    assert frozen.now() == int(frozen.now())
