"""The scenario model: matching, per-scope outcomes, layering.

Oracles: docs/scenarios.md (layering: a later licence, operator, scenario or fault with
the same code, name or id replaces the earlier one, later files matched first, the first
listed scenario wins; `match` by numbers, inclusive range of same-length E.164 numbers, RE2
pattern, raw text or `any`, narrowed by `licences` and `scopes`, a combined scope matching
when one part is listed; `scopes` overrides merged key by key, `consent` and `pending` one
level deep, each part of a combined scope in turn; outcome defaults: consent approve with
otp 123456 and 3 attempts, numverify true) and hand-written tables below.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.domain.faults import Fault
from mockserver.domain.patterns import NumberPattern
from mockserver.domain.scenarios import (
    MAX_CACHED_OUTCOMES,
    Consent,
    Licence,
    Match,
    Operator,
    Outcome,
    Pending,
    Scenario,
    ScenarioSet,
)

NUMBER = "+33639987011"


def matches(match: Match, raw: str = NUMBER, e164: str | None = NUMBER, licence: str = "L",
            scope: str = "matching") -> bool:  # fmt: skip
    return match.matches(raw, e164, licence, scope)


def test_an_empty_match_matches_nothing() -> None:
    assert not matches(Match())


def test_numbers_are_compared_in_e164() -> None:
    match = Match(numbers=frozenset({NUMBER}))
    assert matches(match, raw="06 39 98 70 11", e164=NUMBER)
    assert not matches(match, raw=NUMBER, e164="+33639987012")
    assert not matches(match, raw=NUMBER, e164=None)  # a text that does not parse


@pytest.mark.parametrize(
    ("e164", "inside"),
    [
        ("+33639987000", True),  # both bounds are inclusive
        ("+33639987099", True),
        ("+33639987050", True),
        ("+33639986999", False),
        ("+33639987100", False),
        ("+336399870500", False),  # longer: a range holds numbers of its bounds' length
        ("+3363998705", False),  # shorter, though it sorts between the bounds
    ],
)
def test_a_range_is_inclusive_and_of_one_length(e164: str, inside: bool) -> None:
    match = Match(range=("+33639987000", "+33639987099"))
    assert matches(match, raw=e164, e164=e164) is inside


def test_a_pattern_is_searched_in_the_e164_form() -> None:
    match = Match(pattern=NumberPattern.compile("011$"))
    assert matches(match, raw="0639987011", e164=NUMBER)
    assert not matches(match, raw="0639987012", e164="+33639987012")
    assert not matches(match, raw="011", e164=None)


def test_raw_texts_match_before_parsing_blanks_around_ignored() -> None:
    match = Match(raw=frozenset({"not a number"}))
    assert matches(match, raw="  not a number ", e164=None)
    assert not matches(match, raw="not a number!", e164=None)


def test_any_matches_every_parsed_number_only() -> None:
    assert matches(Match(any=True), raw="x", e164="+33100000000")
    assert not matches(Match(any=True), raw="x", e164=None)


@pytest.mark.parametrize(
    ("licences", "scopes", "licence", "scope", "expected"),
    [
        (None, None, "L", "matching", True),
        (frozenset({"L"}), None, "L", "matching", True),
        (frozenset({"L"}), None, "M", "matching", False),
        (None, frozenset({"formfilling"}), "L", "matching", False),
        (None, frozenset({"formfilling"}), "L", "matching,formfilling", True),
        (None, frozenset({"formfilling"}), "L", "matching, formfilling", True),
        (frozenset({"L"}), frozenset({"matching"}), "M", "matching", False),
        (frozenset(), None, "L", "matching", False),
        (None, frozenset(), "L", "matching", False),
    ],
)
def test_licences_and_scopes_narrow_a_match(
    licences: frozenset[str] | None,
    scopes: frozenset[str] | None,
    licence: str,
    scope: str,
    expected: bool,
) -> None:
    match = Match(any=True, licences=licences, scopes=scopes)
    assert matches(match, licence=licence, scope=scope) is expected


def test_narrowing_applies_to_raw_texts_too() -> None:
    match = Match(raw=frozenset({"abc"}), licences=frozenset({"L"}))
    assert not matches(match, raw="abc", e164=None, licence="M")


def test_outcome_defaults_are_the_documented_ones() -> None:
    outcome = Outcome.from_raw({})
    assert outcome == Outcome(
        initiate_error=None,
        consent_required=False,
        consent=Consent(decision="approve", auto=False, otp="123456", max_attempts=3),
        pending=Pending(polls=0, seconds=0.0),
        result_error=None,
        numverify=True,
        scores={},
    )


def test_outcome_reads_every_key() -> None:
    raw: dict[str, Any] = {
        "initiate_error": "15",
        "consent_required": True,
        "consent": {"decision": "deny", "auto": True, "otp": "9999", "max_attempts": 5},
        "pending": {"polls": 2, "seconds": 1.5},
        "result_error": "30",
        "numverify": False,
        "scores": {"family_name": 0.5},
    }
    assert Outcome.from_raw(raw) == Outcome(
        initiate_error="15",
        consent_required=True,
        consent=Consent("deny", True, "9999", 5),
        pending=Pending(2, 1.5),
        result_error="30",
        numverify=False,
        scores={"family_name": 0.5},
    )


def scenario(**fields: Any) -> Scenario:
    return Scenario(id=fields.pop("id", "s"), match=fields.pop("match", Match(any=True)), **fields)


def test_scope_overrides_merge_key_by_key_consent_and_pending_one_level_deep() -> None:
    s = scenario(
        outcome_raw={
            "consent": {"decision": "deny", "otp": "1111"},
            "pending": {"polls": 2},
            "result_error": "30",
        },
        scopes_raw={
            "formfilling": {"consent": {"otp": "2222"}, "pending": {"seconds": 3.0}},
            "matching": {"result_error": "21", "numverify": False},
        },
    )
    assert s.outcome_for("numVerify") == Outcome(
        consent=Consent(decision="deny", otp="1111"), pending=Pending(polls=2), result_error="30"
    )
    assert s.outcome_for("formfilling") == Outcome(
        consent=Consent(decision="deny", otp="2222"),
        pending=Pending(polls=2, seconds=3.0),
        result_error="30",
    )
    # A combined scope: each part's overrides in turn.
    assert s.outcome_for("formfilling,matching") == Outcome(
        consent=Consent(decision="deny", otp="2222"),
        pending=Pending(polls=2, seconds=3.0),
        result_error="21",
        numverify=False,
    )


def test_an_override_replaces_a_value_that_is_not_a_mapping() -> None:
    s = scenario(outcome_raw={"scores": 1}, scopes_raw={"matching": {"scores": {"email": 0.0}}})
    assert s.outcome_for("matching").scores == {"email": 0.0}
    t = scenario(outcome_raw={"consent": {"otp": "1111"}}, scopes_raw={"matching": {}})
    assert t.outcome_for("matching").consent == Consent(otp="1111")


def test_outcomes_are_cached_up_to_the_bound_and_stay_correct() -> None:
    s = scenario(outcome_raw={"result_error": "30"}, scopes_raw={"matching": {"numverify": False}})
    scopes = [f"matching,{'x' * i}" for i in range(MAX_CACHED_OUTCOMES + 5)]
    for scope in scopes:
        assert s.outcome_for(scope) == Outcome(result_error="30", numverify=False)
    assert len(s._outcomes) == MAX_CACHED_OUTCOMES
    assert s.outcome_for(scopes[-1]) is not s.outcome_for(scopes[-1])  # past the bound
    assert s.outcome_for(scopes[0]) is s.outcome_for(scopes[0])  # cached
    assert s.outcome_for("numVerify") == Outcome(result_error="30")


def numbered(sid: str, number: str = NUMBER, **fields: Any) -> Scenario:
    return scenario(id=sid, match=Match(numbers=frozenset({number})), **fields)


def test_find_answers_the_first_matching_scenario() -> None:
    first, second = numbered("a"), numbered("b")
    other = numbered("c", "+33639987012")
    found = ScenarioSet(scenarios=(other, first, second))
    assert found.find(NUMBER, NUMBER, "L", "matching") is first
    assert found.find("x", "+33100000000", "L", "matching") is None
    assert found.scenario("b") is second
    assert found.scenario("z") is None


def test_an_upper_layer_replaces_by_key_and_is_matched_first() -> None:
    lower = ScenarioSet(
        licences={"L": Licence("L", "old"), "K": Licence("K", "k")},
        operators={"O": Operator("O", status="unreachable"), "P": Operator("P")},
        scenarios=(numbered("a", source="lower"), numbered("b")),
        sources=("lower.yaml",),
        faults=(
            Fault("f1", "reset"),
            Fault("f2", "reset"),
            Fault("a/f3", "reset", scenario="a"),
            Fault("b/f4", "reset", scenario="b"),
        ),
    )
    upper = ScenarioSet(
        licences={"L": Licence("L", "new")},
        operators={"O": Operator("O")},
        scenarios=(numbered("c"), numbered("a", source="upper")),
        sources=("upper.yaml",),
        faults=(Fault("f1", "empty"),),
    )
    merged = lower.layered(upper)
    assert merged.licences == {"L": Licence("L", "new"), "K": Licence("K", "k")}
    assert merged.operators == {"O": Operator("O"), "P": Operator("P")}
    assert [(s.id, s.source) for s in merged.scenarios] == [("c", ""), ("a", "upper"), ("b", "")]
    assert merged.sources == ("lower.yaml", "upper.yaml")
    # f1 replaced by id; a/f3 leaves with the scenario "a" it belonged to.
    assert [(f.id, f.kind) for f in merged.faults] == [
        ("f1", "empty"),
        ("f2", "reset"),
        ("b/f4", "reset"),
    ]
    assert merged.find(NUMBER, NUMBER, "L", "matching") is upper.scenarios[0]


def test_without_drops_scenarios_and_their_faults_only() -> None:
    full = ScenarioSet(
        licences={"L": Licence("L", "s")},
        operators={"O": Operator("O")},
        scenarios=(numbered("a"), numbered("b")),
        sources=("x.yaml",),
        faults=(Fault("a/f", "reset", scenario="a"), Fault("g", "reset")),
    )
    less = full.without(["a"])
    assert less == ScenarioSet(
        licences={"L": Licence("L", "s")},
        operators={"O": Operator("O")},
        scenarios=(numbered("b"),),
        sources=("x.yaml",),
        faults=(Fault("g", "reset"),),
    )


def test_find_narrows_by_licence_and_scope() -> None:
    only_l = scenario(id="l", match=Match(any=True, licences=frozenset({"L"})))
    only_ff = scenario(id="ff", match=Match(any=True, scopes=frozenset({"formfilling"})))
    rest = scenario(id="rest")
    found = ScenarioSet(scenarios=(only_l, only_ff, rest))
    assert found.find(NUMBER, NUMBER, "M", "formfilling") is only_ff
    assert found.find(NUMBER, NUMBER, "M", "matching") is rest
    assert found.find(NUMBER, NUMBER, "L", "matching") is only_l
