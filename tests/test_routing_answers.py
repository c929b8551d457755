"""Answers that aiohttp would give in plain text, as JSON that quotes nothing sent.

A hostile review found text/plain 404s (`/nope`, `//GET/`, `/GET/%00`, `OPTIONS *`), 405s
(PUT, DELETE, PATCH, TRACE on the DQE endpoints), a 417 that repeated the client's `Expect`
header (a token in it came back), and "100 Continue" sent before the 413 of a 10 GB
`Content-Length`. The oracles are RFC 9110 (405 carries Allow; 417 for an expectation not
met; 100-continue invites the body, so a body already refused must not be invited) and the
docs/limits.md.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from mockserver.http.app import create_app
from mockserver.http.connection import GuardedRunner
from mockserver.settings import Settings
from tests.guarded import body_of, exchange, guarded, port_of, status_of

SECRET = "TK0123456789secret"


@pytest.fixture
async def port() -> AsyncIterator[int]:
    settings = Settings(seed=7, frozen_clock=True, max_body=1024, max_document_bytes=4096)
    runner: GuardedRunner
    async with guarded(create_app(settings), 5.0) as runner:
        yield port_of(runner)


def request(method: str, target: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: localhost", *headers]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\nConnection: close\r\n\r\n").encode() + body


def json_body(answer: bytes) -> dict[str, str]:
    head = answer.partition(b"\r\n\r\n")[0].lower()
    assert b"content-type: application/json" in head, answer
    decoded: dict[str, str] = json.loads(body_of(answer))
    return decoded


# (target, the endpoint a slip names, or None): written from the route list in docs/limits.md.
NOT_FOUND = [
    ("/nope", None),
    ("/GET/%00", None),
    ("/", None),
    ("//GET/", "/GET/"),
    ("/idmobile/", "/IDMOBILE/"),
    ("/access_token", "/ACCESS_TOKEN/"),
    (f"/nope?access_token={SECRET}", None),
]


@pytest.mark.parametrize(("target", "slip"), NOT_FOUND)
async def test_an_unknown_path_is_a_json_404_naming_the_endpoints(
    port: int, target: str, slip: str | None
) -> None:
    answer = await exchange(port, request("GET", target))
    assert status_of(answer) == 404
    body = json_body(answer)
    assert body["error"] == "not_found"
    assert SECRET not in answer.decode("latin-1")
    if slip:
        assert f"did you mean {slip}?" in body["error_description"]
    else:
        for endpoint in ("/ACCESS_TOKEN/", "/IDMOBILE/", "/GET/"):
            assert endpoint in body["error_description"]


async def test_options_star_is_a_json_answer(port: int) -> None:
    answer = await exchange(port, request("OPTIONS", "*"))
    assert 400 <= status_of(answer) < 500
    assert json_body(answer)["error"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "TRACE"])
@pytest.mark.parametrize("path", ["/ACCESS_TOKEN/", "/IDMOBILE/", "/GET/", "/GET"])
async def test_another_method_is_a_json_405_with_allow(port: int, path: str, method: str) -> None:
    answer = await exchange(port, request(method, path))
    assert status_of(answer) == 405
    head = answer.partition(b"\r\n\r\n")[0].decode("latin-1").lower()
    allow = next(line for line in head.split("\r\n") if line.startswith("allow:"))
    assert {"get", "post"} <= {m.strip() for m in allow.removeprefix("allow:").split(",")}
    body = json_body(answer)
    assert body["error"] == "method_not_allowed"


@pytest.mark.parametrize("target", ["/GET/", "/IDMOBILE/", "/nope", "/__admin/health"])
@pytest.mark.parametrize("expect", [f"100-continue, {SECRET}", "<script>", SECRET])
async def test_an_unknown_expectation_is_a_json_417_that_repeats_nothing(
    port: int, target: str, expect: str
) -> None:
    answer = await exchange(port, request("GET", target, f"Expect: {expect}"))
    assert status_of(answer) == 417
    assert json_body(answer)["error"] == "expectation_failed"
    assert SECRET not in answer.decode("latin-1")
    assert "<script>" not in answer.decode("latin-1")


# (path, Content-Length, what comes first): --max-body 1024, --max-scenario-bytes 4096.
CONTINUE = [
    ("/IDMOBILE/", 10_000_000_000, 413),
    ("/ACCESS_TOKEN/", 1025, 413),
    ("/IDMOBILE/", 1024, 100),
    ("/__admin/scenarios", 4097, 413),
    ("/__admin/scenarios", 4000, 100),
]


@pytest.mark.parametrize(("path", "length", "first"), CONTINUE)
async def test_100_continue_is_sent_only_for_a_body_within_the_limit(
    port: int, path: str, length: int, first: int
) -> None:
    head = request(
        "POST",
        path,
        "Expect: 100-continue",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {length}",
    )
    answer = await exchange(port, head, within=5.0) if first == 413 else await _first(port, head)
    assert status_of(answer) == first
    if first == 413:
        assert json_body(answer)["error"] == "request_too_large"


async def _first(port: int, data: bytes) -> bytes:
    """The first bytes the server sends (the interim answer), without waiting for a close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        async with asyncio.timeout(5.0):
            return await reader.readuntil(b"\r\n\r\n")
    finally:
        writer.close()


@pytest.mark.parametrize(
    "start",
    [b"FOO /GET/ HTTP/1.1", b"BREW /IDMOBILE/ HTTP/1.1", b"X-Y_Z.1 * HTTP/1.1"],
)
async def test_an_unknown_but_valid_method_is_a_json_501(port: int, start: bytes) -> None:
    """RFC 9110 §9.1: a method the server does not recognise is 501 Not Implemented."""
    answer = await exchange(port, start + b"\r\nHost: x\r\n\r\n")
    assert status_of(answer) == 501
    body = json.loads(body_of(answer))
    assert body["error"] == "not_implemented"
    assert start.split(b" ")[0].decode() not in body["error_description"]


@pytest.mark.parametrize(
    "start",
    [b"GE T / HTTP/1.1", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", b"G@T / HTTP/1.1"],
)
async def test_garbage_in_the_method_is_still_a_400(port: int, start: bytes) -> None:
    answer = await exchange(port, start + b"\r\nHost: x\r\n\r\n")
    assert status_of(answer) == 400
    assert json.loads(body_of(answer))["error"] == "bad_request"


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/nope", 404), ("PUT", "/IDMOBILE/", 405)]
)
async def test_the_proxy_answers_unknown_paths_and_methods_in_json(
    method: str, path: str, status: int
) -> None:
    from aiohttp.test_utils import TestServer

    from mockserver.http.proxy import ProxySettings, create_proxy_app

    app = create_proxy_app(ProxySettings(upstream="http://127.0.0.1:9"))
    async with TestServer(app, host="127.0.0.1") as proxy:
        answer = await exchange(proxy.port or 0, request(method, path))
    assert status_of(answer) == status
    assert json_body(answer)["error"] in ("not_found", "method_not_allowed")
