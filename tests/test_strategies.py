"""mockserver.testing.strategies: positives pass the schemas, negatives get their error ids."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from mockserver.contract import DqeError, catalogue, contract
from mockserver.contract.scopes import needs_user_infos, takes_mode
from mockserver.domain import phones
from mockserver.domain.loading import load_text
from mockserver.domain.service import IdMobile, parse_params
from mockserver.http.app import build_state
from mockserver.settings import Settings
from mockserver.testing.strategies import (
    DEFECTS,
    Negative,
    client_formats,
    consent_scopes,
    get_requests,
    idmobile_requests,
    invalid_get_requests,
    invalid_idmobile_requests,
    invalid_token_requests,
    magic_numbers,
    magic_scenarios,
    phone_numbers,
    scenario_documents,
    scopes,
    token_requests,
    user_infos,
    user_infos_keys,
)
from mockserver.testing.strategies.negative import idmobile_cases
from tests.test_contract_schemas import USER_INFOS_KEYS

COMMON = contract().schemas["common.schema.json"]["$defs"]
LICENCE, SECRET = "100001", "demo-secret"


@cache
def service() -> tuple[IdMobile, str]:
    """The mock's behaviour without HTTP, and a valid token of licence 100001."""
    mock = IdMobile(build_state(Settings(seed=3, frozen_clock=True)))
    token = mock.issue_token(
        {"client_secret": SECRET, "grant_type": "client_idmobile", "licence": LICENCE}
    )
    return mock, token["access_token"]


def answered(call: Callable[[], Any]) -> str | None:
    """The error id a domain call raises, or None when it answers."""
    try:
        call()
    except DqeError as error:
        return error.error_id
    return None


def violations(endpoint: str, params: Mapping[str, str]) -> list[str]:
    """The request schema's verdict on a drawn request (the strategy is what is tested)."""
    found = contract().validate_request(endpoint, parse_params(params))
    return [str(v) for v in found.violations]


# --- positives ------------------------------------------------------------------------------


def test_scope_strategies_draw_from_the_schema_enums() -> None:
    drawn: set[str] = set()
    consent: set[str] = set()

    @given(scopes(), consent_scopes())
    def collect(scope: str, consent_scope: str) -> None:
        drawn.add(scope)
        consent.add(consent_scope)

    collect()
    assert drawn <= set(COMMON["scope"]["enum"])
    assert consent <= set(COMMON["consent_scope"]["enum"])
    assert len(drawn) > 1


@given(idmobile_requests())
def test_idmobile_requests_pass_the_request_schema(params: dict[str, str]) -> None:
    assert violations("IDMOBILE", params) == []
    assert params["scope"] in COMMON["scope"]["enum"]


@pytest.mark.parametrize("scope", COMMON["scope"]["enum"])
@given(data=st.data())
def test_idmobile_requests_of_one_scope_carry_what_it_needs(
    scope: str, data: st.DataObject
) -> None:
    params = data.draw(idmobile_requests(scope, token="TK1", licence="42"))
    assert violations("IDMOBILE", params) == []
    assert (params["scope"], params["token"], params["licence"]) == (scope, "TK1", "42")
    assert ("user_infos" in params) == (scope in COMMON["user_infos_scope"]["enum"])
    assert ("mode" in params) == (scope in COMMON["mode_scope"]["enum"])


@given(token_requests(), get_requests())
def test_token_and_get_requests_pass_their_schemas(
    token: dict[str, str], get: dict[str, str]
) -> None:
    assert violations("ACCESS_TOKEN", token) == []
    assert violations("GET", get) == []
    assert token["licence"] == LICENCE
    assert get["scope"] in COMMON["consent_scope"]["enum"]


@given(user_infos())
def test_user_infos_has_the_twelve_documented_keys(infos: dict[str, Any]) -> None:
    assert list(infos) == USER_INFOS_KEYS == user_infos_keys()  # the page's keys table
    assert re.fullmatch(r"|[0-9]{4}-[0-9]{2}-[0-9]{2}", infos["birthdate"])
    assert infos["gender"] in ("M", "F", "")
    params = {"number": "0612345678", "token": "t", "name": "n", "licence": "1", "mode": "2"}
    assert (
        violations("IDMOBILE", {**params, "scope": "matching", "user_infos": json.dumps(infos)})
        == []
    )


@given(user_infos(valid=False))
def test_invalid_user_infos_break_a_rule(infos: dict[str, Any]) -> None:
    params = {"number": "0612345678", "token": "t", "name": "n", "licence": "1", "mode": "2"}
    found = contract().validate_request(
        "IDMOBILE", {**params, "scope": "matching", "user_infos": infos}
    )
    assert found.error_id in ("01", "07")


@given(phone_numbers())
def test_phone_numbers_are_mobiles_the_mock_accepts(text: str) -> None:
    parsed = phones.parse(text)
    assert parsed.eligible
    assert all(phones.normalise(form) == parsed.e164 for form in client_formats(parsed.e164))


@given(phone_numbers("landline"), phone_numbers("any"))
def test_landlines_are_ineligible_and_any_number_parses(landline: str, anything: str) -> None:
    assert not phones.parse(landline).eligible
    assert phones.parse(anything).e164.startswith("+33")


def test_client_formats_are_the_documented_ones() -> None:
    assert client_formats("+33612345678") == (
        "+33612345678",
        "0612345678",
        "0033 6 12 34 56 78",
        "06.12.34.56.78",
        "33612345678",
        "+33 6 12 34 56 78",
        "06 12 34 56 78",
    )


@given(magic_numbers(), magic_scenarios())
def test_magic_numbers_are_the_default_packs(
    number: str, magic: tuple[str, dict[str, Any]]
) -> None:
    mock, _ = service()
    found = mock.state.scenarios.find(number, number, LICENCE, "numVerify")
    assert found is not None
    assert found.id != "any-mobile"
    assert mock.state.scenarios.find(magic[0], magic[0], LICENCE, "numVerify").id == magic[1]["id"]


# --- negatives ------------------------------------------------------------------------------
# The expected ids come from the strategies' hand-written table (defects.py, a doc page per
# row); the mock's domain and its request schemas are what these tests check against it.


@given(data=st.data())
def test_each_idmobile_defect_gets_its_documented_id_from_the_mock(data: st.DataObject) -> None:
    mock, token = service()
    case: Negative = data.draw(invalid_idmobile_requests(token=token, licence=LICENCE))
    schema_id = contract().validate_request("IDMOBILE", parse_params(case.params)).error_id
    assert schema_id in (case.error_id, None), case.defect
    answer = answered(lambda: mock.initiate(case.params, lambda session: "http://consent"))
    assert answer == case.error_id, case.defect


@given(data=st.data())
def test_each_get_defect_gets_its_documented_id_from_the_mock(data: st.DataObject) -> None:
    mock, token = service()
    case: Negative = data.draw(invalid_get_requests(token, LICENCE))
    assert answered(lambda: mock.retrieve(case.params)) == case.error_id, case.defect


@given(invalid_token_requests(LICENCE, SECRET))
def test_each_token_defect_gets_its_oauth_error_from_the_mock(case: Negative) -> None:
    mock, _ = service()
    assert answered(lambda: mock.issue_token(case.params)) == case.error_id, case.defect


def test_each_negative_carries_its_tables_row() -> None:
    seen: set[str] = set()

    @given(invalid_idmobile_requests())
    def collect(case: Negative) -> None:
        assert DEFECTS["IDMOBILE"][case.defect.name] == case.defect
        assert case.error_id == case.defect.error_id
        seen.add(case.error_id)

    collect()
    # derandomized, 40 examples: the frequent ids at least
    assert {"01", "04"} <= seen


def test_the_defect_table_gives_only_documented_ids() -> None:
    """Each row's id is one the catalogue lets its endpoint answer, and it cites a source."""
    for endpoint, rows in DEFECTS.items():
        for name, row in rows.items():
            assert row.name == name
            assert row.source.strip()
            assert endpoint in catalogue().get(row.error_id).endpoints, row


# --- scenario files -------------------------------------------------------------------------


@given(scenario_documents())
def test_scenario_documents_validate_and_load(document: dict[str, Any]) -> None:
    assert contract().validate_document("scenario.schema.json", document) == []
    loaded = load_text(yaml.safe_dump(document), "<hypothesis>")
    assert [s.id for s in loaded.scenarios] == [s["id"] for s in document.get("scenarios", [])]
    assert set(loaded.licences) == {lic["licence"] for lic in document.get("licences", [])}


def test_every_idmobile_row_of_the_table_is_injected_in_some_scope() -> None:
    """No dead row: each IDMOBILE defect of defects.py is one a strategy can draw."""
    injected: set[str] = set()
    for scope in COMMON["scope"]["enum"]:
        params = {"number": "+33639980001", "token": "t", "name": "n", "licence": "1"}
        params |= {"scope": scope, "redirect_uri": "http://a.example"}
        params |= {"mode": "2"} if takes_mode(scope) else {}
        params |= {"user_infos": "{}"} if needs_user_infos(scope) else {}
        injected |= {case.defect.name for case in idmobile_cases(params)}
    assert injected == set(DEFECTS["IDMOBILE"])
