"""Issue 10, item 2: slow or lying clients are answered or cut within the configured deadlines.

The server runs under GuardedRunner, as `dqe-mock serve` runs it, with deadlines of about a
second; each wait is bounded (asyncio.timeout), none is a sleep over a race.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest

from mockserver.cli import _parser, _settings, main
from mockserver.http.app import create_app
from mockserver.http.connection import GuardedHandler, GuardedRunner
from mockserver.settings import Settings
from tests.guarded import body_of, exchange, guarded, port_of, status_of

HEADER_TIMEOUT, BODY_TIMEOUT, KEEPALIVE_TIMEOUT = 1.0, 1.0, 2.0
SLACK = 3.0  # scheduling on a loaded 2-core CI machine
FORM = "application/x-www-form-urlencoded"
TOKEN_QUERY = "/ACCESS_TOKEN/?licence=100001&client_secret=demo-secret&grant_type=client_idmobile"


def settings(**changes: float) -> Settings:
    values = {"header_timeout": HEADER_TIMEOUT, "body_timeout": BODY_TIMEOUT,
              "keepalive_timeout": KEEPALIVE_TIMEOUT, **changes}  # fmt: skip
    return Settings(seed=7, frozen_clock=True, **values)  # type: ignore[arg-type]


@pytest.fixture
async def runner() -> AsyncIterator[GuardedRunner]:
    chosen = settings()
    async with guarded(create_app(chosen), chosen.header_timeout) as serving:
        yield serving


def post_head(length: int, path: str = "/IDMOBILE/") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


async def timed(port: int, data: bytes) -> tuple[float, bytes]:
    started = time.monotonic()
    answer = await exchange(port, data, within=10 * SLACK)
    return time.monotonic() - started, answer


async def test_the_runner_builds_guarded_connections(runner: GuardedRunner) -> None:
    # Pins the one private seam (AppRunner._make_server): if aiohttp changes it, this fails.
    assert runner.server is not None
    assert isinstance(runner.server(), GuardedHandler)


async def test_headers_then_no_body_gets_408_within_the_body_timeout(runner: GuardedRunner) -> None:
    elapsed, answer = await timed(port_of(runner), post_head(100))
    assert status_of(answer) == 408
    assert json.loads(body_of(answer))["error"] == "request_timeout"
    assert BODY_TIMEOUT * 0.9 <= elapsed <= BODY_TIMEOUT + SLACK


async def test_headers_that_never_end_get_408_within_the_header_timeout(
    runner: GuardedRunner,
) -> None:
    elapsed, answer = await timed(port_of(runner), b"POST /IDMOBILE/ HTTP/1.1\r\nHost: 1")
    assert status_of(answer) == 408
    assert "--header-timeout" in json.loads(body_of(answer))["error_description"]
    assert HEADER_TIMEOUT * 0.9 <= elapsed <= HEADER_TIMEOUT + SLACK


@pytest.mark.parametrize("path", ["/IDMOBILE/", "/ACCESS_TOKEN/", "/GET/", "/__admin/scenarios"])
async def test_a_lying_content_length_gets_413_at_once(path: str) -> None:
    # Long deadlines: the answer must come from the header alone, not from a timeout.
    chosen = settings(header_timeout=60, body_timeout=60)
    async with guarded(create_app(chosen), chosen.header_timeout) as serving:
        elapsed, answer = await timed(port_of(serving), post_head(10 * 1024**3, path))
    assert status_of(answer) == 413
    assert b"Connection: close" in answer
    assert json.loads(body_of(answer))["error"] == "request_too_large"
    assert elapsed < SLACK


async def test_an_idle_connection_is_closed_after_the_keepalive_timeout(
    runner: GuardedRunner,
) -> None:
    elapsed, answer = await timed(port_of(runner), b"")
    assert answer == b""
    assert KEEPALIVE_TIMEOUT * 0.9 <= elapsed <= KEEPALIVE_TIMEOUT + SLACK


async def test_the_header_deadline_starts_at_the_first_byte(runner: GuardedRunner) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(runner))
    try:
        # Idle for longer than the header timeout (but within keep-alive): not a slow request.
        await asyncio.sleep(HEADER_TIMEOUT * 1.3)
        writer.write(f"GET {TOKEN_QUERY} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await writer.drain()
        async with asyncio.timeout(SLACK):
            status_line = await reader.readline()
    finally:
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 200")


async def test_two_hundred_stalled_connections_are_all_released(runner: GuardedRunner) -> None:
    port = port_of(runner)
    stalled = [post_head(100) if i % 2 else b"GET /GET/?token=" for i in range(200)]
    started = time.monotonic()
    answers = await asyncio.gather(*(exchange(port, data, within=10 * SLACK) for data in stalled))
    elapsed = time.monotonic() - started
    assert [status_of(a) for a in answers] == [408] * 200
    assert elapsed <= max(HEADER_TIMEOUT, BODY_TIMEOUT) + 3 * SLACK
    assert runner.server is not None
    async with asyncio.timeout(SLACK):
        # Released on the server's side too; aiohttp signals nothing: poll, with a deadline.
        while runner.server.connections:  # noqa: ASYNC110
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("option", ["--header-timeout", "--body-timeout", "--keepalive-timeout"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "1e9", "soon"])
def test_the_cli_refuses_a_timeout_that_is_no_deadline(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", option, value])
    assert exited.value.code == 2
    assert option in capsys.readouterr().err


def test_the_cli_reads_the_deadlines_into_the_settings() -> None:
    args = _parser().parse_args(
        ["serve", "--header-timeout", "2.5", "--body-timeout", "3", "--keepalive-timeout", "4"]
    )
    chosen = _settings(args)
    assert (chosen.header_timeout, chosen.body_timeout, chosen.keepalive_timeout) == (2.5, 3, 4)
    defaults = _settings(_parser().parse_args(["serve"]))
    assert (defaults.header_timeout, defaults.body_timeout, defaults.keepalive_timeout) == (
        10,
        30,
        75,
    )  # docs/limits.md's table
