"""/ACCESS_TOKEN/ over HTTP: success shape, per-licence and default ttl, every refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.contract.errors import catalogue
from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient, Reply
from tests.table import Rows

# The same tests on the memory store and on a real Redis (issue 16).
pytestmark = pytest.mark.both_stores
# The conftest's `advance` fixture: moves the clock through the admin API (every store).
Advance = Callable[..., Awaitable[float]]

METHODS = ["GET", "POST"]
GOOD = {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": "100001"}


def params(**changes: str | None) -> dict[str, str]:
    """The good token request with `changes` applied (None drops the parameter)."""
    merged: dict[str, str | None] = {**GOOD, **changes}
    return {k: v for k, v in merged.items() if v is not None}


def assert_token_error(reply: Reply, error: str) -> None:
    entry = catalogue().get(error)
    assert reply.status != 500
    assert reply.status == entry.http_status == 400
    assert reply.content_type == "application/json"
    assert reply.violations == []
    assert reply.body["error"] == entry.id
    assert isinstance(reply.body["error_description"], str)
    assert reply.body["error_description"]
    assert "access_token" not in reply.body


def assert_token_success(reply: Reply, expires_in: str) -> None:
    assert reply.status == 200
    assert reply.content_type == "application/json"
    assert reply.violations == []
    assert set(reply.body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert reply.body["token_type"] == "Bearer"
    assert reply.body["expires_in"] == expires_in
    assert isinstance(reply.body["expires_in"], str)
    assert isinstance(reply.body["access_token"], str)
    assert reply.body["access_token"]
    assert isinstance(reply.body["refresh_token"], str)
    assert reply.body["refresh_token"]
    assert reply.body["refresh_token"] != reply.body["access_token"]


@pytest.mark.parametrize("method", METHODS)
async def test_token_success_shape(dqe: DqeClient, state: MockState, method: str) -> None:
    reply = await dqe.call("ACCESS_TOKEN", params(), method)
    assert_token_success(reply, "300")
    issued = state.tokens.get(reply.body["access_token"])
    assert issued is not None
    assert issued.licence == "100001"


@pytest.mark.parametrize("method", METHODS)
async def test_each_token_is_new(dqe: DqeClient, method: str) -> None:
    first = await dqe.call("ACCESS_TOKEN", params(), method)
    second = await dqe.call("ACCESS_TOKEN", params(), method)
    assert first.violations == second.violations == []
    assert first.body["access_token"] != second.body["access_token"]


@pytest.mark.parametrize("method", METHODS)
async def test_licence_ttl_overrides_default(dqe: DqeClient, method: str) -> None:
    reply = await dqe.call("ACCESS_TOKEN", params(licence="100004"), method)
    assert_token_success(reply, "5")


@pytest.mark.parametrize("method", METHODS)
async def test_capitalised_licence_accepted(dqe: DqeClient, method: str) -> None:
    reply = await dqe.call("ACCESS_TOKEN", params(licence=None, Licence="100001"), method)
    assert_token_success(reply, "300")


async def test_capitalised_licence_token_works_on_idmobile(dqe: DqeClient) -> None:
    reply = await dqe.call("ACCESS_TOKEN", params(licence=None, Licence="100001"))
    assert reply.status == 200
    started = await dqe.idmobile(reply.body["access_token"], "+33639980001", "numVerify")
    assert started.violations == []
    assert started.body["status"] == "success"


@pytest.fixture
async def ttl_dqe(settings: Settings) -> AsyncIterator[DqeClient]:
    """A second mock whose default token ttl is 42 seconds (Settings(token_ttl=42))."""
    app = create_app(replace(settings, token_ttl=42))
    async with TestServer(app, host="127.0.0.1") as srv, ClientSession() as session:
        yield DqeClient(session, srv.make_url("/"))


@pytest.mark.parametrize("method", METHODS)
async def test_settings_token_ttl_is_the_default(ttl_dqe: DqeClient, method: str) -> None:
    reply = await ttl_dqe.call("ACCESS_TOKEN", params(), method)
    assert_token_success(reply, "42")


async def test_licence_ttl_wins_over_settings_ttl(ttl_dqe: DqeClient) -> None:
    reply = await ttl_dqe.call("ACCESS_TOKEN", params(licence="100004"))
    assert_token_success(reply, "5")


# Token requests the token page refuses with 400 (Invalid Request): a parameter missing,
# empty or wrong (grant_type must be client_idmobile). None drops the parameter.
INVALID_REQUESTS: dict[str, dict[str, str | None]] = {
    "licence-missing": {"licence": None},
    "licence-empty": {"licence": ""},
    "Licence-empty": {"licence": None, "Licence": ""},
    "secret-missing": {"client_secret": None},
    "secret-empty": {"client_secret": ""},
    "grant-missing": {"grant_type": None},
    "grant-empty": {"grant_type": ""},
    "grant-wrong": {"grant_type": "client_credentials"},
    "grant-wrong-case": {"grant_type": "CLIENT_IDMOBILE"},
}
# ... and with 400 (Invalid Client): a licence or secret it does not know.
INVALID_CLIENTS: dict[str, dict[str, str | None]] = {
    "licence-unknown": {"licence": "999999"},
    "Licence-unknown": {"licence": None, "Licence": "999999"},
    "secret-wrong": {"client_secret": "wrong-secret"},
    "secret-wrong-case": {"client_secret": "DEMO-SECRET"},
}


async def refusals(dqe: DqeClient, table: dict[str, dict[str, str | None]], error: str) -> None:
    """Send each row of `table`, the method alternating along it; each must answer `error`."""
    rows = Rows()
    for index, (name, changes) in enumerate(table.items()):
        method = METHODS[index % 2]
        with rows.row(name, method):
            assert_token_error(await dqe.call("ACCESS_TOKEN", params(**changes), method), error)
    rows.check(len(table))


async def test_invalid_request(dqe: DqeClient) -> None:
    await refusals(dqe, INVALID_REQUESTS, "invalid_request")


@pytest.mark.parametrize("method", METHODS)
async def test_no_parameters_at_all(dqe: DqeClient, method: str) -> None:
    reply = await dqe.call("ACCESS_TOKEN", {}, method)
    assert_token_error(reply, "invalid_request")


async def test_invalid_client(dqe: DqeClient) -> None:
    await refusals(dqe, INVALID_CLIENTS, "invalid_client")


async def test_refused_request_issues_no_token(dqe: DqeClient, state: MockState) -> None:
    before = len(state.tokens)
    reply = await dqe.call("ACCESS_TOKEN", params(client_secret="nope"))
    assert_token_error(reply, "invalid_client")
    assert len(state.tokens) == before


async def test_token_of_short_licence_expires(
    dqe: DqeClient, state: MockState, advance: Advance
) -> None:
    token = await dqe.token(licence="100004")
    fresh = await dqe.idmobile(token, "+33639980001", "numVerify", licence="100004")
    assert fresh.violations == []
    assert fresh.body["status"] == "success"
    await advance(5)
    late = await dqe.idmobile(token, "+33639980001", "numVerify", licence="100004")
    assert late.violations == []
    assert late.body["error_id"] == "30"
    assert late.body["error_type"] == catalogue().get("30").label_for("numVerify")
