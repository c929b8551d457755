"""`--state`: what is accepted, what is refused, and that a password never shows (a table
written by hand: the URL forms redis-py documents for Redis.from_url)."""

from __future__ import annotations

import pytest

from mockserver.store.url import StateUrlError, parse_state_url

SHOWN = [
    ("memory", "memory"),
    ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ("redis://redis", "redis://redis"),
    ("rediss://cache.example:6380/2", "rediss://cache.example:6380/2"),
    ("redis://:secretpw@127.0.0.1:1/0", "redis://:***@127.0.0.1:1/0"),
    ("redis://mock:secretpw@127.0.0.1:1/0", "redis://mock:***@127.0.0.1:1/0"),
    # redis-py also reads the password from the query string.
    ("redis://127.0.0.1:1/0?password=secretpw", "redis://127.0.0.1:1/0?password=***"),
    ("redis://127.0.0.1:1/0?db=1&PASSWORD=secretpw", "redis://127.0.0.1:1/0?db=1&PASSWORD=***"),
    ("unix:///run/redis.sock?db=3&password=secretpw", "unix:///run/redis.sock?db=3&password=***"),
]


@pytest.mark.parametrize(("given", "shown"), SHOWN)
def test_the_url_is_kept_and_shown_without_its_password(given: str, shown: str) -> None:
    parsed = parse_state_url(given)
    assert parsed.url == given
    assert parsed.shown == shown
    assert "secretpw" not in parsed.shown


REFUSED = [
    "foo://127.0.0.1:1/0",
    "127.0.0.1:6379",
    "redis://:6379/0",
    "redis://host:99999/0",
    "redis://host:0/0",
    "redis://host:1/16",
    "redis://host:1/x",
    "unix://",
    "",
]


@pytest.mark.parametrize("given", REFUSED)
def test_what_names_no_store_is_refused_saying_what_is_accepted(given: str) -> None:
    with pytest.raises(StateUrlError) as refused:
        parse_state_url(given)
    assert "expected `memory` or a Redis URL" in str(refused.value) or "database" in str(
        refused.value
    )


@pytest.mark.parametrize(
    "given",
    [
        "redis://:secretpw@host:99999/0",
        # @, : and / in a password not percent-encoded: no URL, and hidden whole.
        "redis://:secretpw@ss:w/rd@127.0.0.1:1/0",
    ],
)
def test_a_refusal_never_shows_the_password(given: str) -> None:
    with pytest.raises(StateUrlError) as refused:
        parse_state_url(given)
    assert "secretpw" not in str(refused.value)
    assert "ss:w/rd" not in str(refused.value)
