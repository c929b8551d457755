"""The real-Redis fixture itself (tests/redis_server.py): it answers, a clean stop keeps the
data for the next start, a kill loses what was not saved, and each test starts empty.

Expected values are Redis's documented replies (PING -> PONG, GET of a missing key -> nil).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from tests.redis_server import RedisServer, RedisServerMissing, command


def test_answers_ping_on_loopback(redis_server: RedisServer, redis_url: str) -> None:
    assert redis_url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert redis_server.port != 6379
    assert command(redis_server.port, "PING") == b"+PONG"
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.ping() is True
    finally:
        client.close()


def test_each_test_starts_empty_first(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.dbsize() == 0
        client.set("left-behind", "1")
    finally:
        client.close()


def test_each_test_starts_empty_second(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        assert client.dbsize() == 0
        client.set("left-behind", "1")
    finally:
        client.close()


def test_a_clean_stop_keeps_the_data(redis_server: RedisServer, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        client.set("kept", "across a restart")
    finally:
        client.close()
    redis_server.stop()
    assert not redis_server.running
    assert (redis_server.directory / "dump.rdb").is_file()
    redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert client.get("kept") == b"across a restart"
    finally:
        client.close()


def test_a_kill_loses_unsaved_data(redis_server: RedisServer, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        client.set("saved", "1")
        client.save()  # on disk from here
        client.set("unsaved", "1")
    finally:
        client.close()
    redis_server.kill()
    assert not redis_server.running
    redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    try:
        assert client.get("saved") == b"1"
        assert client.get("unsaved") is None
    finally:
        client.close()


def test_a_stopped_server_is_started_again_for_the_next_test(
    redis_server: RedisServer, redis_url: str
) -> None:
    redis_server.stop()
    assert not redis_server.running


def test_after_a_stop_the_fixture_restarts_it(redis_server: RedisServer, redis_url: str) -> None:
    assert redis_server.running
    assert command(redis_server.port, "PING") == b"+PONG"


def test_missing_redis_server_fails_saying_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no redis-server on it
    with pytest.raises(RedisServerMissing, match=r"`bash scripts/test` installs it"):
        RedisServer(tmp_path / "redis")
