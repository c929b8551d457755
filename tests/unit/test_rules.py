"""The rules of each endpoint, checked one by one (domain/rules.py).

Oracles: the Contract notes (docs/contract-notes.md) ("Missing, empty, wrong", "Precedence",
"Licences and operators", "The matching result") and the scenario file reference (licence scopes and
operators, operator status, scopes and requires_phone, initiate_error, match.raw). Which error a
rule answers is the catalogue's data; what is checked here is *when* each rule is broken, what its
answer names (operator, scope, reason), and that the first broken rule answers.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.contract.errors import DqeError
from mockserver.contract.schemas import ViolationSet, contract
from mockserver.domain.rules import CHECKS, Attempt, Broken, first_broken, licence_of, same_scope
from mockserver.domain.scenarios import Licence, Match, Operator, Outcome, Scenario, ScenarioSet
from mockserver.domain.sessions import SessionStore
from mockserver.domain.tokens import TokenStore

MOBILE = "+33639987001"
LANDLINE = "+33140000001"
NOW = 1000.0


def world(
    *,
    licence: dict[str, Any] | None = None,
    operator: dict[str, Any] | None = None,
    scenario_operator: str = "Opera",
    outcome: dict[str, Any] | None = None,
    numbers: tuple[str, ...] = (MOBILE, LANDLINE),
    raw: tuple[str, ...] = (),
) -> ScenarioSet:
    scenario = Scenario(
        "sc-1",
        Match(numbers=frozenset(numbers), raw=frozenset(raw)),
        operator=scenario_operator,
        outcome_raw=outcome or {},
    )
    return ScenarioSet(
        licences={"700001": Licence("700001", "s3cret", **(licence or {}))},
        operators={"Opera": Operator("Opera", **(operator or {}))},
        scenarios=(scenario,),
    )


def attempt(
    endpoint: str = "IDMOBILE", view: ScenarioSet | None = None, **params: Any
) -> tuple[Attempt, TokenStore]:
    tokens = TokenStore(seed=1)
    token, _, _ = tokens.issue("700001", NOW, 300, "default")
    base: dict[str, Any] = {"licence": "700001", "token": token.value, "scope": "numVerify"}
    base.update({"number": MOBILE} if endpoint == "IDMOBILE" else {})
    merged = {k: v for k, v in {**base, **params}.items() if v is not None}
    schema = ViolationSet(endpoint, ())
    clock = lambda _key: NOW  # noqa: E731
    return (
        Attempt(merged, schema, view or world(), tokens, SessionStore(), "default", clock),
        tokens,
    )


def broken(endpoint: str = "IDMOBILE", view: ScenarioSet | None = None, **params: Any) -> str:
    error = first_broken(endpoint, attempt(endpoint, view, **params)[0])
    return "none" if error is None else error.error_id


def answer(view: ScenarioSet | None = None, **params: Any) -> DqeError:
    error = first_broken("IDMOBILE", attempt("IDMOBILE", view, **params)[0])
    assert error is not None
    return error


def test_a_valid_request_breaks_no_rule() -> None:
    assert broken() == "none"
    assert broken("GET") == "30"  # no session opened with the token (docs/contract-notes.md: 30)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"licence": "799999"}, "02"),
        ({"licence": None, "Licence": "700001"}, "none"),  # the docs spell it both ways
        ({"licence": None}, "02"),
        ({"token": "nope"}, "30"),
        ({"redirect_uri": "https://partner.example:0/cb"}, "01"),
        ({"redirect_uri": "ftp://partner.example/cb"}, "01"),
        ({"redirect_uri": ""}, "none"),  # absent or empty: no redirect
        ({"redirect_uri": "https://partner.example/cb?x=1"}, "none"),
        ({"number": "0000"}, "10"),
        ({"number": LANDLINE}, "09"),
        ({"number": "+33639987002"}, "13"),  # no scenario for it: no operator
    ],
)
def test_each_rule_alone(params: dict[str, Any], expected: str) -> None:
    assert broken(**params) == expected


@pytest.mark.parametrize(
    ("licence", "scope", "expected"),
    [
        ({"scopes": frozenset({"numVerify"})}, "numVerify", "none"),
        ({"scopes": frozenset({"numVerify"})}, "formfilling", "04"),
        ({"scopes": frozenset({"matching"})}, "matching,formfilling", "04"),  # every part
        ({"scopes": frozenset({"matching", "formfilling"})}, "formfilling,matching", "none"),
        ({"operators": frozenset({"Opera"})}, "numVerify", "none"),
        ({"operators": frozenset({"Elsewhere"})}, "numVerify", "14"),
    ],
)
def test_what_a_licence_allows(licence: dict[str, Any], scope: str, expected: str) -> None:
    assert broken(view=world(licence=licence), scope=scope) == expected


@pytest.mark.parametrize(
    ("operator", "scope", "expected"),
    [
        ({"status": "unsupported"}, "numVerify", "15"),
        ({"status": "unreachable"}, "numVerify", "16"),
        ({"status": "available"}, "numVerify", "none"),
        ({"scopes": frozenset({"numVerify"})}, "numVerify", "none"),
        ({"scopes": frozenset({"numVerify"})}, "formfilling", "17"),
        ({"scopes": frozenset({"formfilling"})}, "matching,formfilling", "17"),  # every part
        # unsupported and without the scope: 15 is listed before 17, 17 before 16
        ({"status": "unsupported", "scopes": frozenset()}, "numVerify", "15"),
        ({"status": "unreachable", "scopes": frozenset()}, "numVerify", "17"),
    ],
)
def test_what_an_operator_allows(operator: dict[str, Any], scope: str, expected: str) -> None:
    assert broken(view=world(operator=operator), scope=scope) == expected


@pytest.mark.parametrize(
    ("scope", "phone", "expected"),
    [
        ("matching", "", "07"),
        ("matching", "   ", "07"),  # blank is empty
        ("matching", "0639987001", "none"),
        ("matching_notp", "", "07"),
        ("matching,formfilling", "", "07"),
        ("numVerify", "", "none"),  # numVerify reads no user_infos
        ("formfilling", "", "none"),
    ],
)
def test_an_operator_that_requires_the_phone(scope: str, phone: str, expected: str) -> None:
    view = world(operator={"requires_phone": True})
    assert broken(view=view, scope=scope, user_infos={"phone": phone}) == expected


def test_the_phone_rule_needs_user_infos_as_an_object() -> None:
    view = world(operator={"requires_phone": True})
    assert broken(view=view, scope="matching", user_infos="{not json") == "none"  # 06's job
    assert broken(view=world(), scope="matching", user_infos={"phone": ""}) == "none"


def test_a_scenario_error_names_its_own_id_and_the_operator() -> None:
    error = answer(world(outcome={"initiate_error": "16"}))
    assert (error.error_id, error.label) == ("16", "operator Opera unreachable")
    assert "scenario sc-1" in error.reason


def test_a_scenario_error_in_one_scope_only() -> None:
    scenario = Scenario(
        "sc-2",
        Match(numbers=frozenset({MOBILE})),
        operator="Opera",
        scopes_raw={"formfilling": {"initiate_error": "12"}},
    )
    view = ScenarioSet(world().licences, world().operators, (scenario,))
    assert broken(view=view, scope="formfilling") == "12"
    assert broken(view=view, scope="numVerify") == "none"


def test_an_unknown_operator_is_named_in_the_label() -> None:
    error = answer(world(scenario_operator="Nowhere Mobile"))
    assert (error.error_id, error.label) == ("13", "operator Nowhere Mobile not found")
    assert "sc-1" in error.reason


def test_no_scenario_at_all_is_13_without_a_name() -> None:
    error = answer(number="+33639987002")
    assert (error.error_id, error.label) == ("13", "operator not found")
    assert "scenario none" in error.reason


def test_a_label_without_the_placeholder_names_no_operator() -> None:
    error = answer(licence="799999")
    assert (error.operator, error.label) == (None, "invalid licence key")


def test_a_text_a_scenario_names_is_not_invalid_until_the_end() -> None:
    # match.raw: "Exact texts of the number parameter ... for inputs that are not numbers".
    forced = world(raw=("not a number",), outcome={"initiate_error": "12"})
    assert broken(view=forced, number="not a number") == "12"
    plain = world(raw=("not a number",))
    error = answer(plain, number="not a number")
    assert (error.error_id, "'not a number' is not a phone number") == ("10", error.reason)
    # An operator error of that scenario still comes first.
    unreachable = world(raw=("not a number",), operator={"status": "unreachable"})
    assert broken(view=unreachable, number="not a number") == "16"


def test_an_unknown_text_is_invalid_at_once() -> None:
    error = answer(number="abc")
    assert error.error_id == "10"
    assert "'abc' is not a phone number in service" in error.reason


def test_the_reasons_say_what_is_wrong() -> None:
    cases = {
        "licence '799999' is not configured": {"licence": "799999"},
        "the token is unknown, expired or of another licence": {"token": "x"},
        "licence 700001 has no access to scope formfilling": {"scope": "formfilling"},
        f"{LANDLINE} is a fixed line, not a mobile": {"number": LANDLINE},
        "redirect_uri": {"redirect_uri": "https://partner.example:0/cb"},
    }
    view = world(licence={"scopes": frozenset({"numVerify"})})
    for fragment, params in cases.items():
        assert fragment in answer(view, **params).reason, params
    status = world(operator={"status": "unreachable"})
    assert "Opera is marked unreachable" in answer(status).reason
    scoped = world(operator={"scopes": frozenset({"formfilling"})})
    assert "Opera does not support numVerify" in answer(scoped).reason
    allowed = world(licence={"operators": frozenset({"Elsewhere"})})
    assert "licence 700001 is not allowed Opera" in answer(allowed).reason
    phone = world(operator={"requires_phone": True})
    reason = answer(phone, scope="matching", user_infos={"phone": ""}).reason
    assert "Opera requires user_infos.phone" in reason


def test_the_error_carries_the_requested_scope() -> None:
    assert answer(token="x", scope="formfilling").scope == "formfilling"
    assert answer(token="x", scope=None).scope is None


def test_token_rules() -> None:
    assert broken("ACCESS_TOKEN", client_secret="s3cret", grant_type="client_idmobile") == "none"
    assert broken("ACCESS_TOKEN", client_secret="nope") == "invalid_client"
    assert broken("ACCESS_TOKEN", licence="799999", client_secret="s3cret") == "invalid_client"


def test_get_rules_read_the_session() -> None:
    from mockserver.domain.sessions import Session

    found, tokens = attempt("GET", scope="formfilling,matching")
    token = found.params["token"]
    session = Session(
        id="s1", token=token, licence="700001", scope="matching,formfilling", number=MOBILE,
        operator="Opera", scenario_id="sc-1", outcome=Outcome(), subscriber={}, created_at=NOW,
    )  # fmt: skip
    found.sessions.put(session)
    assert first_broken("GET", found) is None  # a combined scope in either order
    other, _ = attempt("GET", scope="numVerify")
    other.sessions.put(session)
    other.params = {**other.params, "token": token}
    other.tokens = tokens
    error = first_broken("GET", other)
    assert error is not None
    assert (error.error_id, error.reason) == ("04", "the session's scope is matching,formfilling")


def test_a_schema_violation_answers_at_its_rule_and_a_stray_one_still_answers() -> None:
    params = {"licence": "700001", "scope": "numVerify", "token": "x"}  # no number, no name
    found, _ = attempt("IDMOBILE", **params)
    found.schema = contract().validate_request("IDMOBILE", {**params})
    error = first_broken("IDMOBILE", found)
    assert error is not None
    assert error.error_id == "01"
    assert "number" in error.reason


def test_the_scenario_is_reported_once_looked_up() -> None:
    found, _ = attempt()
    assert found.known_scenario_id is None
    assert first_broken("IDMOBILE", found) is None
    assert found.known_scenario_id == "sc-1"
    early, _ = attempt(licence="799999")
    first_broken("IDMOBILE", early)
    assert early.known_scenario_id is None  # 02 answered before any lookup of the number


def test_helpers() -> None:
    assert licence_of({"licence": "1", "Licence": "2"}) == "1"
    assert licence_of({"Licence": "2"}) == "2"
    assert licence_of({"licence": 5}) == ""
    assert licence_of({}) == ""
    assert same_scope("matching,formfilling", "formfilling,matching")
    assert same_scope("numVerify", " numVerify ")
    assert not same_scope("matching", "matching,formfilling")
    assert "licence" in CHECKS


def test_the_catalogue_and_the_checks_agree_and_a_drift_is_named() -> None:
    from mockserver.contract.errors import Rule, catalogue
    from mockserver.domain.rules import unmatched

    assert unmatched(catalogue().rules, CHECKS) == []
    extra = {"GET": (Rule("request", "01", "schema", True), Rule("teleport", "30", "new"))}
    assert unmatched(extra, {"licence": CHECKS["licence"]}) == ["licence", "teleport"]


def test_each_check_is_defined_whatever_was_not_found() -> None:
    """The module's promise: any order the catalogue gives is consistent, so a check meets a
    request whose licence, token, number, scenario, operator and session are all unknown."""
    nothing, _ = attempt(licence="799999", token="x", number="abc", scope="matching", user_infos={})
    verdicts = {name: check(nothing) for name, check in CHECKS.items()}
    broken_names = {name for name, verdict in verdicts.items() if verdict is not None}
    expected = {"licence", "token", "number_invalid", "operator_unknown", "number_unparsed"}
    assert broken_names == expected | {"session"}
    assert verdicts["session"] == Broken("no /IDMOBILE/ request was made with this token")


def test_more_reasons_in_full() -> None:
    from mockserver.domain.rules import Broken

    bad_secret, _ = attempt("ACCESS_TOKEN", client_secret="nope")
    assert CHECKS["client_secret"](bad_secret) == Broken(
        "the client_secret does not match the licence"
    )
    no_token, _ = attempt(token="x")
    assert CHECKS["token"](no_token) == Broken(
        "the token is unknown, expired or of another licence"
    )
    unsupported, _ = attempt(view=world(operator={"status": "unsupported"}))
    assert CHECKS["operator_unsupported"](unsupported) == Broken("Opera is marked unsupported")
    phone, _ = attempt(
        view=world(operator={"requires_phone": True}), scope="matching", user_infos={}
    )
    assert CHECKS["operator_phone"](phone) == Broken("Opera requires user_infos.phone")


def test_a_schema_rule_gives_every_violation_of_its_id() -> None:
    params = {"licence": "700001", "scope": "formfilling", "token": "x", "mode": "3"}
    found, _ = attempt("IDMOBILE", **params)  # no number, mode not 2: two 01 violations
    sent = {k: v for k, v in found.params.items() if k != "number"}
    found.schema = contract().validate_request("IDMOBILE", sent)
    error = first_broken("IDMOBILE", found)
    assert error is not None
    parts = error.reason.split("; ")  # one sentence per violation, each at its pointer
    assert sorted(part.split(":")[0] for part in parts) == ["/mode", "/number"]
