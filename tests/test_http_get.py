"""/GET/ over HTTP: pending, consent, results, consent failures, polling, redirects, errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from mockserver.contract.errors import catalogue
from mockserver.domain.service import MockState
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
CONSENT_SCOPES = ["numVerify", "formfilling", "matching", "matching,formfilling"]
ORANGE = "+33639980001"
DENY = "+33639983001"
WRONG_OTP = "+33639983002"
ABANDON = "+33639983003"
OPERATOR_FAILURE = "+33639983004"
AUTO = "+33639983005"
NUMVERIFY_FALSE = "+33639985001"
PENDING_30_SECONDS = "+33639984030"
PARTNER = "https://partner.example/cb"
# The keys the formfilling page documents, with the keys of its address object.
FORMFILLING_KEYS = {
    "phone_number",
    "family_name",
    "name",
    "locale",
    "gender",
    "updated_at",
    "birthdate",
    "birthplace",
    "given_name",
    "address",
    "email",
    "email_domain",
    "email_account",
    "subscriber_msisdn",
    "sub",
}
ADDRESS_KEYS = {"country", "postal_code", "formatted", "street_address", "number", "locality"}


async def start(
    dqe: DqeClient,
    number: str,
    scope: str,
    method: str = "GET",
    **extra: str,
) -> tuple[str, str]:
    """A token and a successful /IDMOBILE/ consent answer: (token, url)."""
    token = await dqe.token()
    if "matching" in scope and "user_infos" not in extra:
        extra["user_infos"] = infos_of(record_of(number), number)
    reply = await dqe.idmobile(token, number, scope, method, **extra)
    assert reply.status == 200
    assert reply.violations == []
    assert reply.body["status"] == "success", reply.body
    return token, reply.body["url"]


def assert_ok(reply: Reply) -> None:
    assert reply.status == 200
    assert reply.content_type == "application/json"
    assert reply.violations == []


def assert_pending(reply: Reply, scope: str) -> None:
    assert_ok(reply)
    assert reply.body == {"status": "pending", "scope": scope}


def assert_success(reply: Reply, scope: str) -> None:
    assert_ok(reply)
    assert reply.body["status"] == "success", reply.body
    assert reply.body["scope"] == scope


def query_of(location: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(location).query, keep_blank_values=True, strict_parsing=True)


# --- pending, consent, success ------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scope", CONSENT_SCOPES)
async def test_pending_before_consent(
    dqe: DqeClient, state: MockState, scope: str, method: str
) -> None:
    token, _ = await start(dqe, ORANGE, scope, method)
    assert_pending(await dqe.get(token, scope, method), scope)
    assert_pending(await dqe.get(token, scope, method), scope)


async def test_viewing_the_consent_page_changes_nothing(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, ORANGE, "numVerify")
    async with dqe.session.get(url, allow_redirects=False) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
    assert_pending(await dqe.get(token, "numVerify"), "numVerify")


@pytest.mark.parametrize("method", METHODS)
async def test_numverify_true(dqe: DqeClient, state: MockState, method: str) -> None:
    token, url = await start(dqe, ORANGE, "numVerify", method)
    status, location, _ = await dqe.visit(url)
    assert (status, location) == (200, None)
    reply = await dqe.get(token, "numVerify", method)
    assert_success(reply, "numVerify")
    assert reply.body == {"status": "success", "scope": "numVerify", "numVerify": True}


@pytest.mark.parametrize("method", METHODS)
async def test_numverify_false(dqe: DqeClient, state: MockState, method: str) -> None:
    token, url = await start(dqe, NUMVERIFY_FALSE, "numVerify", method)
    await dqe.visit(url)
    reply = await dqe.get(token, "numVerify", method)
    assert_success(reply, "numVerify")
    assert reply.body["numVerify"] is False


# The formfilling object of each happy line, written by hand from its record in
# scenarios/default.yaml and the keys table of formfilling.txt (name: first and last name;
# email_account and email_domain: the two halves of email; phone_number and
# subscriber_msisdn: the line in 10 digits; formatted: number, street, postal code, town
# and country, as the mock writes an address the record does not format).
FORMFILLING = {
    "+33639980001": {
        "phone_number": "0639980001", "family_name": "Dupont", "name": "Jean Dupont",
        "locale": "fr-FR", "gender": "M", "updated_at": "2024-01-15",
        "birthdate": "1985-04-12", "birthplace": "75", "given_name": "Jean",
        "address": {"country": "France", "postal_code": "75002",
                    "formatted": "10 rue de la Paix, 75002 Paris, France",
                    "street_address": "rue de la Paix", "number": "10", "locality": "Paris"},
        "email": "jean.dupont@example.com", "email_domain": "example.com",
        "email_account": "jean.dupont", "subscriber_msisdn": "0639980001",
        "sub": "orange-sub-0001",
    },
    "+33639980002": {
        "phone_number": "0639980002", "family_name": "Martin", "name": "Marie Martin",
        "locale": "fr-FR", "gender": "F", "updated_at": "2024-03-02",
        "birthdate": "1990-09-30", "birthplace": "69", "given_name": "Marie",
        "address": {"country": "France", "postal_code": "69002",
                    "formatted": "5 place Bellecour, 69002 Lyon, France",
                    "street_address": "place Bellecour", "number": "5", "locality": "Lyon"},
        "email": "marie.martin@example.fr", "email_domain": "example.fr",
        "email_account": "marie.martin", "subscriber_msisdn": "0639980002",
        "sub": "sfr-sub-0002",
    },
    "+33639980003": {
        "phone_number": "0639980003", "family_name": "Bernard", "name": "Luc Bernard",
        "locale": "fr-FR", "gender": "M", "updated_at": "2023-11-20",
        "birthdate": "1978-12-01", "birthplace": "13", "given_name": "Luc",
        "address": {"country": "France", "postal_code": "13002",
                    "formatted": "2 quai du Port, 13002 Marseille, France",
                    "street_address": "quai du Port", "number": "2", "locality": "Marseille"},
        "email": "luc.bernard@example.net", "email_domain": "example.net",
        "email_account": "luc.bernard", "subscriber_msisdn": "0639980003",
        "sub": "bytel-sub-0003",
    },
    "+33639980004": {
        "phone_number": "0639980004", "family_name": "Petit", "name": "Sophie Petit",
        "locale": "fr-FR", "gender": "F", "updated_at": "2024-06-10",
        "birthdate": "2000-02-29", "birthplace": "33", "given_name": "Sophie",
        "address": {"country": "France", "postal_code": "33000",
                    "formatted": "1 cours de l'Intendance, 33000 Bordeaux, France",
                    "street_address": "cours de l'Intendance", "number": "1",
                    "locality": "Bordeaux"},
        "email": "sophie.petit@example.org", "email_domain": "example.org",
        "email_account": "sophie.petit", "subscriber_msisdn": "0639980004",
        "sub": "free-sub-0004",
    },
}  # fmt: skip


async def test_formfilling_every_documented_key(dqe: DqeClient, state: MockState) -> None:
    """Each happy line: the formfilling object is its FORMFILLING row, key for key.

    The method alternates along the table.
    """
    rows = Rows()
    for index, (number, expected) in enumerate(FORMFILLING.items()):
        method = METHODS[index % 2]
        with rows.row(number, method):
            token, url = await start(dqe, number, "formfilling", method, code_name="C-42")
            await dqe.visit(url)
            reply = await dqe.get(token, "formfilling", method)
            assert_success(reply, "formfilling")
            assert reply.body["code_name"] == "C-42"
            assert set(reply.body["formfilling"]) == FORMFILLING_KEYS
            assert set(reply.body["formfilling"]["address"]) == ADDRESS_KEYS
            assert reply.body["formfilling"] == expected
    rows.check(len(FORMFILLING))


@pytest.mark.parametrize("method", METHODS)
async def test_matching_scores(dqe: DqeClient, state: MockState, method: str) -> None:
    token, url = await start(dqe, ORANGE, "matching", method)
    await dqe.visit(url)
    reply = await dqe.get(token, "matching", method)
    assert_success(reply, "matching")
    assert "formfilling" not in reply.body
    assert_all_ones(reply.body["matching"])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("get_scope", ["matching,formfilling", "formfilling,matching"])
async def test_combined_scope(
    dqe: DqeClient, state: MockState, method: str, get_scope: str
) -> None:
    token, url = await start(dqe, ORANGE, "matching,formfilling", method)
    await dqe.visit(url)
    reply = await dqe.get(token, get_scope, method)
    assert_success(reply, "matching,formfilling")
    assert_all_ones(reply.body["matching"])
    assert set(reply.body["formfilling"]) == FORMFILLING_KEYS
    assert reply.body["formfilling"] == FORMFILLING[ORANGE]


async def test_combined_scope_pending_in_other_order(dqe: DqeClient, state: MockState) -> None:
    token, _ = await start(dqe, ORANGE, "matching,formfilling")
    reply = await dqe.get(token, "formfilling,matching")
    assert_ok(reply)
    assert reply.body["status"] == "pending"


async def test_get_with_lowercase_licence(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, ORANGE, "numVerify")
    await dqe.visit(url)
    reply = await dqe.call("GET", {"token": token, "licence": "100001", "scope": "numVerify"})
    assert_success(reply, "numVerify")
    assert reply.body["numVerify"] is True


# --- consent behaviours of the pack (+33 6 39 98 30 0x) ----------------------------------


@pytest.mark.parametrize("scope", CONSENT_SCOPES)
async def test_consent_denied(dqe: DqeClient, state: MockState, scope: str) -> None:
    token, url = await start(dqe, DENY, scope, redirect_uri=PARTNER)
    status, location, _ = await dqe.visit(url)
    assert status == 302
    assert location is not None
    assert dict(query_of(location))["status"] == "error"
    assert_error(await dqe.get(token, scope), "21", scope, "Orange")


@pytest.mark.parametrize("scope", CONSENT_SCOPES)
async def test_consent_wrong_otp(dqe: DqeClient, state: MockState, scope: str) -> None:
    token, url = await start(dqe, WRONG_OTP, scope)
    await dqe.visit(url)
    reply = await dqe.get(token, scope)
    assert_error(reply, "20", scope, "Orange")


async def test_wrong_otp_numverify_label(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, WRONG_OTP, "numVerify")
    await dqe.visit(url)
    reply = await dqe.get(token, "numVerify")
    entry = catalogue().get("20")
    assert reply.body["error_type"] == entry.labels_by_scope["numVerify"]
    assert reply.body["error_type"] != entry.label


@pytest.mark.parametrize("scope", CONSENT_SCOPES)
async def test_consent_operator_failure(dqe: DqeClient, state: MockState, scope: str) -> None:
    token, url = await start(dqe, OPERATOR_FAILURE, scope)
    await dqe.visit(url)
    assert_error(await dqe.get(token, scope), "18", scope, "Orange")


async def test_consent_error_is_final(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, DENY, "formfilling")
    await dqe.visit(url)
    assert_error(await dqe.get(token, "formfilling"), "21", "formfilling")
    assert_error(await dqe.get(token, "formfilling", "POST"), "21", "formfilling")


@pytest.mark.parametrize("scope", CONSENT_SCOPES)
async def test_consent_abandoned(
    dqe: DqeClient, state: MockState, scope: str, advance: Advance
) -> None:
    issued = await dqe.call(
        "ACCESS_TOKEN",
        {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": "100001"},
    )
    token, ttl = issued.body["access_token"], int(issued.body["expires_in"])
    extra = {"redirect_uri": PARTNER}
    if "matching" in scope:
        extra["user_infos"] = infos_of(record_of(ABANDON), ABANDON)
    started = await dqe.idmobile(token, ABANDON, scope, **extra)
    assert started.violations == []
    status, location, _ = await dqe.visit(started.body["url"])
    assert status == 200
    assert location is None
    assert_pending(await dqe.get(token, scope), scope)
    await advance(ttl - 1)
    assert_pending(await dqe.get(token, scope), scope)
    await advance(2)
    assert_error(await dqe.get(token, scope), "30", scope)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scope", CONSENT_SCOPES)
async def test_auto_consent(dqe: DqeClient, state: MockState, scope: str, method: str) -> None:
    token, _ = await start(dqe, AUTO, scope, method)
    reply = await dqe.get(token, scope, method)
    assert_success(reply, scope)


async def test_explicit_deny_on_happy_number(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, ORANGE, "numVerify", redirect_uri=PARTNER)
    status, location, _ = await dqe.visit(url, decision="deny")
    assert status == 302
    assert location is not None
    assert dict(query_of(location))["status"] == "error"
    assert_error(await dqe.get(token, "numVerify"), "21", "numVerify")


async def test_wrong_codes_until_attempts_run_out(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, ORANGE, "formfilling")
    for _ in range(2):
        status, location, _ = await dqe.visit(url, decision="approve", otp="000000")
        assert (status, location) == (200, None)
        assert_pending(await dqe.get(token, "formfilling"), "formfilling")
    await dqe.visit(url, decision="approve", otp="000000")
    assert_error(await dqe.get(token, "formfilling"), "20", "formfilling", "Orange")


async def test_right_code_after_a_wrong_one(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, ORANGE, "formfilling")
    await dqe.visit(url, decision="approve", otp="000000")
    assert_pending(await dqe.get(token, "formfilling"), "formfilling")
    await dqe.visit(url, decision="approve", otp="123456")
    assert_success(await dqe.get(token, "formfilling"), "formfilling")


# --- pending after consent (+33 6 39 98 40 xx) --------------------------------------------


@pytest.mark.parametrize(
    ("number", "polls"), [("+33639984001", 1), ("+33639984003", 3), ("+33639984010", 10)]
)
async def test_pending_polls(dqe: DqeClient, state: MockState, number: str, polls: int) -> None:
    token, _ = await start(dqe, number, "formfilling")
    for _ in range(polls):
        assert_pending(await dqe.get(token, "formfilling"), "formfilling")
    first = await dqe.get(token, "formfilling")
    assert_success(first, "formfilling")
    again = await dqe.get(token, "formfilling", "POST")
    assert_success(again, "formfilling")
    assert again.body == first.body


async def test_pending_30_seconds(dqe: DqeClient, state: MockState, advance: Advance) -> None:
    token, _ = await start(dqe, PENDING_30_SECONDS, "numVerify")
    assert_pending(await dqe.get(token, "numVerify"), "numVerify")
    await advance(29)
    assert_pending(await dqe.get(token, "numVerify"), "numVerify")
    await advance(1)
    assert_success(await dqe.get(token, "numVerify"), "numVerify")
    assert_success(await dqe.get(token, "numVerify"), "numVerify")


# --- /GET/ errors -------------------------------------------------------------------------


async def test_scope_mismatch(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, ORANGE, "formfilling")
    await dqe.visit(url)
    assert_error(await dqe.get(token, "numVerify"), "04", "numVerify")
    assert_error(await dqe.get(token, "matching"), "04", "matching")


@pytest.mark.parametrize("method", METHODS)
async def test_unknown_token(dqe: DqeClient, method: str) -> None:
    assert_error(await dqe.get("TK-never-issued", "numVerify", method), "30", "numVerify")


@pytest.mark.parametrize("method", METHODS)
async def test_token_without_idmobile(dqe: DqeClient, method: str) -> None:
    token = await dqe.token()
    assert_error(await dqe.get(token, "formfilling", method), "30", "formfilling")


async def test_token_of_another_licence(dqe: DqeClient, state: MockState) -> None:
    token, _ = await start(dqe, ORANGE, "numVerify")
    other = await dqe.token(licence="100002")
    assert_error(await dqe.get(token, "numVerify", licence="100002"), "30", "numVerify")
    assert_error(await dqe.get(other, "numVerify"), "30", "numVerify")


async def test_unknown_licence(dqe: DqeClient, state: MockState) -> None:
    token, _ = await start(dqe, ORANGE, "numVerify")
    assert_error(await dqe.get(token, "numVerify", licence="999999"), "02", "numVerify")


# /GET/ requests that break one rule of the retrieval step (numverify.txt, formfilling.txt,
# Step 2): a missing or empty mandatory parameter is 01, a scope that is none of the consent
# scopes 04 (docs/contract-notes.md). "{token}" is the session's token.
GET_VALIDATION = {
    "01-token-missing": ("01", {"Licence": "100001", "scope": "numVerify"}),
    "01-token-empty": ("01", {"token": "", "Licence": "100001", "scope": "numVerify"}),
    "01-licence-missing": ("01", {"token": "{token}", "scope": "numVerify"}),
    "01-licence-empty": ("01", {"token": "{token}", "Licence": "", "scope": "numVerify"}),
    "01-scope-missing": ("01", {"token": "{token}", "Licence": "100001"}),
    "04-matching_notp": ("04", {"token": "{token}", "Licence": "100001", "scope": "matching_notp"}),
    "04-unknown": ("04", {"token": "{token}", "Licence": "100001", "scope": "bogus"}),
}


async def test_get_validation(dqe: DqeClient) -> None:
    """Each row of GET_VALIDATION answers its error; the method alternates along the table."""
    rows = Rows()
    for index, (name, (error_id, params)) in enumerate(GET_VALIDATION.items()):
        method = METHODS[index % 2]
        with rows.row(name, method):
            token, _ = await start(dqe, ORANGE, "numVerify")
            sent = {k: v.replace("{token}", token) for k, v in params.items()}
            reply = await dqe.call("GET", sent, method)
            assert_error(reply, error_id, sent.get("scope"))
    rows.check(len(GET_VALIDATION))


# --- business errors of the default pack: +33 6 39 98 20 NN -------------------------------


# The /GET/ error ids: the "Error" table of each retrieval step (numverify.txt and
# formfilling.txt, Step 2, list the same ids). The pack forces each on +33 6 39 98 20 NN after
# a consent that succeeds (README, Magic numbers), on every consent scope.
GET_IDS = ["01", "02", "04", "18", "20", "21", "30", "99"]


async def test_pack_get_error(dqe: DqeClient, state: MockState) -> None:
    """Each /GET/ id of the docs, each consent scope: the pack's 20 NN answers error NN, twice.

    The first /GET/ alternates between GET and POST along the table; the second uses the
    other method and must answer the same body.
    """
    rows = Rows()
    index = 0
    for error_id in GET_IDS:
        number = f"+336399820{error_id}"
        for scope in CONSENT_SCOPES:
            method, other = (METHODS[index % 2], METHODS[(index + 1) % 2])
            index += 1
            with rows.row(error_id, scope, method):
                extra = {"user_infos": user_infos(phone=number)} if "matching" in scope else {}
                token, url = await start(dqe, number, scope, method, **extra)
                status, _, _ = await dqe.visit(url)
                assert status == 200
                reply = await dqe.get(token, scope, method)
                assert_error(reply, error_id, scope, "Orange")
                again = await dqe.get(token, scope, other)
                assert again.body == reply.body
    rows.check(len(GET_IDS) * len(CONSENT_SCOPES))


def test_the_catalogue_agrees_with_the_get_error_tables() -> None:
    """errors.json lists the docs' /GET/ ids, each allowed on every consent scope."""
    assert set(catalogue().ids_for("GET")) == set(GET_IDS)
    for error_id in GET_IDS:
        for scope in CONSENT_SCOPES:
            assert catalogue().get(error_id).allowed("GET", scope), (error_id, scope)


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
async def test_redirect_keeps_the_partner_query(
    dqe: DqeClient, state: MockState, method: str
) -> None:
    redirect = f"{PARTNER}?order=42&lang=fr"
    token, url = await start(dqe, ORANGE, "formfilling", method, redirect_uri=redirect)
    status, location, _ = await dqe.visit(url)
    assert status == 302
    assert location is not None
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "partner.example", "/cb")
    assert query_of(location) == [
        ("order", "42"),
        ("lang", "fr"),
        ("token", token),
        ("status", "success"),
    ]


async def test_redirect_values_needing_encoding(dqe: DqeClient, state: MockState) -> None:
    partner_query = [("note", "a b&c"), ("order", "42"), ("city", "Besançon=25")]
    redirect = f"{PARTNER}?{urlencode(partner_query)}"
    token, url = await start(dqe, ORANGE, "numVerify", redirect_uri=redirect)
    status, location, _ = await dqe.visit(url)
    assert status == 302
    assert location is not None
    assert " " not in location
    assert query_of(location) == [*partner_query, ("token", token), ("status", "success")]


async def test_redirect_without_query(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, ORANGE, "numVerify", redirect_uri=PARTNER)
    status, location, _ = await dqe.visit(url)
    assert status == 302
    assert location is not None
    assert urlsplit(location).path == "/cb"
    assert query_of(location) == [("token", token), ("status", "success")]


async def test_redirect_keeps_the_fragment(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, ORANGE, "numVerify", redirect_uri=f"{PARTNER}?order=42#done")
    _, location, _ = await dqe.visit(url)
    assert location is not None
    parts = urlsplit(location)
    assert parts.fragment == "done"
    assert query_of(location) == [("order", "42"), ("token", token), ("status", "success")]


async def test_redirect_status_error_on_deny(dqe: DqeClient, state: MockState) -> None:
    redirect = f"{PARTNER}?order=42"
    token, url = await start(dqe, DENY, "formfilling", redirect_uri=redirect)
    status, location, _ = await dqe.visit(url)
    assert status == 302
    assert location is not None
    assert query_of(location) == [("order", "42"), ("token", token), ("status", "error")]


async def test_no_redirect_uri_shows_confirmation_page(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, ORANGE, "formfilling")
    response = await dqe.session.post(url, allow_redirects=False)
    async with response:
        assert response.status == 200
        assert "Location" not in response.headers
        assert response.content_type == "text/html"
        text = await response.text()
    assert "<html" in text.lower()
    assert "Orange" in text
    assert_success(await dqe.get(token, "formfilling"), "formfilling")


async def test_second_visit_redirects_again(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, ORANGE, "numVerify", redirect_uri=PARTNER)
    first = await dqe.visit(url)
    second = await dqe.visit(url, decision="deny")
    assert first[:2] == second[:2]
    assert second[1] is not None
    assert dict(query_of(second[1]))["status"] == "success"
    assert_success(await dqe.get(token, "numVerify"), "numVerify")
