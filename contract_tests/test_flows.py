"""Flows that work on any server: token, initiate, then /GET/ is pending until consent."""

from __future__ import annotations

import pytest

from contract_tests.support import METHODS, PARTNER, get_params, idmobile_params
from contract_tests.target import Target
from mockserver.contract.scopes import consent_scope_values


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scope", consent_scope_values())
def test_a_consent_scope_is_pending_until_the_user_answers(
    target: Target, scope: str, method: str
) -> None:
    token = target.token()
    params = idmobile_params(token, target.licence, scope, target.number, redirect_uri=PARTNER)
    initiated = target.call("IDMOBILE", params, method)
    assert initiated.body["status"] == "success"
    assert initiated.body["url"].startswith(("http://", "https://"))
    polled = target.call("GET", get_params(token, target.licence, scope), method)
    assert polled.status_field == "pending", polled.body


@pytest.mark.parametrize("method", METHODS)
def test_matching_notp_answers_scores_or_asks_for_consent(target: Target, method: str) -> None:
    token = target.token()
    params = idmobile_params(token, target.licence, "matching_notp", target.number)
    answered = target.call("IDMOBILE", params, method)
    assert answered.error_id is None, answered.body
    assert "family_name" in answered.body or answered.body["status"] == "success"


def test_a_later_initiation_with_the_same_token_starts_afresh(target: Target) -> None:
    token = target.token()
    for scope in ("numVerify", "formfilling"):
        params = idmobile_params(token, target.licence, scope, target.number)
        assert target.call("IDMOBILE", params).body["status"] == "success"
    polled = target.call("GET", get_params(token, target.licence, "formfilling"))
    assert polled.body["status"] == "pending"
