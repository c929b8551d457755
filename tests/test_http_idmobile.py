"""/IDMOBILE/ over HTTP: every scope, GET and POST, consent urls, and every error id.

Which error each case answers is written here by hand from the vendor docs' error tables and
the README's magic-number table; which error wins when a request breaks several rules is
tests/test_precedence.py's.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.contract.errors import catalogue
from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient, Reply, user_infos
from tests.pack_helpers import (
    assert_all_ones,
    assert_error,
    infos_of,
    record_of,
)
from tests.table import Rows

# The same tests on the memory store and on a real Redis (issue 16).
pytestmark = pytest.mark.both_stores
# The conftest's `advance` fixture: moves the clock through the admin API (every store).
Advance = Callable[..., Awaitable[float]]

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


# The /IDMOBILE/ error ids: the "Error" table of each initiation page (numverify.txt,
# formfilling.txt, matching-notp.txt list the same ids). The pack forces each on the number
# +33 6 39 98 10 NN (README, Magic numbers).
IDMOBILE_IDS = ["01", "02", "04", "05", "06", "07", "09", "10", "11", "12", "13", "14", "15",
                "16", "17", "30"]  # fmt: skip
# The ids whose label names the operator ("[Operator Name]" in the docs' tables).
OPERATOR_LABELS = {"13", "14", "15", "16", "17"}
# user_infos errors (05 missing, 07 no phone key) and the scopes that take user_infos
# (matching-notp.txt; formfilling.txt for matching and its combination).
USER_INFOS_ERRORS = {"05", "07"}
USER_INFOS_SCOPES = {"matching_notp", "matching", "matching,formfilling"}


def infos_for(scope: str, number: str) -> dict[str, str]:
    """A valid user_infos for the scopes that take one (phone and a last name), else nothing."""
    if scope in USER_INFOS_SCOPES:
        return {"user_infos": user_infos(phone=number, lastname="Dupont")}
    return {}


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


async def test_matching_notp_exact_data_scores_one(dqe: DqeClient) -> None:
    """Each happy line, user_infos saying what its record says: every score 1.0, no status.

    The records are pack_helpers.RECORDS (by hand); the method alternates along the table.
    """
    rows = Rows()
    for index, number in enumerate(HAPPY):
        method = METHODS[index % 2]
        with rows.row(number, method):
            token = await dqe.token()
            infos = infos_of(record_of(number), phone=number)
            reply = await dqe.idmobile(token, number, "matching_notp", method, user_infos=infos)
            assert reply.status == 200
            assert reply.content_type == "application/json"
            assert reply.violations == []
            assert "status" not in reply.body
            assert_all_ones(reply.body)
    rows.check(len(HAPPY))


@pytest.mark.parametrize("method", METHODS)
async def test_matching_notp_empty_field_scores_empty_string(
    dqe: DqeClient, state: MockState, method: str
) -> None:
    token = await dqe.token()
    infos = infos_of(record_of(ORANGE), ORANGE, email="", firstname="", locality="")
    reply = await dqe.idmobile(token, ORANGE, "matching_notp", method, user_infos=infos)
    assert reply.violations == []
    assert_all_ones(reply.body, empty=frozenset({"email", "given_name", "locality"}))


async def test_matching_notp_wrong_data_scores_below_one(dqe: DqeClient, state: MockState) -> None:
    token = await dqe.token()
    infos = infos_of(record_of(ORANGE), ORANGE, lastname="Zyxwvut", email="nobody@example.invalid")
    reply = await dqe.idmobile(token, ORANGE, "matching_notp", user_infos=infos)
    assert reply.violations == []
    assert reply.body["family_name"] <= 0.5  # another name (docs/matching-scores.md: names)
    assert reply.body["email"] <= 0.3  # another mailbox at another domain (docs/matching-scores.md)
    assert reply.body["given_name"] == 1.0


async def test_matching_notp_weak_match_is_pinned(dqe: DqeClient) -> None:
    number = "+33639985003"
    token = await dqe.token()
    infos = infos_of(record_of(number), number)
    reply = await dqe.idmobile(token, number, "matching_notp", user_infos=infos)
    assert reply.violations == []
    # The pack's weak-match scores (scenarios/default.yaml, README: "Scores pinned low").
    assert reply.body == {
        "family_name": 0.2, "given_name": 0.1, "gender": 0.0, "birthdate": 0.0, "email": 0.0,
        "address": {"country": 1.0, "postal_code": 0.0, "street_address": 0.12, "locality": 0.0},
    }  # fmt: skip


@pytest.mark.parametrize("method", METHODS)
async def test_matching_notp_consent_variant(dqe: DqeClient, state: MockState, method: str) -> None:
    number = "+33639985002"
    token = await dqe.token()
    infos = infos_of(record_of(number), number)
    reply = await dqe.idmobile(token, number, "matching_notp", method, user_infos=infos)
    url = assert_consent(reply, "Orange")
    status, _, _ = await dqe.visit(url)
    assert status == 200
    done = await dqe.get(token, "matching", method)
    assert done.violations == []
    assert done.body["status"] == "success"
    assert_all_ones(done.body["matching"])


# --- consent scopes: {status, operator, url} ------------------------------------------------


async def test_consent_scope_answers_operator_and_url(
    dqe: DqeClient, state: MockState, server: TestServer
) -> None:
    """Each happy number, each consent scope: {status, operator, url}, the url the session's.

    The operators and their slugs are the README's magic-number table, written in HAPPY and
    SLUGS; the method alternates along the table, so each number and scope sees both.
    """
    rows = Rows()
    for n, (number, operator) in enumerate(HAPPY.items()):
        for s, scope in enumerate(CONSENT_SCOPES):
            method = METHODS[(n + s) % 2]
            with rows.row(number, scope, method):
                token = await dqe.token()
                reply = await dqe.idmobile(token, number, scope, method, **infos_for(scope, number))
                url = assert_consent(reply, operator)
                prefix = str(server.make_url(f"/operator/{SLUGS[operator]}/consent/"))
                session = state.sessions.by_token(token)
                assert session is not None
                assert url == prefix + session.id
                assert session.scope == scope
    rows.check(len(HAPPY) * len(CONSENT_SCOPES))


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
    operator: str | None = None  # the name in the label: README, Magic numbers and Licences


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
    "14-orange-only-licence-sfr": Case(
        "14", number=SFR, token_licence="100002", licence="100002", operator="SFR"
    ),
    "14-orange-only-licence-bouygues": Case(
        "14",
        "formfilling",
        "+33639980003",
        token_licence="100002",
        licence="100002",
        operator="Bouygues Telecom",
    ),
    # 13/15/16/17: operator-side configuration.
    # 13: the pack's 60 13 names no operator, so the label has none.
    "13-operator-not-found": Case("13", number="+33639986013"),
    "15-operator-unsupported": Case("15", number="+33639986015", operator="Zephyr Mobile"),
    "16-operator-unreachable": Case("16", number="+33639986016", operator="Nimbus Telecom"),
    "17-operator-scope-unsupported": Case("17", number="+33639986017", operator="Cirrus Mobile"),
    "17-operator-scope-unsupported-formfilling": Case(
        "17", "formfilling", "+33639986017", operator="Cirrus Mobile"
    ),
    # 30: token.
    "30-token-unknown": Case("30", extra={"token": "TK-not-issued-by-this-mock"}),
    "30-token-other-licence": Case("30", token_licence="100002"),
    "30-token-expired": Case("30", advance=301),
    "30-token-expired-matching_notp": Case("30", "matching_notp", advance=301),
}


async def test_validation_error(dqe: DqeClient, state: MockState, advance: Advance) -> None:
    """Each request of VALIDATION_CASES breaks one rule: the error id written in its row.

    The method alternates along the table (cases of one id sit together, so ids with two or
    more cases go through both); the operator in a label is the row's, written by hand.
    """
    rows = Rows()
    for index, (name, case) in enumerate(VALIDATION_CASES.items()):
        method = METHODS[index % 2]
        with rows.row(name, method):
            token = await dqe.token(licence=case.token_licence)
            await advance(case.advance)
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
            assert_error(reply, case.error, case.scope, case.operator)
            if case.error in OPERATOR_LABELS and case.operator:
                assert case.operator in reply.body["error_type"]
    rows.check(len(VALIDATION_CASES))


def test_every_idmobile_error_id_is_reached_through_validation_or_operators() -> None:
    """Every id of the /IDMOBILE/ error tables except 12 (pack only) has a case above."""
    reached = {case.error for case in VALIDATION_CASES.values()}
    assert set(IDMOBILE_IDS) - {"12"} <= reached


async def test_no_session_is_opened_on_error(dqe: DqeClient, state: MockState) -> None:
    token = await dqe.token()
    reply = await dqe.idmobile(token, "0600", "formfilling")
    assert_error(reply, "10", "formfilling")
    assert state.sessions.by_token(token) is None


# --- business errors of the default pack: +33 6 39 98 10 NN -------------------------------


def pack_idmobile_expectation(error_id: str, scope: str) -> str | None:
    """What +33 6 39 98 10 NN answers for `scope`: the error id, or None for the happy path.

    README, Magic numbers: 10 05 and 10 07 break a user_infos rule, so on the scopes that take
    no user_infos they are the Orange happy path; every other 10 NN is error NN on any scope.
    """
    if error_id in USER_INFOS_ERRORS and scope not in USER_INFOS_SCOPES:
        return None
    return error_id


async def test_pack_idmobile_error(dqe: DqeClient) -> None:
    """Each /IDMOBILE/ id of the docs, each scope: the pack's number answers the table's verdict.

    The method alternates along the table, so each id goes through GET and POST.
    """
    rows = Rows()
    index = 0
    for error_id in IDMOBILE_IDS:
        number = f"+336399810{error_id}"
        for scope in SCOPES:
            method = METHODS[index % 2]
            index += 1
            expected = pack_idmobile_expectation(error_id, scope)
            with rows.row(error_id, scope, method, f"expected {expected}"):
                token = await dqe.token()
                reply = await dqe.idmobile(token, number, scope, method, **infos_for(scope, number))
                if expected is None:
                    assert_consent(reply, "Orange")
                    continue
                assert_error(reply, expected, scope, "Orange")
                if expected in OPERATOR_LABELS:
                    assert "Orange" in reply.body["error_type"]
    rows.check(len(IDMOBILE_IDS) * len(SCOPES))


def test_the_catalogue_agrees_with_the_idmobile_error_tables() -> None:
    """errors.json lists the docs' /IDMOBILE/ ids, and allows each where the table expects it."""
    assert set(catalogue().ids_for("IDMOBILE")) == set(IDMOBILE_IDS)
    for error_id in IDMOBILE_IDS:
        for scope in SCOPES:
            expected = pack_idmobile_expectation(error_id, scope) is not None
            assert catalogue().get(error_id).allowed("IDMOBILE", scope) == expected, (
                error_id,
                scope,
            )
