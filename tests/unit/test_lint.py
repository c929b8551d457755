"""lint: shadowed numbers, unreachable scenarios, dangling references, dead settings.

Oracles: docs/scenarios.md (the first matching scenario wins; an operator not in
`operators` gives error 13; `consent_required` only for matching_notp; `numverify` only for
numVerify; an initiate_error ends the request at /IDMOBILE/; consent decisions deny, wrong_otp
and operator_failure end with 21, 20 and 18; abandon never reaches the operator) and
hand-built scenario sets below.
"""

from __future__ import annotations

from typing import Any

from mockserver.domain.faults import Fault
from mockserver.domain.lint import Finding, lint
from mockserver.domain.scenarios import Licence, Match, Operator, Scenario, ScenarioSet

N1, N2 = "+33639987011", "+33639987012"


def sc(sid: str, source: str, **fields: Any) -> Scenario:
    match = fields.pop("match", Match(numbers=frozenset({N1})))
    return Scenario(id=sid, match=match, source=source, operator="Orange", **fields)


def messages(found: list[Finding]) -> list[str]:
    return [str(f) for f in found]


def test_a_clean_set_has_no_finding() -> None:
    clean = ScenarioSet(
        operators={"Orange": Operator("Orange")},
        scenarios=(sc("a", "f:1"), sc("b", "f:2", match=Match(numbers=frozenset({N2})))),
    )
    assert lint(clean) == []


def test_a_number_answered_earlier_is_shadowed_and_all_shadowed_is_unreachable() -> None:
    scenarios = ScenarioSet(
        operators={"Orange": Operator("Orange")},
        scenarios=(
            sc("a", "f:1"),
            sc("b", "f:5", match=Match(numbers=frozenset({N1, N2}))),
            sc("c", "f:9", match=Match(numbers=frozenset({N1}))),
        ),
    )
    assert messages(lint(scenarios)) == [
        "f:5: number +33639987011 of 'b' is answered by 'a' (f:1), which is matched first",
        "f:9: number +33639987011 of 'c' is answered by 'a' (f:1), which is matched first",
        "f:9: scenario 'c' is unreachable: every one of its numbers is answered by an earlier scenario",
    ]


def test_a_scenario_with_other_ways_to_match_stays_reachable() -> None:
    for extra in (
        {"range": (N2, N2)},
        {"raw": frozenset({"x"})},
        {"pattern": None, "any": False, "raw": frozenset({"y"})},
    ):
        scenarios = ScenarioSet(
            operators={"Orange": Operator("Orange")},
            scenarios=(
                sc("a", "f:1"),
                sc("b", "f:5", match=Match(numbers=frozenset({N1}), **extra)),
            ),
        )
        assert messages(lint(scenarios)) == [
            "f:5: number +33639987011 of 'b' is answered by 'a' (f:1), which is matched first"
        ]


def test_a_filtered_earlier_scenario_shadows_nothing() -> None:
    for narrowed in (
        Match(any=True, licences=frozenset({"L"})),
        Match(any=True, scopes=frozenset({"matching"})),
    ):
        scenarios = ScenarioSet(
            operators={"Orange": Operator("Orange")},
            scenarios=(sc("a", "f:1", match=narrowed), sc("b", "f:5")),
        )
        assert lint(scenarios) == []


def test_everything_after_a_catch_all_is_unreachable() -> None:
    scenarios = ScenarioSet(
        operators={"Orange": Operator("Orange")},
        scenarios=(
            sc("n", "f:1", match=Match(numbers=frozenset({N2}))),
            sc("all", "f:3", match=Match(any=True)),
            sc("b", "f:5"),
            sc("c", "f:7", match=Match(raw=frozenset({"x"}))),
        ),
    )
    assert messages(lint(scenarios)) == [
        "f:5: scenario 'b' is unreachable: 'all' (f:3) matches every number first",
        "f:7: scenario 'c' is unreachable: 'all' (f:3) matches every number first",
    ]


def test_dangling_references() -> None:
    scenarios = ScenarioSet(
        licences={
            "L": Licence("L", "s", operators=frozenset({"Zeta", "Orange", "Alpha"}), source="f:2")
        },
        operators={"Orange": Operator("Orange")},
        scenarios=(
            Scenario(id="a", match=Match(numbers=frozenset({N1})), operator="Nope", source="f:8"),
            Scenario(id="b", match=Match(numbers=frozenset({N2})), source="f:9"),
        ),
        sources=("first.yaml", "last.yaml"),
        faults=(
            Fault("f", "reset", scenario="ghost"),
            Fault("g", "reset", scenario="a"),
            Fault("h", "reset"),
        ),
    )
    assert messages(lint(scenarios)) == [
        "f:2: licence 'L' allows operator 'Alpha', which no operators list defines",
        "f:2: licence 'L' allows operator 'Zeta', which no operators list defines",
        "f:8: operator 'Nope' of 'a' is not in any operators list: every request gives error 13",
        "last.yaml: fault 'f' names unknown scenario 'ghost'",
    ]


def test_a_dangling_fault_of_a_set_without_sources_is_located_at_a_question_mark() -> None:
    scenarios = ScenarioSet(faults=(Fault("f", "reset", scenario="ghost"),))
    assert messages(lint(scenarios)) == ["?: fault 'f' names unknown scenario 'ghost'"]


def dead(outcome: dict[str, Any], scopes: dict[str, Any] | None = None) -> list[str]:
    scenario = sc("a", "f:4", outcome_raw=outcome, scopes_raw=scopes or {})
    found = lint(ScenarioSet(operators={"Orange": Operator("Orange")}, scenarios=(scenario,)))
    return [f.message for f in found]


def test_settings_after_an_initiate_error_are_dead() -> None:
    keys = ["consent", "pending", "result_error", "numverify", "scores", "consent_required"]
    outcome: dict[str, Any] = {
        "initiate_error": "16",
        "consent": {"auto": True},
        "pending": {"polls": 1},
        "result_error": "30",
        "numverify": False,
        "scores": {},
        "consent_required": True,
    }
    assert dead(outcome) == [
        f"'a' outcome.{key} is unreachable: initiate_error 16 ends every request at /IDMOBILE/"
        for key in sorted(keys)
    ]
    assert dead({"initiate_error": "16"}) == []
    assert dead({"result_error": "30", "numverify": False}) == []


def test_a_result_error_after_a_failing_consent_decision_is_dead() -> None:
    for decision, error in (("deny", "21"), ("wrong_otp", "20"), ("operator_failure", "18")):
        assert dead({"consent": {"decision": decision}, "result_error": "30"}) == [
            f"'a' outcome.result_error is unreachable: consent decision {decision!r} always ends with error {error}"
        ]
        assert dead({"consent": {"decision": decision}}) == []
    assert dead({"consent": {"decision": "approve"}, "result_error": "30"}) == []


def test_abandon_makes_result_pending_and_auto_dead() -> None:
    assert dead(
        {
            "consent": {"decision": "abandon", "auto": True},
            "result_error": "30",
            "pending": {"polls": 1},
        }
    ) == [
        "'a' outcome.consent.auto has no effect with abandon",
        "'a' outcome.pending is unreachable: an abandoned consent never reaches the operator",
        "'a' outcome.result_error is unreachable: an abandoned consent never reaches the operator",
    ]
    assert dead({"consent": {"decision": "abandon", "auto": False}}) == []
    assert dead({"consent": {"decision": "approve", "auto": True}, "pending": {"polls": 1}}) == []


def test_scope_overrides_that_cannot_take_effect() -> None:
    assert dead(
        {},
        {
            "matching_notp": {"consent_required": True, "numverify": False},
            "matching": {"consent_required": True, "numverify": False},
            "numVerify": {"numverify": False, "initiate_error": "16", "scores": {}},
        },
    ) == [
        "'a' scopes.matching.consent_required has no effect: only matching_notp can skip consent",
        "'a' scopes.matching.numverify has no effect outside numVerify",
        "'a' scopes.numVerify.numverify is unreachable: initiate_error 16 ends every request at /IDMOBILE/",
        "'a' scopes.numVerify.scores is unreachable: initiate_error 16 ends every request at /IDMOBILE/",
    ]


def test_findings_are_sorted_by_file_and_line_deduplicated_and_filtered() -> None:
    scenarios = ScenarioSet(
        operators={"Orange": Operator("Orange")},
        scenarios=(
            sc("a", "b.yaml:10", match=Match(any=True)),
            Scenario(
                id="b", match=Match(numbers=frozenset({N1})), operator="Nope", source="a.yaml:12"
            ),
            Scenario(
                id="c", match=Match(numbers=frozenset({N1})), operator="Nope", source="a.yaml:2"
            ),
        ),
    )
    found = lint(scenarios)
    assert [f.where for f in found] == ["a.yaml:2", "a.yaml:2", "a.yaml:12", "a.yaml:12"]
    assert [f.where for f in lint(scenarios, only_sources=("b.yaml",))] == []
    assert len(lint(scenarios, only_sources=("a.yaml:1",))) == 2


def test_a_location_without_a_line_sorts_first_in_its_file() -> None:
    scenarios = ScenarioSet(
        scenarios=(
            Scenario(id="b", match=Match(numbers=frozenset({N1})), operator="Nope", source="x"),
        ),
        sources=("x",),
        faults=(Fault("f", "reset", scenario="ghost"), Fault("f", "reset", scenario="ghost")),
    )
    assert messages(lint(scenarios)) == [  # the same finding twice is listed once
        "x: fault 'f' names unknown scenario 'ghost'",
        "x: operator 'Nope' of 'b' is not in any operators list: every request gives error 13",
    ]


def test_a_location_without_a_line_sorts_before_line_1() -> None:
    dead = {"initiate_error": "16", "consent": {"decision": "accept"}}
    scenarios = ScenarioSet(
        operators={"Orange": Operator("Orange")},
        scenarios=(sc("c", "x:1", outcome_raw=dead),),
        sources=("x",),
        faults=(Fault("f", "reset", scenario="ghost"),),
    )
    assert [f.where for f in lint(scenarios)] == ["x", "x:1"]


def test_lines_sort_as_numbers_when_the_file_name_has_a_colon() -> None:
    def unknown_operator(sid: str, number: str, source: str) -> Scenario:
        return Scenario(
            id=sid, match=Match(numbers=frozenset({number})), operator="No", source=source
        )

    scenarios = ScenarioSet(
        scenarios=(
            unknown_operator("b", N1, "C:/s/a.yaml:12"),
            unknown_operator("c", N2, "C:/s/a.yaml:2"),
        )
    )
    assert [f.where for f in lint(scenarios)] == ["C:/s/a.yaml:2", "C:/s/a.yaml:12"]
