"""Every magic number of the built-in pack, in any format and scope, answers what the
hand-written table (magic_numbers.yaml) says."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests.support import (
    PARTNER,
    Magic,
    get_params,
    get_scope,
    idmobile_params,
    magic_table,
    pack_scenarios,
)
from contract_tests.target import Target
from mockserver.contract.scopes import scope_values
from mockserver.testing.strategies import number_formats

pytestmark = pytest.mark.mock_only


def test_the_table_has_a_row_for_every_scenario_of_the_pack() -> None:
    """magic_numbers.yaml cannot go stale: one row per scenario id, with one of its numbers."""
    pack = {s["id"]: s for s in pack_scenarios()}
    e164 = phonenumbers.PhoneNumberFormat.E164
    assert sorted(magic_table()) == sorted(pack)
    for scenario_id, row in magic_table().items():
        numbers = pack[scenario_id]["match"].get("numbers")
        if numbers:  # any-mobile matches every other mobile; its row names one
            forms = {phonenumbers.format_number(phonenumbers.parse(n, "FR"), e164) for n in numbers}
            assert row.number in forms, scenario_id


@given(data=st.data())
def test_a_magic_number_answers_what_the_table_says(target: Target, data: st.DataObject) -> None:
    row: Magic = data.draw(st.sampled_from(sorted(magic_table().values(), key=str)))
    scope = data.draw(st.sampled_from(scope_values()))
    text = data.draw(number_formats(row.number))
    token = target.token()
    params = idmobile_params(token, target.licence, scope, text, redirect_uri=PARTNER)
    answer = target.call("IDMOBILE", params)
    assert answer.error_id == row.initiate_error(scope), (row, scope)
    if answer.error_id is not None:
        return
    if not row.gives_url(scope):
        if row.family_name is not None:
            assert answer.body["family_name"] == row.family_name
        return
    check_the_consent_flow(target, token, row, get_scope(scope), answer.body["url"])


def check_the_consent_flow(target: Target, token: str, row: Magic, scope: str, url: str) -> None:
    """Consent as the scenario's user acts, then /GET/ until its final answer."""
    visit = target.visit(url)
    if row.consent == "abandon":
        assert visit.status == 200
        assert target.call("GET", get_params(token, target.licence, scope)).status_field == (
            "pending"
        )
        return
    assert visit.status == 302
    target.expire(token, row.seconds)
    answers = [
        target.call("GET", get_params(token, target.licence, scope)) for _ in range(row.polls + 1)
    ]
    assert [a.status_field for a in answers[:-1]] == ["pending"] * row.polls
    final = answers[-1]
    assert final.error_id == row.final_error(), (row, scope)
    assert final.status_field == ("error" if row.final_error() else "success")
    if scope == "numVerify" and final.error_id is None:
        assert final.body["numVerify"] is row.numverify
