"""Whole flows on the mock: consent through the url, results, and errors by magic number."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from contract_tests.support import (
    PARTNER,
    consent_errors,
    get_params,
    idmobile_params,
    magic_number,
    scenario,
    scope_enum,
)
from contract_tests.target import Raw, Target
from mockserver.contract.checks import Response

pytestmark = pytest.mark.mock_only
RESULT_KEYS = {
    "numVerify": {"numVerify"},
    "formfilling": {"formfilling", "code_name"},
    "matching": {"matching"},
}


def initiate(target: Target, scenario_id: str, scope: str) -> tuple[str, str]:
    """Initiate a magic number's check; return (token, consent url)."""
    token = target.token()
    number = magic_number(scenario_id)
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


@pytest.mark.parametrize("scope", scope_enum("consent_scope"))
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


@pytest.mark.parametrize(("decision", "error_id"), sorted(consent_errors().items()))
def test_a_failed_consent_redirects_with_error_then_get_answers_its_error(
    target: Target, decision: str, error_id: str
) -> None:
    ids = {
        "deny": "consent-denied",
        "wrong_otp": "consent-wrong-otp",
        "operator_failure": "consent-operator-failure",
    }
    assert scenario(ids[decision])["outcome"]["consent"]["decision"] == decision
    token, url = initiate(target, ids[decision], "formfilling")
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
    polls = scenario(scenario_id)["outcome"]["pending"]["polls"]
    token, _ = initiate(target, scenario_id, "formfilling")
    answers = [poll(target, token, "formfilling").body["status"] for _ in range(polls + 2)]
    assert answers == ["pending"] * polls + ["success", "success"]


def test_pending_lasts_the_scenarios_seconds_of_the_mocks_clock(target: Target) -> None:
    seconds = scenario("pending-30-seconds")["outcome"]["pending"]["seconds"]
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
    number = magic_number("weak-match")
    scores = target.call(
        "IDMOBILE", idmobile_params(token, target.licence, "matching_notp", number)
    )
    assert scores.body == scenario("weak-match")["outcome"]["scores"]
