"""The request and response schemas, and the error catalogue, through mockserver.contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mockserver.contract import ViolationSet, catalogue, contract
from mockserver.contract.generate import main as generate_main
from mockserver.contract.user_infos import user_infos_keys
from mockserver.resources import schemas_dir

EXAMPLES = Path(__file__).parent / "fixtures" / "doc_examples"
COMMON = contract().schemas["common.schema.json"]["$defs"]
# The keys table of the matching without OTP page (matching-notp.txt), in its order.
USER_INFOS_KEYS = [
    *("street_address", "postal_code", "locality", "country", "birthdate", "email"),
    *("lastname", "maiden_name", "gender", "firstname", "phone", "number"),
]
MATCHING_SCOPES: list[str] = COMMON["user_infos_scope"]["enum"]
CONSENT_SCOPES: list[str] = COMMON["consent_scope"]["enum"]

# The issue's acceptance data: which ids each endpoint may answer.
INITIATION_IDS = [
    *("01", "02", "04", "05", "06", "07", "09", "10", "11"),
    *("12", "13", "14", "15", "16", "17", "30"),
]
RETRIEVAL_IDS = ["01", "02", "04", "18", "20", "21", "30", "99"]


def user_infos(**overrides: str) -> dict[str, str]:
    """A complete, valid user_infos."""
    values = {
        "street_address": "rue de la Paix",
        "postal_code": "75002",
        "locality": "Paris",
        "country": "France",
        "birthdate": "1980-08-30",
        "email": "jean.dupont@example.fr",
        "lastname": "Dupont",
        "maiden_name": "",
        "gender": "M",
        "firstname": "Jean",
        "phone": "0612345678",
        "number": "1",
    }
    return {**values, **overrides}


def idmobile(**overrides: Any) -> dict[str, Any]:
    """A valid matching_notp /IDMOBILE/ request; a None override removes the parameter."""
    params: dict[str, Any] = {
        "number": "0612345678",
        "token": "TK948869a6f873adb622enhoaGeVY2iRaptqlmpplGeWZA",
        "mode": "2",
        "name": "ACME",
        "licence": "123456",
        "user_infos": user_infos(),
        "scope": "matching_notp",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def token_request(**overrides: Any) -> dict[str, Any]:
    """A valid /ACCESS_TOKEN/ request; a None override removes the parameter."""
    params = {"client_secret": "s3cret", "grant_type": "client_idmobile", "licence": "123456"}
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def check(endpoint: str, params: dict[str, Any]) -> ViolationSet:
    return contract().validate_request(endpoint, params)


def only_violation(result: ViolationSet, error_id: str) -> Any:
    """The violation that produced `error_id`, asserting there is exactly one."""
    found = result.for_error(error_id)
    assert len(found) == 1, result.summary()
    return found[0]


def error_body(error_id: str, label: str) -> dict[str, str]:
    return {"status": "error", "error_type": label, "error_id": error_id}


def scores(**overrides: Any) -> dict[str, Any]:
    """The docs' matching_notp example, with some scores replaced."""
    body = json.loads((EXAMPLES / "matching-notp.direct_identification.json").read_text("utf-8"))
    body.update(overrides)
    return body


# --- /IDMOBILE/ requests -----------------------------------------------------------------


def test_valid_matching_notp_request_passes() -> None:
    result = check("IDMOBILE", idmobile())
    assert not result, result.summary()
    assert result.error_id is None


def test_valid_numverify_request_needs_neither_mode_nor_user_infos() -> None:
    params = idmobile(scope="numVerify", mode=None, user_infos=None)
    result = check("IDMOBILE", params)
    assert not result, result.summary()


@pytest.mark.parametrize("key", USER_INFOS_KEYS)
def test_user_infos_missing_a_key_is_rejected(key: str) -> None:
    partial = user_infos()
    del partial[key]
    result = check("IDMOBILE", idmobile(user_infos=partial))
    expected = "07" if key == "phone" else "01"
    assert result.error_id == expected, result.summary()
    violation = only_violation(result, expected)
    assert violation.pointer == f"/user_infos/{key}"
    assert violation.rule == "required"
    assert repr(key) in violation.message


def test_user_infos_keys_are_the_required_keys() -> None:
    required: set[str] = set()
    for part in COMMON["user_infos"]["then"]["allOf"]:
        required |= set(part["required"])
    assert required == set(USER_INFOS_KEYS)
    assert list(user_infos_keys()) == USER_INFOS_KEYS


@pytest.mark.parametrize("birthdate", ["30/08/1980", "1980-8-30", "19800830", "1980-13-01"])
def test_birthdate_in_another_format_is_rejected(birthdate: str) -> None:
    result = check("IDMOBILE", idmobile(user_infos=user_infos(birthdate=birthdate)))
    assert result.error_id == "01", result.summary()
    violation = only_violation(result, "01")
    assert violation.pointer == "/user_infos/birthdate"
    assert violation.rule == "pattern"
    assert "YYYY-MM-DD" in violation.message


@pytest.mark.parametrize("birthdate", ["1980-08-30", ""])
def test_birthdate_iso_or_empty_is_accepted(birthdate: str) -> None:
    result = check("IDMOBILE", idmobile(user_infos=user_infos(birthdate=birthdate)))
    assert not result, result.summary()


@pytest.mark.parametrize(
    "scope", ["matching_otp", "numverify", "FORMFILLING", "matching,numVerify"]
)
def test_scope_not_in_the_list_gives_04(scope: str) -> None:
    result = check("IDMOBILE", idmobile(scope=scope))
    assert result.error_id == "04", result.summary()
    violation = only_violation(result, "04")
    assert violation.pointer == "/scope"
    assert violation.rule == "enum"


def test_user_infos_that_is_not_json_gives_06() -> None:
    # The handler passes user_infos on as the raw string when it does not parse as JSON.
    result = check("IDMOBILE", idmobile(user_infos="{street_address: rue de la Paix"))
    assert result.error_id == "06", result.summary()
    violation = only_violation(result, "06")
    assert violation.pointer == "/user_infos"
    assert "not of type 'object'" in violation.message


@pytest.mark.parametrize("scope", MATCHING_SCOPES)
@pytest.mark.parametrize("value", [None, "", {}], ids=["missing", "empty-string", "empty-object"])
def test_missing_or_empty_user_infos_for_matching_scopes_gives_05(scope: str, value: Any) -> None:
    result = check("IDMOBILE", idmobile(scope=scope, user_infos=value))
    assert result.error_id == "05", result.summary()
    assert result.for_error("05")[0].pointer == "/user_infos"


@pytest.mark.parametrize("scope", ["numVerify", "formfilling"])
def test_user_infos_is_optional_outside_matching_scopes(scope: str) -> None:
    mode = None if scope == "numVerify" else "2"
    result = check("IDMOBILE", idmobile(scope=scope, mode=mode, user_infos=None))
    assert not result, result.summary()


def test_empty_number_gives_11() -> None:
    result = check("IDMOBILE", idmobile(number=""))
    assert result.error_id == "11", result.summary()
    assert only_violation(result, "11").pointer == "/number"


def test_missing_licence_gives_01() -> None:
    result = check("IDMOBILE", idmobile(licence=None))
    assert result.error_id == "01", result.summary()
    assert "'licence' or 'Licence' is required" in only_violation(result, "01").message


def test_capitalised_licence_is_accepted_on_idmobile() -> None:
    result = check("IDMOBILE", idmobile(licence=None, Licence="123456"))
    assert not result, result.summary()


def test_missing_mode_for_matching_notp_gives_01() -> None:
    result = check("IDMOBILE", idmobile(mode=None))
    assert result.error_id == "01", result.summary()
    assert only_violation(result, "01").pointer == "/mode"


# --- /GET/ requests ----------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["licence", "Licence"])
@pytest.mark.parametrize("scope", CONSENT_SCOPES)
def test_get_request_accepts_either_licence_spelling(spelling: str, scope: str) -> None:
    result = check("GET", {"token": "TK1", spelling: "123456", "scope": scope})
    assert not result, result.summary()


def test_get_request_without_licence_gives_01() -> None:
    result = check("GET", {"token": "TK1", "scope": "numVerify"})
    assert result.error_id == "01", result.summary()
    assert "is required but missing" in only_violation(result, "01").message


def test_get_request_for_matching_notp_gives_04() -> None:
    result = check("GET", {"token": "TK1", "Licence": "123456", "scope": "matching_notp"})
    assert result.error_id == "04", result.summary()
    assert only_violation(result, "04").pointer == "/scope"


# --- /ACCESS_TOKEN/ requests -------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["licence", "Licence"])
def test_valid_token_request_passes(spelling: str) -> None:
    params = {k: v for k, v in token_request().items() if k != "licence"}
    result = check("ACCESS_TOKEN", {**params, spelling: "123456"})
    assert not result, result.summary()


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        pytest.param({"licence": None}, "", id="missing-licence"),
        pytest.param({"licence": ""}, "/licence", id="empty-licence"),
        pytest.param({"client_secret": None}, "/client_secret", id="missing-client_secret"),
        pytest.param({"client_secret": ""}, "/client_secret", id="empty-client_secret"),
        pytest.param({"grant_type": None}, "/grant_type", id="missing-grant_type"),
        pytest.param({"grant_type": "password"}, "/grant_type", id="wrong-grant_type"),
        pytest.param({"licence": None, "license": "123456"}, "", id="typo-license"),
    ],
)
def test_token_request_errors_are_invalid_request(overrides: dict[str, Any], pointer: str) -> None:
    result = check("ACCESS_TOKEN", token_request(**overrides))
    assert result.error_id == "invalid_request", result.summary()
    assert [v.pointer for v in result.violations] == [pointer]


# --- response bodies: scores and numVerify -----------------------------------------------


@pytest.mark.parametrize("value", [1.0, 0, 0.78, "0.78", "1", ".5", ""])
def test_score_accepts_numbers_numeric_strings_and_empty(value: Any) -> None:
    assert contract().validate_response("matching_notp", scores(email=value)) == []


@pytest.mark.parametrize(
    ("value", "rule", "text"),
    [
        (1.5, "maximum", "greater than the maximum of 1"),
        (-0.1, "minimum", "less than the minimum of 0"),
        ("1.5", "pattern", "does not match"),
        ("high", "pattern", "does not match"),
        (None, "type", "is not of type 'number'"),
    ],
)
def test_score_out_of_range_or_not_a_score_is_rejected(value: Any, rule: str, text: str) -> None:
    violations = contract().validate_response("matching_notp", scores(email=value))
    assert len(violations) == 1, violations
    assert violations[0].rule == rule
    assert text in violations[0].message
    assert violations[0].pointer.endswith("/email")


def test_address_score_of_1_5_is_rejected() -> None:
    body = scores(address={**scores()["address"], "postal_code": 1.5})
    violations = contract().validate_response("matching_notp", body)
    assert [(v.rule, v.pointer.endswith("/postal_code")) for v in violations] == [("maximum", True)]


def test_violation_inside_an_any_of_points_at_the_value() -> None:
    violations = contract().validate_response("matching_notp", scores(email=1.5))
    assert [v.pointer for v in violations] == ["/email"]


def numverify(value: Any) -> dict[str, Any]:
    return {"status": "success", "scope": "numVerify", "numVerify": value}


@pytest.mark.parametrize("value", [True, False, "true", "false"])
def test_numverify_boolean_or_boolean_string_is_accepted(value: Any) -> None:
    assert contract().validate_response("get_success", numverify(value)) == []


@pytest.mark.parametrize("value", ["yes", "True", 1, None])
def test_numverify_other_values_are_rejected(value: Any) -> None:
    violations = contract().validate_response("get_success", numverify(value))
    assert len(violations) == 1, violations
    assert violations[0].pointer.endswith("/numVerify")
    assert "BOOLEAN" in violations[0].message


def test_numverify_success_without_the_result_is_rejected() -> None:
    violations = contract().validate_response(
        "get_success", {"status": "success", "scope": "numVerify"}
    )
    assert [(v.pointer, v.rule) for v in violations] == [("/numVerify", "required")]


# --- error bodies ------------------------------------------------------------------------


def test_unknown_error_id_is_rejected() -> None:
    violations = contract().validate_response("error", error_body("03", "invalid request"))
    assert [(v.pointer, v.rule) for v in violations] == [("/error_id", "enum")]


@pytest.mark.parametrize(
    ("error_id", "label"),
    [
        ("10", "invalid scope"),
        ("01", "Invalid Request"),
        ("20", "access denied"),
        ("13", "operator"),
    ],
)
def test_error_id_with_the_wrong_label_is_rejected(error_id: str, label: str) -> None:
    violations = contract().validate_response("error", error_body(error_id, label))
    assert len(violations) == 1, violations
    assert violations[0].pointer == "/error_type"
    assert "error_type" in str(violations[0])
    assert catalogue().get(error_id).label.split(" [")[0] in violations[0].message


def test_label_of_20_depends_on_the_scope() -> None:
    entry = catalogue().get("20")
    numverify_label = "Not the same phone number between the phone in the request"
    assert entry.label_for("numVerify") == numverify_label
    assert entry.label_for("formfilling") == "OTP incorrect"
    assert entry.label_for("matching") == "OTP incorrect"
    assert entry.label_for("matching,formfilling") == "OTP incorrect"
    assert "OTP process failed" in entry.labels_in_scope("numVerify")
    for scope in ("numVerify", "formfilling", "matching"):
        body = error_body("20", entry.label_for(scope))
        assert contract().validate_response("error", body) == [], scope


@pytest.mark.parametrize(
    ("error_id", "operator", "expected"),
    [
        ("13", "Orange", "operator Orange not found"),
        ("14", "SFR", "operator SFR not authorized for this licence"),
        ("15", "Bouygues Telecom", "operator Bouygues Telecom not supported yet"),
        ("16", "Free Mobile", "operator Free Mobile unreachable"),
        ("17", "Orange", "scope not supported by this operator Orange yet"),
        ("13", None, "operator not found"),
    ],
)
def test_operator_name_labels_are_filled_and_accepted(
    error_id: str, operator: str | None, expected: str
) -> None:
    label = catalogue().get(error_id).label_for(operator=operator)
    assert label == expected
    assert contract().validate_response("error", error_body(error_id, label)) == []


def test_operator_label_needs_a_name_between_its_words() -> None:
    body = error_body("13", "operator  not found")
    violations = contract().validate_response("error", body)
    assert [v.pointer for v in violations] == ["/error_type"]


# --- the catalogue and the generated schemas ---------------------------------------------


def test_catalogue_validates_against_its_schema() -> None:
    data = json.loads((schemas_dir() / "errors.json").read_text("utf-8"))
    errors = list(contract().validator("errors.schema.json").iter_errors(data))
    assert errors == [], [e.message for e in errors]


def test_generated_error_schemas_are_in_sync() -> None:
    assert generate_main(["--check"]) == 0


def test_error_schema_enum_is_the_catalogue() -> None:
    props = contract().schemas["responses/error.schema.json"]["properties"]
    assert props["error_id"]["enum"] == list(catalogue().business)
    token = contract().schemas["responses/access_token_error.schema.json"]["properties"]
    assert (
        token["error"]["enum"] == list(catalogue().token) == ["invalid_request", "invalid_client"]
    )


@pytest.mark.parametrize("error_id", list(catalogue().business))
def test_every_business_error_label_is_accepted(error_id: str) -> None:
    entry = catalogue().get(error_id)
    for template in entry.all_labels():
        label = template.replace("[Operator Name]", "Orange")
        assert contract().validate_response("error", error_body(error_id, label)) == [], label


def test_initiation_ids_are_the_issue_list() -> None:
    assert catalogue().ids_for("IDMOBILE") == INITIATION_IDS
    assert catalogue().ids_for("IDMOBILE", "matching_notp") == INITIATION_IDS


def test_retrieval_ids_are_the_issue_list() -> None:
    assert catalogue().ids_for("GET") == RETRIEVAL_IDS
    for scope in ("numVerify", "formfilling", "matching"):
        assert catalogue().ids_for("GET", scope) == RETRIEVAL_IDS, scope


def test_retrieval_only_errors_are_not_for_matching_notp() -> None:
    for error_id in ("18", "20", "21", "99"):
        assert not catalogue().get(error_id).allowed("GET", "matching_notp"), error_id


def test_user_infos_errors_belong_to_the_matching_scopes() -> None:
    for error_id in ("05", "07"):
        entry = catalogue().get(error_id)
        assert entry.allowed("IDMOBILE", "matching_notp"), error_id
        assert entry.allowed("IDMOBILE", "matching,formfilling"), error_id
        assert not entry.allowed("IDMOBILE", "numVerify"), error_id


def test_token_errors_are_http_400_and_business_errors_http_200() -> None:
    assert catalogue().ids_for("ACCESS_TOKEN") == ["invalid_request", "invalid_client"]
    assert {e.http_status for e in catalogue().token.values()} == {400}
    assert {e.http_status for e in catalogue().business.values()} == {200}
