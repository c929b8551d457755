"""/ACCESS_TOKEN/ on any server: valid requests get a token, defective ones an OAuth error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests.support import METHODS
from contract_tests.target import Target
from mockserver.testing.strategies import invalid_token_requests, token_requests


@given(data=st.data(), method=st.sampled_from(METHODS))
def test_a_valid_token_request_gets_a_bearer_token(
    target: Target, data: st.DataObject, method: str
) -> None:
    params = data.draw(token_requests(target.licence, target.secret))
    response = target.call("ACCESS_TOKEN", params, method)
    assert response.status == 200
    assert response.body["token_type"] == "Bearer"
    assert int(response.body["expires_in"]) > 0


@given(data=st.data(), method=st.sampled_from(METHODS))
def test_a_defective_token_request_is_refused(
    target: Target, data: st.DataObject, method: str
) -> None:
    params = data.draw(invalid_token_requests(target.licence, target.secret)).params
    response = target.call("ACCESS_TOKEN", params, method)
    assert response.status == 400
    assert response.error_id is not None


@pytest.mark.mock_only
@given(data=st.data(), method=st.sampled_from(METHODS))
def test_the_mock_answers_each_token_defect_with_its_error(
    target: Target, data: st.DataObject, method: str
) -> None:
    case = data.draw(invalid_token_requests(target.licence, target.secret))
    response = target.call("ACCESS_TOKEN", case.params, method)
    assert response.error_id == case.error_id, case.defect
