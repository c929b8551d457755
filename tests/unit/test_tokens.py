"""Access tokens (domain/tokens.py): lifetime, validity, eviction, reset.

Oracles: the token page documents `expires_in` as the token's lifetime in seconds
(docs/contract-notes.md, "HTTP status": `"300"`), as OAuth 2 does (RFC 6749 §5.1); a token issued at
t with lifetime L is usable while less than L seconds have passed, and error 30 from t + L on
(README "Magic numbers": licence 100004's tokens live 5 s, then error 30). Eviction rules:
docs/limits.md "State, stopping and safe methods" (the token that expired first is forgotten, else
the oldest).
"""

from __future__ import annotations

import re

import pytest

from mockserver.domain.tokens import AccessToken, TokenStore

TOKEN = re.compile(r"^TK[0-9a-f]{40}$")  # "TK" and 160 random bits in hex
REFRESH = re.compile(r"^\*TK[0-9a-f]{40}$")


def test_a_token_carries_what_it_was_issued_with() -> None:
    token, refresh, gone = TokenStore(seed=1).issue("100001", now=10.0, ttl=300, namespace="ns")
    assert (token.licence, token.issued_at, token.expires_at, token.namespace) == (
        "100001",
        10.0,
        310.0,
        "ns",
    )
    assert token.ttl == 300
    assert TOKEN.match(token.value)
    assert REFRESH.match(refresh)
    assert gone == []


def test_the_default_namespace_is_default() -> None:
    token, _, _ = TokenStore(seed=1).issue("100001", now=0.0, ttl=5)
    assert token.namespace == "default"
    assert AccessToken("v", "l", 0.0, 1.0).namespace == "default"


@pytest.mark.parametrize(
    ("elapsed", "usable"),
    [(0.0, True), (4.0, True), (4.999, True), (5.0, False), (5.001, False), (60.0, False)],
)
def test_a_token_lives_exactly_its_lifetime(elapsed: float, usable: bool) -> None:
    store = TokenStore(seed=1)
    token, _, _ = store.issue("100004", now=100.0, ttl=5)
    assert token.valid_at(100.0 + elapsed) is usable
    assert (store.valid(token.value, "100004", 100.0 + elapsed) is token) is usable


def test_ttl_is_the_lifetime_rounded_to_whole_seconds() -> None:
    assert AccessToken("v", "l", issued_at=0.25, expires_at=300.75).ttl == 300  # round(300.5)
    assert AccessToken("v", "l", issued_at=0.0, expires_at=299.6).ttl == 300


@pytest.mark.parametrize("limit", [0, -1])
def test_a_store_holds_at_least_one_token(limit: int) -> None:
    with pytest.raises(ValueError, match=f"limit must be 1 or more, not {limit}"):
        TokenStore(limit=limit)


def test_a_store_of_one_keeps_the_latest() -> None:
    store = TokenStore(seed=1, limit=1)
    first, _, _ = store.issue("L", now=0.0, ttl=300)
    second, _, gone = store.issue("L", now=1.0, ttl=300)
    assert gone == [first.value]
    assert store.all() == [second]
    assert store.evicted == 1


def test_values_are_distinct_and_reproducible_from_the_seed() -> None:
    def values(store: TokenStore) -> list[str]:
        issued = [store.issue("L", now=0.0, ttl=60) for _ in range(3)]
        return [v for token, refresh, _ in issued for v in (token.value, refresh)]

    first, again, other = (
        values(TokenStore(seed=5)),
        values(TokenStore(seed=5)),
        values(TokenStore(seed=6)),
    )
    assert first == again
    assert len(set(first)) == 6
    many = [TokenStore().issue("L", now=0.0, ttl=60) for _ in range(32)]
    assert all(TOKEN.match(t.value) and REFRESH.match(r) for t, r, _ in many)  # 40 hex digits
    assert set(first).isdisjoint(other)
    assert values(TokenStore()) != values(TokenStore())  # unseeded: 160 fresh bits each


def test_get_finds_expired_tokens_too() -> None:
    store = TokenStore(seed=1)
    token, _, _ = store.issue("L", now=0.0, ttl=5)
    assert store.get(token.value) is token
    assert store.valid(token.value, "L", 10.0) is None
    assert store.get(token.value) is token
    assert store.get("TK" + "0" * 40) is None


def test_valid_checks_licence_and_namespace() -> None:
    store = TokenStore(seed=1)
    token, _, _ = store.issue("L", now=0.0, ttl=60, namespace="a")
    assert store.valid(token.value, "L", 1.0) is token
    assert store.valid(token.value, "L", 1.0, namespace="a") is token
    assert store.valid(token.value, "M", 1.0) is None
    assert store.valid(token.value, "L", 1.0, namespace="b") is None
    assert store.valid("unknown", "L", 1.0) is None


def test_past_the_limit_the_oldest_goes_when_none_expired() -> None:
    store = TokenStore(seed=1, limit=2)
    a, _, _ = store.issue("L", now=0.0, ttl=60)
    b, _, _ = store.issue("L", now=1.0, ttl=60)
    c, _, gone = store.issue("L", now=2.0, ttl=60)
    assert gone == [a.value]
    assert store.all() == [b, c]
    assert len(store) == 2
    assert store.evicted == 1


def test_past_the_limit_the_token_that_expired_first_goes() -> None:
    store = TokenStore(seed=1, limit=3)
    old, _, _ = store.issue("L", now=0.0, ttl=60)  # expires at 60
    late, _, _ = store.issue("L", now=1.0, ttl=30)  # expires at 31
    early, _, _ = store.issue("L", now=2.0, ttl=20)  # expires at 22
    _, _, gone = store.issue("L", now=40.0, ttl=60)  # late and early have expired
    assert gone == [early.value]
    _, _, gone = store.issue("L", now=41.0, ttl=60)
    assert gone == [late.value]
    _, _, gone = store.issue("L", now=42.0, ttl=60)  # none expired: the oldest
    assert gone == [old.value]
    assert store.evicted == 3


def test_a_token_expiring_now_counts_as_expired_for_eviction() -> None:
    store = TokenStore(seed=1, limit=2)
    old, _, _ = store.issue("L", now=0.0, ttl=100)
    ending, _, _ = store.issue("L", now=1.0, ttl=9)  # expires at 10
    _, _, gone = store.issue("L", now=10.0, ttl=100)
    assert gone == [ending.value]
    assert store.get(old.value) is old


def test_eviction_skips_queue_entries_of_forgotten_tokens() -> None:
    store = TokenStore(seed=1, limit=2)
    a, _, _ = store.issue("L", now=0.0, ttl=10)
    store.prune(before=11.0)  # a goes; its queue entry too
    b, _, _ = store.issue("L", now=12.0, ttl=10)  # expires at 22
    c, _, _ = store.issue("L", now=13.0, ttl=50)
    _, _, gone = store.issue("L", now=30.0, ttl=50)
    assert gone == [b.value]
    assert store.get(a.value) is None
    assert store.get(c.value) is c


def test_prune_forgets_tokens_expired_before_the_time_given() -> None:
    store = TokenStore(seed=1)
    a, _, _ = store.issue("L", now=0.0, ttl=10)  # expires at 10
    b, _, _ = store.issue("L", now=0.0, ttl=20)  # expires at 20
    c, _, _ = store.issue("L", now=0.0, ttl=30)
    assert store.prune(before=20.0) == [a.value]  # b expires at 20, not before it
    assert store.prune(before=20.5) == [b.value]
    assert store.all() == [c]
    assert store.prune(before=20.5) == []


def test_reset_of_a_namespace_keeps_the_others_and_eviction_order() -> None:
    store = TokenStore(seed=1, limit=3)
    mine, _, _ = store.issue("L", now=0.0, ttl=60, namespace="mine")
    old, _, _ = store.issue("L", now=1.0, ttl=60)
    short, _, _ = store.issue("L", now=2.0, ttl=5)  # expires at 7
    assert store.reset("mine") == [mine.value]
    assert store.all() == [old, short]
    store.issue("L", now=3.0, ttl=60)
    _, _, gone = store.issue("L", now=10.0, ttl=60)
    assert gone == [short.value]
    _, _, gone = store.issue("L", now=11.0, ttl=60)
    assert gone == [old.value]


def test_reset_of_a_namespace_leaves_the_generator_running() -> None:
    store = TokenStore(seed=3)
    first, _, _ = store.issue("L", now=0.0, ttl=60, namespace="x")
    store.reset("x")
    second, _, _ = store.issue("L", now=0.0, ttl=60, namespace="x")
    assert second.value != first.value


def test_reset_forgets_everything_and_restarts_the_generator() -> None:
    store = TokenStore(seed=3, limit=2)
    a, ra, _ = store.issue("L", now=0.0, ttl=60)
    b, _, _ = store.issue("L", now=0.0, ttl=5)
    assert store.reset() == [a.value, b.value]
    assert len(store) == 0
    assert store.all() == []
    again, rb, gone = store.issue("L", now=0.0, ttl=60)
    assert (again.value, rb, gone) == (a.value, ra, [])
    store.issue("L", now=1.0, ttl=60)
    _, _, gone = store.issue("L", now=100.0, ttl=60)  # no stale entry of b is picked
    assert gone == [again.value]
