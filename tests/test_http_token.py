"""/ACCESS_TOKEN/ over HTTP: success shape, per-licence and default ttl, every refusal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.contract.errors import catalogue
from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient, Reply

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


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"licence": None}, id="licence-missing"),
        pytest.param({"licence": ""}, id="licence-empty"),
        pytest.param({"licence": None, "Licence": ""}, id="Licence-empty"),
        pytest.param({"client_secret": None}, id="secret-missing"),
        pytest.param({"client_secret": ""}, id="secret-empty"),
        pytest.param({"grant_type": None}, id="grant-missing"),
        pytest.param({"grant_type": ""}, id="grant-empty"),
        pytest.param({"grant_type": "client_credentials"}, id="grant-wrong"),
        pytest.param({"grant_type": "CLIENT_IDMOBILE"}, id="grant-wrong-case"),
    ],
)
async def test_invalid_request(dqe: DqeClient, method: str, changes: dict[str, str | None]) -> None:
    reply = await dqe.call("ACCESS_TOKEN", params(**changes), method)
    assert_token_error(reply, "invalid_request")


@pytest.mark.parametrize("method", METHODS)
async def test_no_parameters_at_all(dqe: DqeClient, method: str) -> None:
    reply = await dqe.call("ACCESS_TOKEN", {}, method)
    assert_token_error(reply, "invalid_request")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"licence": "999999"}, id="licence-unknown"),
        pytest.param({"licence": None, "Licence": "999999"}, id="Licence-unknown"),
        pytest.param({"client_secret": "wrong-secret"}, id="secret-wrong"),
        pytest.param({"client_secret": "DEMO-SECRET"}, id="secret-wrong-case"),
    ],
)
async def test_invalid_client(dqe: DqeClient, method: str, changes: dict[str, str]) -> None:
    reply = await dqe.call("ACCESS_TOKEN", params(**changes), method)
    assert_token_error(reply, "invalid_client")


async def test_refused_request_issues_no_token(dqe: DqeClient, state: MockState) -> None:
    before = len(state.tokens)
    reply = await dqe.call("ACCESS_TOKEN", params(client_secret="nope"))
    assert_token_error(reply, "invalid_client")
    assert len(state.tokens) == before


async def test_token_of_short_licence_expires(dqe: DqeClient, state: MockState) -> None:
    token = await dqe.token(licence="100004")
    fresh = await dqe.idmobile(token, "+33639980001", "numVerify", licence="100004")
    assert fresh.violations == []
    assert fresh.body["status"] == "success"
    state.clock.advance(5)
    late = await dqe.idmobile(token, "+33639980001", "numVerify", licence="100004")
    assert late.violations == []
    assert late.body["error_id"] == "30"
    assert late.body["error_type"] == catalogue().get("30").label_for("numVerify")
