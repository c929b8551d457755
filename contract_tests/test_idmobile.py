"""/IDMOBILE/ on any server: valid requests per scope are accepted, defective ones refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests.support import METHODS
from contract_tests.target import Target
from mockserver.contract.scopes import consent_scope_values
from mockserver.testing.strategies import (
    idmobile_requests,
    invalid_idmobile_requests,
    number_formats,
)


@given(data=st.data(), method=st.sampled_from(METHODS))
def test_a_valid_request_is_accepted_in_every_scope(
    target: Target, data: st.DataObject, method: str
) -> None:
    token = target.token()
    numbers = number_formats(target.number)
    params = data.draw(idmobile_requests(token=token, licence=target.licence, numbers=numbers))
    response = target.call("IDMOBILE", params, method)
    assert response.error_id is None, response.body
    if params["scope"] in consent_scope_values():
        assert response.body["status"] == "success"
        assert response.body["url"]


@given(data=st.data(), method=st.sampled_from(METHODS))
def test_a_defective_request_is_refused_with_an_allowed_error(
    target: Target, data: st.DataObject, method: str
) -> None:
    token = target.token()
    numbers = number_formats(target.number)
    params = data.draw(
        invalid_idmobile_requests(token=token, licence=target.licence, numbers=numbers)
    ).params
    response = target.call("IDMOBILE", params, method)
    assert response.status_field == "error", response.body


@pytest.mark.mock_only
@given(data=st.data(), method=st.sampled_from(METHODS))
def test_the_mock_accepts_any_mobile_in_any_format(
    target: Target, data: st.DataObject, method: str
) -> None:
    token = target.token()
    params = data.draw(idmobile_requests(token=token, licence=target.licence))
    response = target.call("IDMOBILE", params, method)
    assert response.error_id is None, response.body


@pytest.mark.mock_only
@given(data=st.data(), method=st.sampled_from(METHODS))
def test_the_mock_answers_each_defect_with_the_contracts_error(
    target: Target, data: st.DataObject, method: str
) -> None:
    token = target.token()
    case = data.draw(invalid_idmobile_requests(token=token, licence=target.licence))
    response = target.call("IDMOBILE", case.params, method)
    assert response.error_id == case.error_id, case.defect
