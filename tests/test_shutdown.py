"""Stopping a real `dqe-mock serve` (and `proxy`) process with a request in flight.

SIGTERM and SIGINT stop accepting, let requests in flight finish within --shutdown-timeout,
cut what still runs then (a `hang` fault), and exit 0: Compose and Kubernetes read any other
status as a crash. Each test waits on the server's own log line saying the fault has started
(the request is in flight), never on a sleep.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from mockserver.cli import main
from mockserver.http.connection import CANCEL_GRACE
from tests.served import LISTENING, ROOT

TOKEN = {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": "100001"}
SLOW = """\
version: 1
faults:
  - id: slow-token
    endpoint: ACCESS_TOKEN
    kind: latency
    latency: {fixed: 1.5}
"""
HANG = """\
version: 1
faults:
  - id: stuck-token
    endpoint: ACCESS_TOKEN
    kind: hang
"""
WITHIN = 30.0  # seconds any step may take on a loaded machine before the test fails


@asynccontextmanager
async def cli(
    tmp_path: Path, *args: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str, Path]]:
    """`python -m mockserver ARGS --port 0`: the process, its url, its log file."""
    log = fresh_log(tmp_path)
    with log.open("w") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mockserver", *args, "--host", "127.0.0.1", "--port", "0",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=err,
        )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), WITHIN)).decode()
        found = LISTENING.search(line)
        assert found, (line, read(log))
        yield process, found.group(1), log
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def fresh_log(directory: Path) -> Path:
    directory.mkdir(exist_ok=True)
    return directory / "server.log"


def read(log: Path) -> str:
    return log.read_text(encoding="utf-8")


async def logged(log: Path, text: str) -> None:
    """Wait (polling, with a deadline) until the server's log contains `text`."""
    deadline = time.monotonic() + WITHIN
    while text not in read(log):
        assert time.monotonic() < deadline, f"{text!r} never logged:\n{read(log)}"
        await asyncio.sleep(0.02)


def scenarios(tmp_path: Path, document: str) -> str:
    path = tmp_path / "faults.yaml"
    path.write_text(document, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_request_in_flight_is_answered_and_the_exit_is_0(
    tmp_path: Path, signum: signal.Signals
) -> None:
    file = scenarios(tmp_path, SLOW)
    args = ("serve", "--no-watch", "--scenarios", file)
    async with cli(tmp_path, *args) as (process, url, log), aiohttp.ClientSession() as http:

        async def ask() -> tuple[int, dict[str, str]]:
            async with http.get(f"{url}/ACCESS_TOKEN/", params=TOKEN) as reply:
                return reply.status, await reply.json()

        in_flight = asyncio.create_task(ask())
        await logged(log, "fault slow-token (latency)")
        process.send_signal(signum)
        status, body = await asyncio.wait_for(in_flight, WITHIN)
        assert status == 200
        assert body["access_token"].startswith("TK")
        assert body["expires_in"] == "300"
        assert await asyncio.wait_for(process.wait(), WITHIN) == 0
    text = read(log)
    assert f"{signum.name}: stopping" in text
    assert "Traceback" not in text


async def test_a_hang_is_cut_at_the_deadline_and_the_exit_is_0(tmp_path: Path) -> None:
    file = scenarios(tmp_path, HANG)
    args = ("serve", "--no-watch", "--scenarios", file, "--shutdown-timeout", "1")
    async with cli(tmp_path, *args) as (process, url, log), aiohttp.ClientSession() as http:

        async def ask() -> int:
            async with http.get(f"{url}/ACCESS_TOKEN/", params=TOKEN) as reply:
                return reply.status

        in_flight = asyncio.create_task(ask())
        await logged(log, "fault stuck-token (hang)")
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), WITHIN) == 0
        took = time.monotonic() - signalled
        # The hang lasts 300 s; the process waited the 1 s grace, cut it, and left.
        assert 1.0 <= took < 10.0, took
        with pytest.raises(aiohttp.ClientError):
            await asyncio.wait_for(in_flight, WITHIN)
    assert "Traceback" not in read(log)


async def test_the_proxy_lets_a_request_in_flight_finish_too(tmp_path: Path) -> None:
    file = scenarios(tmp_path, SLOW)
    serve_args = ("serve", "--no-watch", "--scenarios", file)
    async with cli(tmp_path / "s", *serve_args) as (mock, upstream, _):
        proxy_args = ("proxy", "--upstream", upstream)
        async with (
            cli(tmp_path, *proxy_args) as (proxy, url, log),
            aiohttp.ClientSession() as http,
        ):

            async def ask() -> tuple[int, dict[str, str]]:
                async with http.get(f"{url}/ACCESS_TOKEN/", params=TOKEN) as reply:
                    return reply.status, await reply.json()

            in_flight = asyncio.create_task(ask())
            # The upstream's fault started: the proxy is waiting on it, request in flight.
            await logged(tmp_path / "s" / "server.log", "fault slow-token (latency)")
            proxy.send_signal(signal.SIGTERM)
            status, body = await asyncio.wait_for(in_flight, WITHIN)
            assert status == 200
            assert body["access_token"].startswith("TK")
            assert await asyncio.wait_for(proxy.wait(), WITHIN) == 0
        mock.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(mock.wait(), WITHIN) == 0
    assert "Traceback" not in read(log)


@pytest.mark.parametrize("command", ["serve", "proxy"])
def test_a_port_in_use_is_one_line_and_status_2(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        extra = ["--no-watch"] if command == "serve" else ["--upstream", "http://127.0.0.1:9"]
        assert main([command, "--host", "127.0.0.1", "--port", port, *extra]) == 2
    err = capsys.readouterr().err
    assert f"dqe-mock: cannot listen on 127.0.0.1:{port}:" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


# The stop may outlast --shutdown-timeout by connection.CANCEL_GRACE (a cancelled handler
# unwinding) plus the interpreter's exit (well under a second); 2 s more absorbs a loaded
# 2-core machine. aiohttp alone took 2T, and never stopped for T = 0.
STOP_MARGIN = CANCEL_GRACE + 2.0
HANG_ONE = """\
version: 1
faults:
  - id: h
    endpoint: ACCESS_TOKEN
    kind: hang
    licences: ["100002"]
"""
HUNG = {**TOKEN, "licence": "100002"}


@pytest.mark.parametrize("grace", [0, 1, 2])
async def test_a_hang_is_cut_at_the_deadline_not_twice_it(tmp_path: Path, grace: int) -> None:
    file = scenarios(tmp_path, HANG_ONE)
    args = ("serve", "--no-watch", "--scenarios", file, "--shutdown-timeout", str(grace))
    async with cli(tmp_path, *args) as (process, url, log), aiohttp.ClientSession() as http:

        async def ask() -> int:
            async with http.get(f"{url}/ACCESS_TOKEN/", params=HUNG) as reply:
                return reply.status

        in_flight = asyncio.create_task(ask())
        await logged(log, "fault h (hang)")
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), WITHIN) == 0
        took = time.monotonic() - signalled
        assert grace <= took < grace + STOP_MARGIN, took
        with pytest.raises(aiohttp.ClientError):
            await asyncio.wait_for(in_flight, WITHIN)
    text = read(log)
    assert "no longer accepting; 1 requests in flight" in text
    assert "Traceback" not in text


async def test_the_proxy_writes_its_report_after_a_cut_at_0(tmp_path: Path) -> None:
    file = scenarios(tmp_path, HANG_ONE)
    report = tmp_path / "report.json"
    serve_args = ("serve", "--no-watch", "--scenarios", file)
    async with cli(tmp_path / "s", *serve_args) as (mock, upstream, upstream_log):
        proxy_args = ("proxy", "--upstream", upstream, "--shutdown-timeout", "0")
        proxy_args += ("--report", str(report))
        async with (
            cli(tmp_path, *proxy_args) as (proxy, url, log),
            aiohttp.ClientSession() as http,
        ):

            async def ask() -> int:
                async with http.get(f"{url}/ACCESS_TOKEN/", params=HUNG) as reply:
                    return reply.status

            in_flight = asyncio.create_task(ask())
            await logged(upstream_log, "fault h (hang)")
            signalled = time.monotonic()
            proxy.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(proxy.wait(), WITHIN) == 0
            assert time.monotonic() - signalled < STOP_MARGIN
            with pytest.raises(aiohttp.ClientError):
                await asyncio.wait_for(in_flight, WITHIN)
        mock.kill()
        await mock.wait()
    assert "exchanges" in json.loads(report.read_text(encoding="utf-8"))
    assert "Traceback" not in read(log)


UPLOAD = b"licence=100001&token=x&name=A&scope=numVerify&number=0639980001abc"  # 66 bytes


async def test_a_slow_upload_in_flight_is_read_and_answered(tmp_path: Path) -> None:
    """Headers and 10 body bytes before SIGTERM, the rest after: the body is still read."""
    assert len(UPLOAD) == 66
    args = ("serve", "--no-watch", "--shutdown-timeout", "5", "--access-log")
    async with cli(tmp_path, *args) as (process, url, log):
        port = int(url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (
            "POST /IDMOBILE/ HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(UPLOAD)}\r\nExpect: 100-continue\r\n\r\n"
        )
        writer.write(head.encode() + UPLOAD[:10])
        # "100 Continue" is sent once the headers are parsed and the request is handled.
        assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WITHIN) == (
            b"HTTP/1.1 100 Continue\r\n\r\n"
        )
        process.send_signal(signal.SIGTERM)
        await logged(log, "no longer accepting; 1 requests in flight")
        writer.write(UPLOAD[10:])
        answer = await asyncio.wait_for(reader.read(), WITHIN)  # until the server closes
        writer.close()
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 200"), answer
        body = json.loads(rest.partition(b"\r\n\r\n")[2])
        assert body["status"] == "error"  # token "x" is unknown: a DQE answer, read in full
        assert await asyncio.wait_for(process.wait(), WITHIN) == 0
    text = read(log)
    assert '"POST /IDMOBILE/" 200' in text
    assert "Traceback" not in text


def test_a_port_in_use_is_one_line_from_a_real_process() -> None:
    """Through the CLI's own logging set-up: no "stopped" line for a server never started."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        args = ["serve", "--no-watch", "--host", "127.0.0.1", "--port", port]
        done = subprocess.run(
            [sys.executable, "-m", "mockserver", *args],
            cwd=ROOT, capture_output=True, text=True, timeout=WITHIN, check=False,
        )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"dqe-mock: cannot listen on 127.0.0.1:{port}: {done.stderr.split(': ', 2)[2].strip()}"
    ]
