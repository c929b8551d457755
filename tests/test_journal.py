"""The request journal: each request with what it matched, what it got and the contract's
verdict; secrets masked; bounded; consent steps in the session's namespace."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.http.keys import NAMESPACE_HEADER, STATE
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient

# The same tests on the memory store and on a real Redis (issue 16).
pytestmark = pytest.mark.both_stores
# The conftest's `advance` fixture: moves the clock through the admin API (every store).
Advance = Callable[..., Awaitable[float]]

ORANGE = "+33639980001"
IDMOBILE_ERROR_15 = "+33639981015"
TOKEN_PARAMS = {
    "client_secret": "demo-secret",
    "grant_type": "client_idmobile",
    "licence": "100001",
}


@pytest.fixture
async def admin(server: TestServer) -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


async def journal(admin: ClientSession, server: TestServer, **params: str) -> list[dict[str, Any]]:
    """The entries, read through the admin API (as a CI job would)."""
    async with admin.get(server.make_url("/__admin/journal"), params=params) as response:
        assert response.status == 200
        body = await response.json()
    return list(body["entries"])


async def test_token_request_is_recorded_with_the_secret_masked(
    dqe: DqeClient, admin: ClientSession, server: TestServer
) -> None:
    token = await dqe.token(method="POST")
    [entry] = await journal(admin, server)
    assert entry["id"] == 1
    assert entry["method"] == "POST"
    assert entry["path"] == "/ACCESS_TOKEN/"
    assert entry["endpoint"] == "ACCESS_TOKEN"
    assert entry["namespace"] == "100001"
    assert entry["params"] == {**TOKEN_PARAMS, "client_secret": "***"}
    assert entry["status"] == 200
    assert entry["response"]["access_token"] == token
    assert entry["token"] == token
    assert entry["scenario_id"] is None
    assert entry["error_id"] is None
    assert entry["fault"] is None
    assert entry["request_violations"] == []
    assert entry["response_violations"] == []
    assert entry["verdict"] == "conforms"
    assert "demo-secret" not in str(entry)


async def test_a_refused_token_is_recorded_with_its_error_and_the_secret_masked(
    dqe: DqeClient, admin: ClientSession, server: TestServer
) -> None:
    reply = await dqe.call("ACCESS_TOKEN", {**TOKEN_PARAMS, "client_secret": "guess-me"})
    assert reply.status == 400
    [entry] = await journal(admin, server)
    assert entry["status"] == 400
    assert entry["error_id"] == "invalid_client"
    assert entry["response"] == reply.body
    assert entry["params"]["client_secret"] == "***"
    assert "guess-me" not in str(entry)
    assert entry["token"] is None
    # An error answered is a violation, with the reason the mock had (not the client's fault
    # against the schemas: no request violation, so the plugin does not fail on it).
    assert entry["verdict"] == "violations"
    assert entry["request_violations"] == []
    assert entry["reasons"] == [entry["error_reason"]]
    assert "client_secret does not match" in entry["error_reason"]


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_whole_flow_is_recorded_in_order(
    dqe: DqeClient, admin: ClientSession, server: TestServer, method: str
) -> None:
    token = await dqe.token(method=method)
    started = await dqe.idmobile(token, ORANGE, "formfilling", method=method)
    pending = await dqe.get(token, "formfilling", method=method)
    status, _, _ = await dqe.visit(started.body["url"])
    assert status == 200
    done = await dqe.get(token, "formfilling", method=method)
    assert done.body["status"] == "success"

    entries = await journal(admin, server)
    assert [e["endpoint"] for e in entries] == [
        "ACCESS_TOKEN",
        "IDMOBILE",
        "GET",
        "consent",
        "GET",
    ]
    assert [e["id"] for e in entries] == [1, 2, 3, 4, 5]
    assert [e["method"] for e in entries] == [method, method, method, "POST", method]
    assert {e["token"] for e in entries} == {token}
    assert [e["scenario_id"] for e in entries] == [None] + ["orange-happy"] * 4
    assert [e["status"] for e in entries] == [200] * 5
    assert {e["verdict"] for e in entries} == {"conforms"}
    assert {e["namespace"] for e in entries} == {"100001"}
    _, initiated, polled, consent, finished = entries
    assert initiated["params"]["number"] == ORANGE
    assert initiated["params"]["name"] == "ACME"
    assert initiated["params"]["token"] == token
    assert initiated["response"] == started.body
    assert polled["response"] == pending.body == {"status": "pending", "scope": "formfilling"}
    assert polled["params"] == {"token": token, "Licence": "100001", "scope": "formfilling"}
    assert finished["response"] == done.body
    assert consent["path"].startswith("/operator/orange/consent/")
    assert isinstance(consent["response"], str)  # the HTML page, cut short
    assert all(e["error_id"] is None for e in entries)


async def test_a_business_error_is_recorded_with_its_id_and_scenario(
    dqe: DqeClient, admin: ClientSession, server: TestServer
) -> None:
    token = await dqe.token()
    reply = await dqe.idmobile(token, IDMOBILE_ERROR_15, "formfilling")
    assert reply.error_id == "15"
    entry = (await journal(admin, server))[-1]
    assert entry["status"] == 200
    assert entry["error_id"] == "15"
    assert entry["scenario_id"] == "idmobile-error-15"
    assert entry["token"] == token
    assert entry["response"] == reply.body
    assert entry["verdict"] == "violations"
    assert entry["request_violations"] == []
    assert entry["error_reason"] == (
        "error 15 (operator Orange not supported yet): scenario idmobile-error-15"
    )


async def test_a_request_breaking_the_contract_is_recorded_with_its_violations(
    dqe: DqeClient, admin: ClientSession, server: TestServer
) -> None:
    token = await dqe.token()
    params = {
        "number": ORANGE,
        "token": token,
        "licence": "100001",
        "scope": "formfilling",
        "mode": "2",
    }  # no name
    reply = await dqe.call("IDMOBILE", params)
    assert reply.body["status"] == "error"
    entry = (await journal(admin, server))[-1]
    assert entry["endpoint"] == "IDMOBILE"
    assert entry["verdict"] == "violations"
    assert entry["request_violations"], entry
    assert any("name" in v for v in entry["request_violations"]), entry["request_violations"]
    assert entry["response_violations"] == []
    assert entry["error_id"] == reply.error_id
    assert entry["params"] == params
    # The good request before it still conforms.
    assert (await journal(admin, server))[0]["verdict"] == "conforms"


async def test_entries_carry_the_mock_clock(
    dqe: DqeClient,
    admin: ClientSession,
    server: TestServer,
    state: MockState,
    advance: Advance,
) -> None:
    await dqe.token()
    await advance(42)
    await dqe.token()
    first, second = await journal(admin, server)
    assert second["at"] == first["at"] + 42


async def test_admin_calls_are_not_recorded_and_unknown_paths_are_violations(
    dqe: DqeClient, admin: ClientSession, server: TestServer
) -> None:
    async with admin.get(server.make_url("/__admin/health")) as response:
        assert response.status == 200
    async with admin.get(server.make_url("/nowhere")) as response:
        assert response.status == 404
    await dqe.token()
    entries = await journal(admin, server)
    assert [e["path"] for e in entries] == ["/nowhere", "/ACCESS_TOKEN/"]
    stray, token = entries
    assert stray["status"] == 404
    assert stray["verdict"] == "violations"
    assert any("/nowhere" in v for v in stray["request_violations"])
    assert token["verdict"] == "conforms"


async def test_the_journal_is_bounded() -> None:
    settings = Settings(seed=7, frozen_clock=True, journal_limit=5)
    server = TestServer(create_app(settings), host="127.0.0.1")
    async with server, ClientSession() as session:
        dqe = DqeClient(session, server.make_url("/"))
        tokens = [await dqe.token() for _ in range(7)]
        entries = await journal(session, server)
        assert [e["id"] for e in entries] == [3, 4, 5, 6, 7]
        assert [e["token"] for e in entries] == tokens[2:]
        assert len(server.app[STATE].journal) == 5
        async with session.get(server.make_url("/__admin/health")) as response:
            assert (await response.json())["journal"] == {"entries": 5, "limit": 5}
        assert [e["id"] for e in await journal(session, server, limit="2")] == [6, 7]


async def test_consent_steps_are_recorded_in_the_sessions_namespace(
    server: TestServer, admin: ClientSession
) -> None:
    async with ClientSession(headers={NAMESPACE_HEADER: "team-c"}) as team_session:
        team = DqeClient(team_session, server.make_url("/"))
        token = await team.token()
        started = await team.idmobile(token, ORANGE, "numVerify")
    # The browser that answers the consent step sends no namespace header.
    async with ClientSession() as browser:
        plain = DqeClient(browser, server.make_url("/"))
        async with browser.get(started.body["url"]) as page:
            assert page.status == 200
        status, _, _ = await plain.visit(started.body["url"], decision="approve")
        assert status == 200

    entries = await journal(admin, server, namespace="team-c")
    assert [(e["endpoint"], e["method"]) for e in entries] == [
        ("ACCESS_TOKEN", "GET"),
        ("IDMOBILE", "GET"),
        ("consent", "GET"),
        ("consent", "POST"),
    ]
    consent = entries[-1]
    assert consent["namespace"] == "team-c"
    assert consent["token"] == token
    assert consent["scenario_id"] == "orange-happy"
    assert consent["params"] == {"decision": "approve"}
    assert consent["status"] == 200
    # Nothing was recorded outside the session's namespace.
    assert await journal(admin, server, namespace="default") == []
    assert len(await journal(admin, server)) == 4
