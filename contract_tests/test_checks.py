"""The checks themselves: each one passes a conforming answer and names the rule it breaks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.contract.checks import (
    ALL_CHECKS,
    Check,
    ContractViolation,
    Operation,
    Response,
    body_fits_scope,
    check_all,
    content_type_is_json,
    error_id_allowed,
    error_label_matches,
    response_matches_schema,
    status_code_documented,
    violations,
)

JSON = "application/json; charset=utf-8"
TOKEN = Operation("ACCESS_TOKEN", "POST", {"licence": "100001"})
NUMVERIFY = Operation("IDMOBILE", "GET", {"scope": "numVerify"})
GET_FORMFILLING = Operation("GET", "GET", {"scope": "formfilling"})
SCORES = {
    "family_name": 1.0,
    "gender": 1.0,
    "birthdate": "",
    "given_name": 0.5,
    "address": {"country": 1, "postal_code": 1, "street_address": 0.2, "locality": 1},
    "email": 0,
}


def answer(body: Any, status: int = 200, content_type: str = JSON) -> Response:
    return Response.from_text(status, content_type, json.dumps(body))


def error(error_id: str, label: str) -> Response:
    return answer({"status": "error", "error_type": label, "error_id": error_id})


CONFORMING = [
    (
        TOKEN,
        answer(
            {
                "access_token": "TK1",
                "token_type": "Bearer",
                "expires_in": "300",
                "refresh_token": "r",
            }
        ),
    ),
    (TOKEN, answer({"error": "invalid_client", "error_description": "no"}, status=400)),
    (NUMVERIFY, answer({"status": "success", "operator": "Orange", "url": "https://op/c"})),
    (NUMVERIFY, error("16", "operator Orange unreachable")),
    (NUMVERIFY, error("13", "operator not found")),
    (Operation("IDMOBILE", "POST", {"scope": "matching_notp"}), answer(SCORES)),
    (GET_FORMFILLING, answer({"status": "pending", "scope": "formfilling"})),
    (
        Operation("GET", "GET", {"scope": "matching,formfilling"}),
        answer({"status": "pending", "scope": "formfilling,matching"}),
    ),
    (GET_FORMFILLING, error("21", "access denied")),
]

BROKEN: list[tuple[Check, Operation, Response, str]] = [
    (content_type_is_json, NUMVERIFY, answer({}, content_type="text/html"), "text/html"),
    (response_matches_schema, NUMVERIFY, Response(200, JSON, "<html>", None), "not JSON"),
    (response_matches_schema, NUMVERIFY, answer({"status": "success", "url": "u"}), "operator"),
    (response_matches_schema, TOKEN, answer({"error": "nope"}, status=400), "access_token_error"),
    (
        status_code_documented,
        NUMVERIFY,
        answer({"status": "error", "error_type": "invalid request", "error_id": "01"}, status=400),
        "HTTP 400",
    ),
    (status_code_documented, TOKEN, answer({"error": "invalid_request"}, status=200), "400"),
    (
        error_id_allowed,
        NUMVERIFY,
        error("05", "missing or empty parameter (user_infos) for this scope"),
        "error 05 cannot be returned by /IDMOBILE/ for scope numVerify",
    ),
    (error_id_allowed, NUMVERIFY, error("21", "access denied"), "/IDMOBILE/"),
    (
        error_id_allowed,
        TOKEN,
        answer({"error": "unauthorized_client"}, status=400),
        "unauthorized_client",
    ),
    (error_label_matches, NUMVERIFY, error("16", "operator unreachable now"), "not the label"),
    (error_label_matches, NUMVERIFY, error("77", "no such error"), "no label"),
    (body_fits_scope, NUMVERIFY, answer(SCORES), "outside matching_notp"),
    (
        body_fits_scope,
        GET_FORMFILLING,
        answer({"status": "pending", "scope": "numVerify"}),
        "numVerify",
    ),
]


@pytest.mark.parametrize(("operation", "response"), CONFORMING)
def test_a_conforming_answer_passes_every_check(operation: Operation, response: Response) -> None:
    check_all(operation, response)
    assert len(ALL_CHECKS) == 6


@pytest.mark.parametrize(("check", "operation", "response", "words"), BROKEN)
def test_a_broken_answer_is_named_by_its_rule(
    check: Check, operation: Operation, response: Response, words: str
) -> None:
    with pytest.raises(ContractViolation) as caught:
        check(operation, response)
    violation = caught.value
    assert violation.rule == check.__name__
    assert violation.operation == str(operation)
    assert words in violation.message
    assert isinstance(violation, AssertionError)
    assert f"broke {check.__name__}" in str(violation)


@pytest.mark.parametrize(("operation", "response"), CONFORMING)
def test_a_conforming_answer_has_no_violation(operation: Operation, response: Response) -> None:
    assert violations(operation, response) == []


def test_every_violation_of_an_answer_is_listed() -> None:
    # Error 21 (a /GET/ error) from /IDMOBILE/, with HTTP 400: two rules broken at one place.
    found = violations(NUMVERIFY, answer(error("21", "access denied").body, status=400))
    assert [(v.rule, v.pointer) for v in found] == [
        ("status_code_documented", "/error_id"),
        ("error_id_allowed", "/error_id"),
    ]


@pytest.mark.parametrize(
    "response",
    [
        answer({"status": "error", "error_id": "05"}, status=502, content_type="text/html"),
        Response(502, JSON, "<h1>Bad gateway</h1>", None),
    ],
    ids=["not-declared-json", "not-json"],
)
def test_an_answer_that_is_not_json_is_judged_by_that_alone(response: Response) -> None:
    found = violations(NUMVERIFY, response)
    assert len(found) == 1
    assert found[0].rule in {"content_type_is_json", "response_matches_schema"}


def test_a_place_the_schema_flagged_is_not_flagged_again() -> None:
    # Error 05 labelled as 16: the schema's label pattern for 05 flags /error_type, so the
    # label check, which judges the same place, adds nothing; the id is flagged on its own.
    found = violations(NUMVERIFY, error("05", "operator Orange unreachable"))
    assert [(v.rule, v.pointer) for v in found] == [
        ("response_matches_schema", ""),
        ("error_id_allowed", "/error_id"),
    ]
    assert [(d.pointer, d.rule) for d in found[0].details] == [("/error_type", "pattern")]
