"""Issue 10, item 10: a client's protocol error is one log line, and nothing echoes a token.

aiohttp answers a request it cannot parse itself; under GuardedRunner that answer is JSON
that quotes nothing the client sent, logged in one line without a traceback, and the access
log names the route, never the request target (whose query may hold a token or a secret).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mockserver.http.app import create_app
from mockserver.settings import Settings
from tests.guarded import body_of, exchange, guarded, port_of, status_of
from tests.served import serve_cli

SECRET = "TKdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
# Requests aiohttp's parser refuses, each with a token in the part it would have quoted.
MALFORMED = {
    "non-ascii-byte-in-query": b"GET /GET/?licence=\xff&token=" + SECRET.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "over-long-url": b"GET /GET/?token=" + SECRET.encode() + b"&pad=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "over-long-header": b"GET /GET/ HTTP/1.1\r\nHost: x\r\nX-Token: " + SECRET.encode() + b"a" * 9000 + b"\r\n\r\n",
    "bad-method": SECRET.encode() + b"\x01 / HTTP/1.1\r\n\r\n",
    "bad-header": b"GET /GET/?token=" + SECRET.encode() + b" HTTP/1.1\r\nHost x " + SECRET.encode() + b"\r\n\r\n",
    "bad-version": b"GET /GET/?token=" + SECRET.encode() + b" HTTP/9\r\n\r\n",
}  # fmt: skip


@pytest.fixture
async def port() -> AsyncIterator[int]:
    async with guarded(create_app(Settings(seed=7)), header_timeout=5) as runner:
        yield port_of(runner)


@pytest.mark.parametrize("kind", sorted(MALFORMED))
async def test_a_malformed_request_is_one_log_line_and_a_json_400(
    port: int, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = await exchange(port, MALFORMED[kind])
    assert status_of(answer) == 400
    body = json.loads(body_of(answer))
    assert body["error"] == "bad_request"
    assert SECRET.encode() not in answer
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert not [r for r in records if r.levelno >= logging.ERROR], caplog.text
    assert len([r for r in records if "bad request" in r.getMessage()]) == 1, caplog.text
    assert "Traceback" not in caplog.text
    assert all(r.exc_info is None for r in caplog.records)
    assert SECRET not in caplog.text


def test_the_cli_logs_protocol_errors_and_requests_without_tokens(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with serve_cli(log, "--header-timeout", "1", "--body-timeout", "1", "--access-log") as url:
        port = urlsplit(url).port
        assert port is not None

        async def run() -> list[bytes]:
            answers = [await exchange(port, MALFORMED[kind]) for kind in sorted(MALFORMED)]
            query = f"token={SECRET}&Licence=100001&scope=numVerify"
            answers.append(await exchange(port, f"GET /GET/?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()))  # fmt: skip
            secret_query = "licence=100001&client_secret=demo-secret&grant_type=client_idmobile"
            answers.append(await exchange(port, f"GET /ACCESS_TOKEN/?{secret_query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()))  # fmt: skip
            answers.append(await exchange(port, b"GET /__admin/sessions/" + SECRET.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))  # fmt: skip
            answers.append(await exchange(port, b"POST /IDMOBILE/ HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"))  # fmt: skip
            return answers

        answers = asyncio.run(run())
    text = log.read_text()
    assert [status_of(a) for a in answers] == [400] * len(MALFORMED) + [200, 200, 404, 408]
    assert "Traceback" not in text
    assert " ERROR " not in text
    assert SECRET not in text
    assert "demo-secret" not in text
    assert text.count("bad request:") == len(MALFORMED)
    assert '"GET /__admin/sessions/{token}" 404' in text  # the route, not the target
    assert all(SECRET.encode() not in a for a in answers)


def test_the_access_log_is_off_unless_asked(tmp_path: Path) -> None:
    # WireMock, Prism and Mountebank log nothing per request by default; nor does dqe-mock
    # (the journal keeps every request): --access-log adds one line per answer.
    request = b"GET /__admin/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    texts = {}
    for name, flags in (("default", ()), ("asked", ("--access-log",))):
        log = tmp_path / f"{name}.log"
        with serve_cli(log, *flags) as url:
            port = urlsplit(url).port
            assert port is not None
            assert status_of(asyncio.run(exchange(port, request))) == 200
        texts[name] = log.read_text()
    assert '"GET /__admin/health" 200' not in texts["default"]
    assert '"GET /__admin/health" 200' in texts["asked"]
