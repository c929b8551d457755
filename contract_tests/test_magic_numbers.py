"""Every magic number of the built-in pack, in any format and scope, does what the pack says."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests.support import (
    PARTNER,
    consent_errors,
    get_params,
    idmobile_params,
    initiate_scopes,
    outcome_for,
)
from contract_tests.target import Target
from mockserver.testing.strategies import magic_scenarios, number_formats

pytestmark = pytest.mark.mock_only


def initiate_error(number: str, found: dict[str, Any], scope: str) -> str | None:
    """The scenario's initiate_error; the operator-* numbers end with the id they produce."""
    if found["id"].startswith("operator-"):
        return number[-2:]
    error_id = outcome_for(found, scope).get("initiate_error")
    return str(error_id) if error_id is not None else None


def final_error(outcome: dict[str, Any]) -> str | None:
    decision = outcome.get("consent", {}).get("decision", "approve")
    return consent_errors().get(decision) or outcome.get("result_error")


@given(data=st.data())
def test_a_magic_number_answers_what_its_scenario_says(target: Target, data: st.DataObject) -> None:
    number, found = data.draw(magic_scenarios())
    scope = data.draw(st.sampled_from(initiate_scopes(found)))
    text = data.draw(number_formats(number))
    token = target.token()
    params = idmobile_params(token, target.licence, scope, text, redirect_uri=PARTNER)
    answer = target.call("IDMOBILE", params)
    assert answer.error_id == initiate_error(number, found, scope)
    if answer.error_id is not None or "url" not in answer.body:
        return
    visit = target.visit(answer.body["url"])
    get_scope = "matching" if scope == "matching_notp" else scope
    outcome = outcome_for(found, get_scope)
    if outcome.get("consent", {}).get("decision") == "abandon":
        assert visit.status == 200
        assert (
            target.call("GET", get_params(token, target.licence, get_scope)).body["status"]
            == "pending"
        )
        return
    assert visit.status == 302
    pending = outcome.get("pending", {})
    target.expire(token, pending.get("seconds", 0))
    answers = [
        target.call("GET", get_params(token, target.licence, get_scope))
        for _ in range(pending.get("polls", 0) + 1)
    ]
    assert [a.status_field for a in answers[:-1]] == ["pending"] * pending.get("polls", 0)
    assert answers[-1].error_id == final_error(outcome)
    assert answers[-1].status_field == ("error" if final_error(outcome) else "success")
