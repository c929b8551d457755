"""Whole flows on the mock: consent through the url, results, and errors by magic number."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from contract_tests.support import (
    PARTNER,
    get_params,
    idmobile_params,
    magic,
    magic_table,
    scenario,
)
from contract_tests.target import Raw, Target
from mockserver.contract.checks import Response
from mockserver.contract.decisions import consent_errors
from mockserver.contract.scopes import consent_scope_values

pytestmark = pytest.mark.mock_only
RESULT_KEYS = {
    "numVerify": {"numVerify"},
    "formfilling": {"formfilling", "code_name"},
    "matching": {"matching"},
}


def initiate(target: Target, scenario_id: str, scope: str) -> tuple[str, str]:
    """Initiate a magic number's check; return (token, consent url)."""
    token = target.token()
    number = magic(scenario_id).number
    answer = target.call(
        "IDMOBILE", idmobile_params(token, target.licence, scope, number, redirect_uri=PARTNER)
    )
    assert answer.body["status"] == "success", answer.body
    return token, str(answer.body["url"])


def redirect_query(raw: Raw) -> dict[str, list[str]]:
    assert raw.status == 302, raw.text
    assert raw.location is not None
    assert raw.location.startswith(PARTNER.split("?")[0])
    return parse_qs(urlsplit(raw.location).query)


def poll(target: Target, token: str, scope: str) -> Response:
    return target.call("GET", get_params(token, target.licence, scope))


@pytest.mark.parametrize("scope", consent_scope_values())
def test_approved_consent_redirects_with_success_and_the_result_stays(
    target: Target, scope: str
) -> None:
    token, url = initiate(target, "orange-happy", scope)
    query = redirect_query(target.visit(url))
    assert query == {"order": ["42"], "token": [token], "status": ["success"]}
    result = poll(target, token, scope)
    assert result.body["status"] == "success"
    assert {k for part in scope.split(",") for k in RESULT_KEYS[part]} <= set(result.body)
    assert poll(target, token, scope).body == result.body


FAILED_CONSENTS = sorted(sid for sid, row in magic_table().items() if row.consent_error)


def test_the_contracts_consent_errors_are_the_tables() -> None:
    """scenario.schema.json's decision -> error map (x-dqe-error-by-decision) against the
    hand-written table."""
    table = {magic(sid).consent: magic(sid).consent_error for sid in FAILED_CONSENTS}
    assert dict(consent_errors()) == table


@pytest.mark.parametrize("scenario_id", FAILED_CONSENTS)
def test_a_failed_consent_redirects_with_error_then_get_answers_its_error(
    target: Target, scenario_id: str
) -> None:
    error_id = magic(scenario_id).consent_error
    token, url = initiate(target, scenario_id, "formfilling")
    assert poll(target, token, "formfilling").body["status"] == "pending"
    assert redirect_query(target.visit(url))["status"] == ["error"]
    assert poll(target, token, "formfilling").error_id == error_id


def test_a_wrong_code_shows_the_page_again_and_the_right_one_approves(target: Target) -> None:
    token, url = initiate(target, "orange-happy", "matching")
    again = target.visit(url, decision="approve", otp="000000")
    assert again.status == 200
    assert "Wrong code" in again.text
    assert poll(target, token, "matching").body["status"] == "pending"
    assert redirect_query(target.visit(url, decision="approve"))["status"] == ["success"]
    assert poll(target, token, "matching").body["status"] == "success"


def test_an_abandoned_consent_stays_pending_until_the_token_expires(target: Target) -> None:
    token, url = initiate(target, "consent-abandoned", "numVerify")
    assert target.visit(url).status == 200
    assert poll(target, token, "numVerify").body["status"] == "pending"
    target.expire(token, 301)
    assert poll(target, token, "numVerify").error_id == "30"
    assert target.visit(url).status == 410


def test_auto_consent_needs_no_visit(target: Target) -> None:
    token, _ = initiate(target, "consent-auto", "numVerify")
    assert poll(target, token, "numVerify").body == {
        "status": "success",
        "scope": "numVerify",
        "numVerify": True,
    }


@pytest.mark.parametrize("scenario_id", ["pending-1-poll", "pending-3-polls", "pending-10-polls"])
def test_pending_lasts_the_scenarios_number_of_polls(target: Target, scenario_id: str) -> None:
    polls = magic(scenario_id).polls
    token, _ = initiate(target, scenario_id, "formfilling")
    answers = [poll(target, token, "formfilling").body["status"] for _ in range(polls + 2)]
    assert answers == ["pending"] * polls + ["success", "success"]


def test_pending_lasts_the_scenarios_seconds_of_the_mocks_clock(target: Target) -> None:
    seconds = magic("pending-30-seconds").seconds
    token, _ = initiate(target, "pending-30-seconds", "numVerify")
    assert poll(target, token, "numVerify").body["status"] == "pending"
    target.expire(token, seconds - 5)
    assert poll(target, token, "numVerify").body["status"] == "pending"
    target.expire(token, 6)
    assert poll(target, token, "numVerify").body["status"] == "success"


def test_numverify_false_and_matching_notp_with_consent(target: Target) -> None:
    token, url = initiate(target, "numverify-false", "numVerify")
    target.visit(url)
    assert poll(target, token, "numVerify").body["numVerify"] is False
    token, url = initiate(target, "matching-notp-consent", "matching_notp")
    assert redirect_query(target.visit(url))["status"] == ["success"]
    assert poll(target, token, "matching").body["status"] == "success"


def test_weak_match_answers_the_pinned_scores(target: Target) -> None:
    token = target.token()
    number = magic("weak-match").number
    scores = target.call(
        "IDMOBILE", idmobile_params(token, target.licence, "matching_notp", number)
    )
    assert scores.body == scenario("weak-match")["outcome"]["scores"]
