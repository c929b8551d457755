"""/GET/ on any server: no result without an initiation; defective requests refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests.support import METHODS
from contract_tests.target import Target
from mockserver.testing.strategies import get_requests, invalid_get_requests


@given(data=st.data(), method=st.sampled_from(METHODS))
def test_a_token_that_initiated_nothing_has_no_result(
    target: Target, data: st.DataObject, method: str
) -> None:
    params = data.draw(get_requests(target.token(), target.licence))
    response = target.call("GET", params, method)
    assert response.status_field == "error", response.body


@given(data=st.data(), method=st.sampled_from(METHODS))
def test_a_defective_request_is_refused(target: Target, data: st.DataObject, method: str) -> None:
    params = data.draw(invalid_get_requests(target.token(), target.licence)).params
    response = target.call("GET", params, method)
    assert response.status_field == "error", response.body


@pytest.mark.mock_only
@given(data=st.data(), method=st.sampled_from(METHODS))
def test_the_mock_answers_each_defect_with_the_contracts_error(
    target: Target, data: st.DataObject, method: str
) -> None:
    case = data.draw(invalid_get_requests(target.token(), target.licence))
    response = target.call("GET", case.params, method)
    assert response.error_id == case.error_id, case.defect


@pytest.mark.mock_only
@given(data=st.data())
def test_the_mock_answers_30_for_a_token_that_initiated_nothing(
    target: Target, data: st.DataObject
) -> None:
    params = data.draw(get_requests(target.token(), target.licence))
    assert target.call("GET", params).error_id == "30"
