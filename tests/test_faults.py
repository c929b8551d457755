"""Fault injection: gateway errors, latency (seeded), resets, empty and truncated replies,
hangs; first: N, endpoint, licence, number and per-scenario filters; reset of the counts."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import ClientSession, ClientTimeout
from aiohttp.test_utils import TestServer
from yarl import URL

import mockserver.http.faults
from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.http.keys import NAMESPACE_HEADER, STATE
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient

ORANGE = "+33639980001"
FLAKY = "+33639987001"
STEADY = "+33639987002"
TOKEN_PARAMS = {
    "client_secret": "demo-secret",
    "grant_type": "client_idmobile",
    "licence": "100001",
}
GATEWAY_TEXT = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def faults_file(faults: str = "", scenarios: str = "") -> str:
    """A scenario file with the given YAML blocks (already indented by two spaces)."""
    text = "version: 1\n"
    if scenarios:
        text += "scenarios:\n" + scenarios
    if faults:
        text += "faults:\n" + faults
    return text


@dataclass
class Mock:
    """A running mock with a file of faults, and clients of it."""

    server: TestServer
    session: ClientSession
    dqe: DqeClient
    extra: list[ClientSession] = field(default_factory=list)

    @property
    def state(self) -> MockState:
        return self.server.app[STATE]

    def url(self, path: str) -> URL:
        return self.server.make_url(path)

    def journal(self) -> list[Any]:
        return self.state.journal.entries()

    async def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        async with self.session.request(method, self.url(f"/__admin{path}"), **kwargs) as reply:
            assert reply.status in (200, 201), await reply.text()
            return await reply.json()

    def client(self, namespace: str) -> DqeClient:
        session = ClientSession(headers={NAMESPACE_HEADER: namespace})
        self.extra.append(session)
        return DqeClient(session, self.server.make_url("/"))


Serve = Callable[..., AbstractAsyncContextManager[Mock]]


@pytest.fixture
def serve(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Serve:
    """serve(file_text, seed=...): a mock over that scenario file; checks on the way out that
    nothing answered 500 unless an http_error fault asked for it, and that nothing crashed."""
    caplog.set_level(logging.ERROR)
    count = 0

    @asynccontextmanager
    async def start(text: str, seed: int = 5, **settings: Any) -> AsyncIterator[Mock]:
        nonlocal count
        count += 1
        path = tmp_path / f"faults-{count}.yaml"
        path.write_text(text)
        config = Settings(seed=seed, frozen_clock=True, scenario_paths=(path,), **settings)
        server = TestServer(create_app(config), host="127.0.0.1")
        async with server, ClientSession() as session:
            mock = Mock(server, session, DqeClient(session, server.make_url("/")))
            try:
                yield mock
            finally:
                for extra in mock.extra:
                    await extra.close()
            unexplained = [
                e
                for e in mock.journal()
                if e.status == 500 and not _asked_for_500(mock.state, e.fault)
            ]
            assert unexplained == []
        crashes = [r for r in caplog.records if "BUG" in r.getMessage()]
        assert crashes == []

    return start


def _asked_for_500(state: MockState, fault_id: str | None) -> bool:
    faults = {f.id: f for f in state.registry.view("default").faults}
    fault = faults.get(fault_id or "")
    return fault is not None and fault.kind == "http_error" and fault.status == 500


async def raw_exchange(url: URL, path: str) -> bytes:
    """Send one GET by hand and read until the server closes: whatever bytes came back."""
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        request = f"GET {path} HTTP/1.1\r\nHost: {url.host}\r\nConnection: close\r\n\r\n"
        writer.write(request.encode())
        await writer.drain()
        async with asyncio.timeout(5):
            return await reader.read()
    finally:
        writer.close()


def token_query() -> str:
    return "/ACCESS_TOKEN/?" + "&".join(f"{k}={v}" for k, v in TOKEN_PARAMS.items())


# -- http_error -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504, None])
async def test_http_error_is_a_gateway_html_page(serve: Serve, status: int | None) -> None:
    field = f"    status: {status}\n" if status else ""
    text = faults_file(f"  - id: gateway\n    kind: http_error\n    endpoint: IDMOBILE\n{field}")
    expected = status or 503
    async with serve(text) as mock:
        token = await mock.dqe.token()  # ACCESS_TOKEN is not concerned
        async with mock.session.get(
            mock.url("/IDMOBILE/"),
            params={"number": ORANGE, "token": token, "name": "A", "licence": "100001"},
        ) as reply:
            assert reply.status == expected
            assert reply.content_type == "text/html"
            page = await reply.text()
        assert f"{expected} {GATEWAY_TEXT[expected]}" in page
        assert "<html>" in page
        [_, entry] = mock.journal()
        assert entry.fault == "gateway"
        assert entry.status == expected
        assert entry.endpoint == "IDMOBILE"
        assert entry.response_violations == ()


# -- latency ----------------------------------------------------------------------------------


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the fault middleware asks for, recorded instead of waited."""
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def record(seconds: float) -> None:
        delays.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(mockserver.http.faults, "asyncio", SimpleNamespace(sleep=record))
    return delays


async def test_fixed_latency_then_the_normal_answer(serve: Serve, slept: list[float]) -> None:
    text = faults_file(
        "  - id: slow\n    kind: latency\n    endpoint: IDMOBILE\n    latency: {fixed: 0.25}\n"
    )
    async with serve(text) as mock:
        token = await mock.dqe.token()
        assert slept == []
        reply = await mock.dqe.idmobile(token, ORANGE, "formfilling")
        assert reply.status == 200
        assert reply.content_type == "application/json"
        assert reply.body["status"] == "success"
        assert reply.body["operator"] == "Orange"
        assert not reply.violations
        assert slept == [0.25]
        entry = mock.journal()[-1]
        assert entry.fault == "slow"
        assert entry.response == reply.body
        assert entry.conforms
        assert mock.journal()[0].fault is None


UNIFORM = "  - id: jitter\n    kind: latency\n    latency: {uniform: [0.1, 0.5]}\n"
EXPONENTIAL = "  - id: tail\n    kind: latency\n    latency: {exponential: 0.2, max: 0.3}\n"


async def delays_of(serve: Serve, slept: list[float], text: str, seed: int) -> list[float]:
    """The delays of ten token requests on a fresh mock, then ten more after a reset."""
    slept.clear()
    async with serve(text, seed=seed) as mock:
        for _ in range(10):
            await mock.dqe.token()
        await mock.admin("POST", "/reset")
        for _ in range(10):
            await mock.dqe.token()
        assert [e.fault for e in mock.journal()] == [mock.journal()[0].fault] * 10
    return list(slept)


@pytest.mark.parametrize(
    ("fault", "low", "high"),
    [(UNIFORM, 0.1, 0.5), (EXPONENTIAL, 0.0, 0.3)],
    ids=["uniform", "exponential"],
)
async def test_random_latency_repeats_with_the_seed(
    serve: Serve, slept: list[float], fault: str, low: float, high: float
) -> None:
    text = faults_file(fault)
    first = await delays_of(serve, slept, text, seed=11)
    again = await delays_of(serve, slept, text, seed=11)
    other = await delays_of(serve, slept, text, seed=12)
    assert len(first) == 20
    assert first == again
    assert first != other
    assert all(low <= d <= high for d in first + other), first + other
    assert len(set(first[:10])) > 5  # drawn, not constant
    # A global reset restarts the generator: the same ten delays again.
    assert first[:10] == first[10:]


# -- connection faults ------------------------------------------------------------------------


async def test_reset_is_a_connection_error(serve: Serve) -> None:
    text = faults_file("  - id: rst\n    kind: reset\n    endpoint: ACCESS_TOKEN\n")
    async with serve(text) as mock:
        # POST: aiohttp retries an idempotent GET once after a dropped connection.
        with pytest.raises(aiohttp.ClientConnectionError):
            await mock.dqe.token(method="POST")
        with pytest.raises(ConnectionResetError):
            await raw_exchange(mock.url("/"), token_query())
        entries = mock.journal()
        assert [(e.fault, e.status) for e in entries] == [("rst", 0), ("rst", 0)]


async def test_empty_closes_without_a_byte(serve: Serve) -> None:
    text = faults_file("  - id: hangup\n    kind: empty\n    endpoint: ACCESS_TOKEN\n")
    async with serve(text) as mock:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await mock.dqe.token(method="POST")
        assert await raw_exchange(mock.url("/"), token_query()) == b""
        assert [(e.fault, e.status) for e in mock.journal()] == [("hangup", 0), ("hangup", 0)]


async def test_truncated_sends_half_the_announced_body(serve: Serve) -> None:
    text = faults_file("  - id: cut\n    kind: truncated\n    endpoint: ACCESS_TOKEN\n")
    async with serve(text) as mock:
        async with mock.session.get(mock.url("/ACCESS_TOKEN/"), params=TOKEN_PARAMS) as reply:
            assert reply.status == 200
            assert reply.content_type == "application/json"
            announced = reply.content_length
            assert announced is not None
            assert announced > 0
            with pytest.raises(aiohttp.ClientPayloadError):
                await reply.read()

        raw = await raw_exchange(mock.url("/"), token_query())
        head, _, body = raw.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        assert 0 < len(body) < length
        assert body.startswith(b'{"access_token":')  # JSON's spacing is not the contract's
        with pytest.raises(json.JSONDecodeError):
            json.loads(body)
        assert [e.fault for e in mock.journal()] == ["cut", "cut"]


async def test_hang_outlasts_a_client_timeout_then_closes(serve: Serve) -> None:
    text = faults_file(
        "  - id: stuck\n    kind: hang\n    seconds: 0.2\n    endpoint: ACCESS_TOKEN\n"
    )
    async with serve(text) as mock:
        async with ClientSession(timeout=ClientTimeout(total=0.1)) as impatient:
            with pytest.raises(asyncio.TimeoutError):
                await DqeClient(impatient, mock.url("/")).token(method="POST")
        # A patient client sees the connection closed, without an answer, after `seconds`.
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await mock.dqe.token(method="POST")
        assert mock.journal()[-1].fault == "stuck"
        assert mock.journal()[-1].status == 0


# -- first: N and filters ---------------------------------------------------------------------


async def test_first_n_fails_then_a_retry_succeeds(serve: Serve) -> None:
    text = faults_file(
        "  - id: warmup\n    kind: http_error\n    status: 503\n    first: 2\n"
        "    endpoint: ACCESS_TOKEN\n"
    )
    async with serve(text) as mock:
        statuses = []
        for _ in range(5):
            reply = await mock.dqe.call("ACCESS_TOKEN", TOKEN_PARAMS)
            statuses.append(reply.status)
            if reply.status == 200:
                break
        assert statuses == [503, 503, 200]
        assert reply.body["token_type"] == "Bearer"
        assert [e.fault for e in mock.journal()] == ["warmup", "warmup", None]
        assert mock.state.faults.hits("100001", "warmup") == 3
        # Once used up, it stays used up.
        assert (await mock.dqe.call("ACCESS_TOKEN", TOKEN_PARAMS)).status == 200


async def test_faults_reset_with_the_admin_reset(serve: Serve) -> None:
    text = faults_file("  - id: once\n    kind: http_error\n    first: 1\n    endpoint: GET\n")
    async with serve(text) as mock:
        a, b = mock.client("a"), mock.client("b")
        token_a, token_b = await a.token(), await b.token()
        for client, token in [(a, token_a), (b, token_b)]:
            await client.idmobile(token, ORANGE, "formfilling")
        assert (await a.get(token_a, "formfilling")).status == 503
        assert (await a.get(token_a, "formfilling")).status == 200
        # Counts are per namespace: b has its own first failure.
        assert (await b.get(token_b, "formfilling")).status == 503
        assert (await b.get(token_b, "formfilling")).status == 200

        await mock.admin("POST", "/reset", params={"namespace": "a"})
        token_a = await a.token()
        await a.idmobile(token_a, ORANGE, "formfilling")
        assert (await a.get(token_a, "formfilling")).status == 503
        assert (await b.get(token_b, "formfilling")).status == 200

        await mock.admin("POST", "/reset")
        for client in (a, b):
            token = await client.token()
            await client.idmobile(token, ORANGE, "formfilling")
            assert (await client.get(token, "formfilling")).status == 503
            assert (await client.get(token, "formfilling")).status == 200


async def test_a_fault_on_one_endpoint_leaves_the_others_alone(serve: Serve) -> None:
    text = faults_file(
        "  - id: get-down\n    kind: http_error\n    status: 502\n    endpoint: GET\n"
    )
    async with serve(text) as mock:
        token = await mock.dqe.token()
        started = await mock.dqe.idmobile(token, ORANGE, "formfilling")
        assert started.body["status"] == "success"
        status, _, _ = await mock.dqe.visit(started.body["url"])
        assert status == 200
        assert (await mock.dqe.get(token, "formfilling")).status == 502
        assert [e.fault for e in mock.journal()] == [None, None, None, "get-down"]


async def test_a_runtime_fault_on_access_token_leaves_idmobile_alone(serve: Serve) -> None:
    async with serve(faults_file()) as mock:
        token = await mock.dqe.token()
        document = {
            "version": 1,
            "faults": [{"id": "token-down", "kind": "http_error", "endpoint": "ACCESS_TOKEN"}],
        }
        # Without a namespace header, requests of licence 100001 live in namespace 100001.
        added = await mock.admin(
            "POST", "/scenarios", params={"namespace": "100001"}, json=document
        )
        assert added["faults"] == ["token-down"]
        assert (await mock.dqe.call("ACCESS_TOKEN", TOKEN_PARAMS)).status == 503
        reply = await mock.dqe.idmobile(token, ORANGE, "formfilling")
        assert reply.status == 200
        assert reply.body["status"] == "success"
        assert (await mock.dqe.get(token, "formfilling")).body["status"] == "pending"
        # Another namespace is not concerned.
        assert await mock.client("elsewhere").token()


async def test_licence_filter(serve: Serve) -> None:
    text = faults_file(
        '  - id: shop-down\n    kind: http_error\n    endpoint: ACCESS_TOKEN\n    licences: ["100002"]\n'
    )
    async with serve(text) as mock:
        refused = await mock.dqe.call("ACCESS_TOKEN", {**TOKEN_PARAMS, "licence": "100002"})
        assert refused.status == 503
        assert await mock.dqe.token("100001")
        assert [e.fault for e in mock.journal()] == ["shop-down", None]


async def test_numbers_filter_follows_the_number_to_get(serve: Serve) -> None:
    text = faults_file(
        f'  - id: flaky-line\n    kind: http_error\n    status: 502\n    numbers: ["{FLAKY}"]\n'
        "    endpoint: any\n"
    )
    async with serve(text) as mock:
        token = await mock.dqe.token()  # a token request has no number: not concerned
        assert (await mock.dqe.idmobile(token, FLAKY, "formfilling")).status == 502
        # National format: the same number.
        assert (await mock.dqe.idmobile(token, "06 39 98 70 01", "formfilling")).status == 502
        steady = await mock.dqe.idmobile(token, STEADY, "formfilling")
        assert steady.status == 200
        assert (await mock.dqe.get(token, "formfilling")).body["status"] == "pending"

        other = await mock.dqe.token()
        await mock.admin(
            "PUT",
            "/scenarios",
            params={"namespace": "100001"},
            json={"version": 1, "faults": []},
        )
        started = await mock.dqe.idmobile(other, FLAKY, "formfilling")
        assert started.status == 502  # file faults stay whatever the runtime layer says
        assert [e.fault for e in mock.journal()].count("flaky-line") == 3


async def test_a_scenarios_fault_applies_to_its_sessions(serve: Serve) -> None:
    scenarios = (
        "  - id: flaky-get\n"
        f'    match: {{numbers: ["{FLAKY}"]}}\n'
        "    operator: Orange\n"
        "    outcome: {consent: {auto: true}}\n"
        "    faults:\n"
        "      - {id: get-down, kind: http_error, status: 504, endpoint: GET}\n"
    )
    text = faults_file(scenarios=scenarios)
    async with serve(text) as mock:
        token = await mock.dqe.token()
        started = await mock.dqe.idmobile(token, FLAKY, "formfilling")
        assert started.status == 200
        assert started.body["status"] == "success"
        failed = await mock.dqe.get(token, "formfilling")
        assert failed.status == 504
        assert "504 Gateway Time-out" in failed.body

        other = await mock.dqe.token()
        await mock.dqe.idmobile(other, STEADY, "formfilling")
        assert (await mock.dqe.get(other, "formfilling")).body["status"] == "pending"
        assert [e.fault for e in mock.journal()] == [
            None,
            None,
            "flaky-get/get-down",
            None,
            None,
            None,
        ]


async def test_a_runtime_scenario_brings_its_faults_and_takes_them_away(serve: Serve) -> None:
    async with serve(faults_file()) as mock:
        document = {
            "version": 1,
            "scenarios": [
                {
                    "id": "flaky",
                    "match": {"numbers": [FLAKY]},
                    "operator": "Orange",
                    "faults": [{"id": "down", "kind": "http_error", "status": 502}],
                }
            ],
        }
        team = mock.client("team")
        await mock.admin("POST", "/scenarios", params={"namespace": "team"}, json=document)
        token = await team.token()
        assert (await team.idmobile(token, FLAKY, "formfilling")).status == 502
        assert (await mock.dqe.idmobile(await mock.dqe.token(), FLAKY, "formfilling")).status == 200
        await mock.admin("DELETE", "/scenarios/flaky", params={"namespace": "team"})
        assert (await team.idmobile(token, FLAKY, "formfilling")).status == 200


async def test_a_fault_on_the_consent_step(serve: Serve) -> None:
    text = faults_file(
        f'  - id: page-down\n    kind: http_error\n    endpoint: consent\n    numbers: ["{FLAKY}"]\n'
    )
    async with serve(text) as mock:
        token = await mock.dqe.token()
        flaky = await mock.dqe.idmobile(token, FLAKY, "formfilling")
        assert flaky.body["status"] == "success"
        status, _, page = await mock.dqe.visit(flaky.body["url"])
        assert status == 503
        assert "503 Service Temporarily Unavailable" in page
        assert (await mock.dqe.get(token, "formfilling")).body["status"] == "pending"
        other = await mock.dqe.token()
        steady = await mock.dqe.idmobile(other, STEADY, "formfilling")
        status, _, _ = await mock.dqe.visit(steady.body["url"])
        assert status == 200
        consent = [e for e in mock.journal() if e.endpoint == "consent"]
        assert [(e.fault, e.token) for e in consent] == [("page-down", token), (None, other)]


async def test_replacing_a_scenario_by_id_replaces_its_faults(serve: Serve) -> None:
    """A later scenario with the same id replaces the earlier one, faults included."""
    scenarios = (
        "  - id: flaky\n"
        f'    match: {{numbers: ["{FLAKY}"]}}\n'
        "    operator: Orange\n"
        "    faults:\n"
        "      - {id: down, kind: http_error, status: 502}\n"
    )
    async with serve(faults_file(scenarios=scenarios)) as mock:
        token = await mock.dqe.token()
        assert (await mock.dqe.idmobile(token, FLAKY, "formfilling")).status == 502
        replacement = {
            "version": 1,
            "scenarios": [{"id": "flaky", "match": {"numbers": [FLAKY]}, "operator": "Orange"}],
        }
        await mock.admin("POST", "/scenarios", params={"namespace": "100001"}, json=replacement)
        reply = await mock.dqe.idmobile(token, FLAKY, "formfilling")
        assert reply.status == 200, reply.body
        assert reply.body["status"] == "success"
