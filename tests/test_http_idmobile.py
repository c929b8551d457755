"""/IDMOBILE/ over HTTP: every scope, GET and POST, consent urls, and every error id."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.contract.errors import OPERATOR_PLACEHOLDER, catalogue
from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient, Reply, user_infos
from tests.pack_helpers import (
    assert_all_ones,
    assert_error,
    infos_of,
    subscriber,
)

METHODS = ["GET", "POST"]
SCOPES = ["matching_notp", "numVerify", "formfilling", "matching", "matching,formfilling"]
CONSENT_SCOPES = [s for s in SCOPES if s != "matching_notp"]
ORANGE = "+33639980001"
SFR = "+33639980002"
# The four happy-path numbers of the default pack and the operator each must report.
HAPPY = {
    "+33639980001": "Orange",
    "+33639980002": "SFR",
    "+33639980003": "Bouygues Telecom",
    "+33639980004": "Free",
}
SLUGS = {"Orange": "orange", "SFR": "sfr", "Bouygues Telecom": "bouygues-telecom", "Free": "free"}


def operator_of(state: MockState, number: str, scope: str = "numVerify") -> str | None:
    """The operator the loaded pack gives `number`."""
    scenario = state.scenarios.find(number, number, "100001", scope)
    assert scenario is not None
    return scenario.operator


def assert_consent(reply: Reply, operator: str) -> str:
    assert reply.status == 200
    assert reply.content_type == "application/json"
    assert reply.violations == []
    assert set(reply.body) == {"status", "operator", "url"}
    assert reply.body["status"] == "success"
    assert reply.body["operator"] == operator
    url = reply.body["url"]
    assert isinstance(url, str)
    return url


# --- matching_notp: scores directly -------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("number", list(HAPPY))
async def test_matching_notp_exact_data_scores_one(
    dqe: DqeClient, state: MockState, method: str, number: str
) -> None:
    token = await dqe.token()
    infos = infos_of(subscriber(state, number), phone=number)
    reply = await dqe.idmobile(token, number, "matching_notp", method, user_infos=infos)
    assert reply.status == 200
    assert reply.content_type == "application/json"
    assert reply.violations == []
    assert "status" not in reply.body
    assert_all_ones(reply.body)


@pytest.mark.parametrize("method", METHODS)
async def test_matching_notp_empty_field_scores_empty_string(
    dqe: DqeClient, state: MockState, method: str
) -> None:
    token = await dqe.token()
    infos = infos_of(subscriber(state, ORANGE), ORANGE, email="", firstname="", locality="")
    reply = await dqe.idmobile(token, ORANGE, "matching_notp", method, user_infos=infos)
    assert reply.violations == []
    assert_all_ones(reply.body, empty=frozenset({"email", "given_name", "locality"}))


async def test_matching_notp_wrong_data_scores_below_one(dqe: DqeClient, state: MockState) -> None:
    token = await dqe.token()
    infos = infos_of(
        subscriber(state, ORANGE), ORANGE, lastname="Zyxwvut", email="nobody@example.invalid"
    )
    reply = await dqe.idmobile(token, ORANGE, "matching_notp", user_infos=infos)
    assert reply.violations == []
    assert reply.body["family_name"] <= 0.5  # another name (README "Scores": names)
    assert reply.body["email"] <= 0.3  # another mailbox at another domain (README "Scores")
    assert reply.body["given_name"] == 1.0


async def test_matching_notp_weak_match_is_pinned(dqe: DqeClient, state: MockState) -> None:
    number = "+33639985003"
    token = await dqe.token()
    infos = infos_of(subscriber(state, number), number)
    reply = await dqe.idmobile(token, number, "matching_notp", user_infos=infos)
    assert reply.violations == []
    scenario = state.scenarios.find(number, number, "100001", "matching_notp")
    assert scenario is not None
    pinned = scenario.outcome_for("matching_notp").scores
    assert pinned
    for key, value in pinned.items():
        if key == "address":
            for part, score in value.items():
                assert reply.body["address"][part] == score
        else:
            assert reply.body[key] == value
    assert reply.body["family_name"] < 1.0


@pytest.mark.parametrize("method", METHODS)
async def test_matching_notp_consent_variant(dqe: DqeClient, state: MockState, method: str) -> None:
    number = "+33639985002"
    token = await dqe.token()
    infos = infos_of(subscriber(state, number), number)
    reply = await dqe.idmobile(token, number, "matching_notp", method, user_infos=infos)
    url = assert_consent(reply, "Orange")
    status, _, _ = await dqe.visit(url)
    assert status == 200
    done = await dqe.get(token, "matching", method)
    assert done.violations == []
    assert done.body["status"] == "success"
    assert_all_ones(done.body["matching"])


# --- consent scopes: {status, operator, url} ------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scope", CONSENT_SCOPES)
@pytest.mark.parametrize("number", list(HAPPY))
async def test_consent_scope_answers_operator_and_url(
    dqe: DqeClient,
    state: MockState,
    server: TestServer,
    method: str,
    scope: str,
    number: str,
) -> None:
    token = await dqe.token()
    extra = {}
    if "matching" in scope:
        extra["user_infos"] = infos_of(subscriber(state, number, scope), number)
    reply = await dqe.idmobile(token, number, scope, method, **extra)
    operator = HAPPY[number]
    url = assert_consent(reply, operator)
    prefix = str(server.make_url(f"/operator/{SLUGS[operator]}/consent/"))
    assert url.startswith(prefix)
    session = state.sessions.by_token(token)
    assert session is not None
    assert url == prefix + session.id
    assert session.scope == scope


async def test_consent_url_uses_the_host_header(dqe: DqeClient, state: MockState) -> None:
    token = await dqe.token()
    query = {
        "number": ORANGE,
        "token": token,
        "name": "ACME",
        "licence": "100001",
        "scope": "numVerify",
    }
    endpoint = dqe.base_url.with_path("/IDMOBILE/")
    headers = {"Host": "mock.partner.test:8443"}
    async with dqe.session.get(endpoint, params=query, headers=headers) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        body = await response.json()
    session = state.sessions.by_token(token)
    assert session is not None
    assert body["url"] == f"http://mock.partner.test:8443/operator/orange/consent/{session.id}"


PUBLIC_URL = "https://dqe-mock.example/sandbox/"


@pytest.fixture
async def public_server(settings: Settings) -> AsyncIterator[TestServer]:
    """A second mock started with Settings(public_url=...)."""
    app = create_app(replace(settings, public_url=PUBLIC_URL))
    async with TestServer(app, host="127.0.0.1") as srv:
        yield srv


@pytest.fixture
async def public_dqe(public_server: TestServer) -> AsyncIterator[DqeClient]:
    async with ClientSession() as session:
        yield DqeClient(session, public_server.make_url("/"))


@pytest.mark.parametrize("method", METHODS)
async def test_consent_url_uses_public_url(
    public_dqe: DqeClient, public_server: TestServer, method: str
) -> None:
    token = await public_dqe.token()
    reply = await public_dqe.idmobile(token, ORANGE, "formfilling", method)
    url = assert_consent(reply, "Orange")
    assert url.startswith("https://dqe-mock.example/sandbox/operator/orange/consent/")
    assert "//operator" not in url
    assert "127.0.0.1" not in url
    # The path of the public url is served by the mock itself.
    local = str(public_server.make_url(urlsplit(url).path.removeprefix("/sandbox")))
    status, _, _ = await public_dqe.visit(local)
    assert status == 200


async def test_code_name_and_redirect_are_optional(dqe: DqeClient) -> None:
    token = await dqe.token()
    reply = await dqe.idmobile(token, ORANGE, "formfilling", code_name=None, redirect_uri=None)
    assert_consent(reply, "Orange")


async def test_valid_redirect_uri_accepted(dqe: DqeClient) -> None:
    token = await dqe.token()
    redirect = "https://partner.example/cb?order=42&lang=fr"
    reply = await dqe.idmobile(token, ORANGE, "numVerify", redirect_uri=redirect)
    assert_consent(reply, "Orange")


async def test_new_idmobile_replaces_the_session_of_a_token(
    dqe: DqeClient, state: MockState
) -> None:
    token = await dqe.token()
    first = assert_consent(await dqe.idmobile(token, ORANGE, "numVerify"), "Orange")
    second = assert_consent(await dqe.idmobile(token, SFR, "formfilling"), "SFR")
    assert first != second
    session = state.sessions.by_token(token)
    assert session is not None
    assert session.scope == "formfilling"


# --- errors through validation ----------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One /IDMOBILE/ request that must be answered with `error`."""

    error: str
    scope: str = "numVerify"
    number: str = ORANGE
    token_licence: str = "100001"
    licence: str | None = "100001"
    extra: Mapping[str, str | None] = field(default_factory=dict)
    advance: float = 0.0


OPERATOR_ERRORS = {"07", "13", "14", "15", "16", "17"}


def _infos_without(*keys: str, **values: str) -> str:
    data = json.loads(user_infos(**values))
    for key in keys:
        del data[key]
    return json.dumps(data)


VALIDATION_CASES = {
    # 01: the request itself is not valid.
    "01-token-missing": Case("01", extra={"token": None}),
    "01-token-empty": Case("01", extra={"token": ""}),
    "01-name-missing": Case("01", extra={"name": None}),
    "01-name-empty": Case("01", extra={"name": ""}),
    "01-licence-missing": Case("01", licence=None),
    "01-licence-empty": Case("01", licence=""),
    "01-mode-missing-formfilling": Case("01", "formfilling", extra={"mode": None}),
    "01-mode-missing-matching_notp": Case("01", "matching_notp", extra={"mode": None}),
    "01-mode-missing-matching": Case("01", "matching", extra={"mode": None}),
    "01-mode-wrong-formfilling": Case("01", "formfilling", extra={"mode": "1"}),
    "01-redirect-javascript": Case("01", extra={"redirect_uri": "javascript:alert(1)"}),
    "01-redirect-relative": Case("01", extra={"redirect_uri": "/callback"}),
    "01-redirect-ftp": Case("01", extra={"redirect_uri": "ftp://partner.example/cb"}),
    "01-redirect-no-host": Case("01", extra={"redirect_uri": "https:///cb"}),
    "01-birthdate-bad": Case(
        "01",
        "matching_notp",
        extra={"user_infos": user_infos(birthdate="12/04/1985", phone=ORANGE)},
    ),
    "01-birthdate-bad-matching": Case(
        "01", "matching", extra={"user_infos": user_infos(birthdate="1985-13-40", phone=ORANGE)}
    ),
    "01-gender-bad": Case(
        "01", "matching_notp", extra={"user_infos": user_infos(gender="X", phone=ORANGE)}
    ),
    "01-user_infos-key-missing": Case(
        "01", "matching_notp", extra={"user_infos": _infos_without("email", phone=ORANGE)}
    ),
    "01-country-bad": Case("01", "matching_notp", extra={"country": "FRA"}),
    # 02: unknown licence.
    "02-licence-unknown": Case("02", licence="999999"),
    "02-licence-unknown-formfilling": Case("02", "formfilling", licence="999999"),
    # 04: scope.
    "04-scope-unknown": Case("04", "bogus"),
    "04-scope-empty": Case("04", ""),
    "04-scope-wrong-case": Case("04", "numverify"),
    "04-licence-100003-numVerify": Case("04", token_licence="100003", licence="100003"),
    "04-licence-100003-formfilling": Case(
        "04", "formfilling", token_licence="100003", licence="100003"
    ),
    "04-licence-100003-matching": Case("04", "matching", token_licence="100003", licence="100003"),
    # 05: user_infos missing or empty for a matching scope.
    "05-matching_notp-missing": Case("05", "matching_notp", extra={"user_infos": None}),
    "05-matching_notp-empty": Case("05", "matching_notp", extra={"user_infos": ""}),
    "05-matching_notp-empty-object": Case("05", "matching_notp", extra={"user_infos": "{}"}),
    "05-matching-missing": Case("05", "matching", extra={"user_infos": None}),
    "05-matching-empty": Case("05", "matching", extra={"user_infos": ""}),
    "05-combined-missing": Case("05", "matching,formfilling", extra={"user_infos": None}),
    # 06: user_infos is not JSON (an object).
    "06-not-json": Case("06", "matching_notp", extra={"user_infos": "firstname=Jean"}),
    "06-broken-json": Case("06", "matching_notp", extra={"user_infos": '{"phone": "06'}),
    "06-json-array": Case("06", "matching_notp", extra={"user_infos": '["phone"]'}),
    "06-matching-not-json": Case("06", "matching", extra={"user_infos": "nope"}),
    "06-numVerify-not-json": Case("06", "numVerify", extra={"user_infos": "nope"}),
    # 07: no phone key, or SFR without a phone.
    "07-no-phone-key": Case(
        "07", "matching_notp", extra={"user_infos": _infos_without("phone", lastname="Dupont")}
    ),
    "07-no-phone-key-matching": Case(
        "07", "matching", extra={"user_infos": _infos_without("phone", lastname="Dupont")}
    ),
    "07-sfr-empty-phone": Case(
        "07", "matching_notp", SFR, extra={"user_infos": user_infos(lastname="Martin")}
    ),
    "07-sfr-empty-phone-matching": Case(
        "07", "matching", SFR, extra={"user_infos": user_infos(lastname="Martin")}
    ),
    # 09: not a mobile line.
    "09-landline": Case("09", number="0199000001"),
    "09-landline-matching_notp": Case(
        "09", "matching_notp", "0199000001", extra={"user_infos": user_infos(phone="0199000001")}
    ),
    # 10: not a number in service.
    "10-too-short": Case("10", number="0600"),
    "10-letters": Case("10", number="abc"),
    "10-letters-formfilling": Case("10", "formfilling", "abc"),
    # 11: empty number.
    "11-empty": Case("11", number=""),
    "11-empty-formfilling": Case("11", "formfilling", ""),
    # 14: licence not authorised for the operator.
    "14-orange-only-licence-sfr": Case("14", number=SFR, token_licence="100002", licence="100002"),
    "14-orange-only-licence-bouygues": Case(
        "14", "formfilling", "+33639980003", token_licence="100002", licence="100002"
    ),
    # 13/15/16/17: operator-side configuration.
    "13-operator-not-found": Case("13", number="+33639986013"),
    "15-operator-unsupported": Case("15", number="+33639986015"),
    "16-operator-unreachable": Case("16", number="+33639986016"),
    "17-operator-scope-unsupported": Case("17", number="+33639986017"),
    "17-operator-scope-unsupported-formfilling": Case("17", "formfilling", "+33639986017"),
    # 30: token.
    "30-token-unknown": Case("30", extra={"token": "TK-not-issued-by-this-mock"}),
    "30-token-other-licence": Case("30", token_licence="100002"),
    "30-token-expired": Case("30", advance=301),
    "30-token-expired-matching_notp": Case("30", "matching_notp", advance=301),
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", list(VALIDATION_CASES.values()), ids=list(VALIDATION_CASES))
async def test_validation_error(dqe: DqeClient, state: MockState, case: Case, method: str) -> None:
    token = await dqe.token(licence=case.token_licence)
    state.clock.advance(case.advance)
    extra = dict(case.extra)
    if "matching" in case.scope and "user_infos" not in extra:
        extra["user_infos"] = user_infos(phone=case.number)
    token = extra.pop("token", token)  # None drops the parameter
    reply = await dqe.idmobile(
        token,  # type: ignore[arg-type]
        case.number,
        case.scope,
        method,
        licence=case.licence,  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )
    operator = operator_of(state, case.number) if case.error in OPERATOR_ERRORS else None
    assert_error(reply, case.error, case.scope, operator)
    entry = catalogue().get(case.error)
    assert entry.allowed("IDMOBILE", case.scope or None)
    if OPERATOR_PLACEHOLDER in entry.label and operator:
        assert operator in reply.body["error_type"]


def test_every_idmobile_error_id_is_reached_through_validation_or_operators() -> None:
    """Every IDMOBILE id except 12 (pack only) has a validation case above."""
    reached = {case.error for case in VALIDATION_CASES.values()}
    expected = set(catalogue().ids_for("IDMOBILE")) - {"12"}
    assert expected <= reached


async def test_no_session_is_opened_on_error(dqe: DqeClient, state: MockState) -> None:
    token = await dqe.token()
    reply = await dqe.idmobile(token, "0600", "formfilling")
    assert_error(reply, "10", "formfilling")
    assert state.sessions.by_token(token) is None


# --- precedence ---------------------------------------------------------------------------


PRECEDENCE_CASES = {
    "04-before-11": (("04", "11"), {"scope": "bogus", "number": ""}),
    "11-before-02": (("11", "02"), {"number": "", "licence": "999999"}),
    "02-before-30": (("02", "30"), {"licence": "999999", "token": "TK-unknown"}),
    "30-before-10": (("30", "10"), {"token": "TK-unknown", "number": "0600"}),
    "01-before-04": (("01", "04"), {"scope": "bogus", "name": None}),
}


@pytest.mark.parametrize(
    ("ids", "changes"), list(PRECEDENCE_CASES.values()), ids=list(PRECEDENCE_CASES)
)
async def test_precedence(
    dqe: DqeClient, ids: tuple[str, str], changes: Mapping[str, str | None]
) -> None:
    token = await dqe.token()
    params: dict[str, str | None] = {
        "number": ORANGE,
        "token": token,
        "name": "ACME",
        "licence": "100001",
        "scope": "numVerify",
        **changes,
    }
    reply = await dqe.call("IDMOBILE", {k: v for k, v in params.items() if v is not None})
    expected = catalogue().first("IDMOBILE", ids)
    assert expected == ids[0]
    assert_error(reply, expected, params["scope"])


# --- business errors of the default pack: +33 6 39 98 10 NN -------------------------------


def _idmobile_pack_cases() -> list[Any]:
    cases = []
    for error_id in catalogue().ids_for("IDMOBILE"):
        entry = catalogue().get(error_id)
        for scope in SCOPES:
            if entry.allowed("IDMOBILE", scope):
                cases.append(pytest.param(error_id, scope, id=f"{error_id}-{scope}"))
    return cases


@pytest.mark.parametrize(("error_id", "scope"), _idmobile_pack_cases())
async def test_pack_idmobile_error(
    dqe: DqeClient, state: MockState, error_id: str, scope: str
) -> None:
    number = f"+336399810{error_id}"
    token = await dqe.token()
    extra = {}
    if "matching" in scope:
        extra["user_infos"] = infos_of(subscriber(state, number, scope), number)
    reply = await dqe.idmobile(token, number, scope, **extra)
    assert_error(reply, error_id, scope, "Orange")
    if OPERATOR_PLACEHOLDER in catalogue().get(error_id).label:
        assert "Orange" in reply.body["error_type"]


@pytest.mark.parametrize("error_id", catalogue().ids_for("IDMOBILE"))
async def test_pack_idmobile_error_post(dqe: DqeClient, state: MockState, error_id: str) -> None:
    number = f"+336399810{error_id}"
    scope = next(s for s in SCOPES if catalogue().get(error_id).allowed("IDMOBILE", s))
    token = await dqe.token()
    extra = {}
    if "matching" in scope:
        extra["user_infos"] = infos_of(subscriber(state, number, scope), number)
    reply = await dqe.idmobile(token, number, scope, "POST", **extra)
    assert_error(reply, error_id, scope, "Orange")


def test_idmobile_pack_cases_cover_the_catalogue() -> None:
    ids = {p.values[0] for p in _idmobile_pack_cases()}
    assert ids == set(catalogue().ids_for("IDMOBILE"))
    assert "12" in ids
