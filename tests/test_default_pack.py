"""The built-in magic-number pack (scenarios/default.yaml) against the error catalogue."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
import yaml

from mockserver.contract.errors import catalogue
from mockserver.contract.schemas import contract
from mockserver.domain.loading import DEFAULT_PACK, load_default
from mockserver.domain.scenarios import Scenario, ScenarioSet
from mockserver.domain.service import MockState
from mockserver.resources import scenarios_dir
from mockserver.testing.client import DqeClient

SCOPES = ["matching_notp", "numVerify", "formfilling", "matching", "matching,formfilling"]
CONSENT_SCOPES = [s for s in SCOPES if s != "matching_notp"]
FICTION = re.compile(r"^\+3363998\d{4}$")
HAPPY_RANGE = re.compile(r"^\+33639980{3}\d$")


@pytest.fixture(scope="module")
def pack() -> ScenarioSet:
    return load_default()


@pytest.fixture(scope="module")
def raw_pack() -> dict[str, Any]:
    text = (scenarios_dir() / DEFAULT_PACK).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def listed(pack: ScenarioSet, number: str) -> Scenario:
    """The scenario that lists `number` explicitly (not a catch-all)."""
    found = [s for s in pack.scenarios if number in s.match.numbers]
    assert len(found) == 1, f"{number} is listed by {[s.id for s in found]}"
    return found[0]


def test_pack_loads(pack: ScenarioSet) -> None:
    assert pack.scenarios
    assert pack.operators
    assert set(pack.licences) == {"100001", "100002", "100003", "100004"}
    assert {lic.client_secret for lic in pack.licences.values()} == {"demo-secret"}
    assert pack.licences["100002"].operators == frozenset({"Orange"})
    assert pack.licences["100003"].scopes == frozenset({"matching_notp"})
    assert pack.licences["100004"].token_ttl == 5
    assert pack.licences["100001"].operators is None
    assert pack.licences["100001"].scopes is None


def test_server_runs_the_pack(pack: ScenarioSet, state: MockState) -> None:
    assert [s.id for s in state.scenarios.scenarios] == [s.id for s in pack.scenarios]
    assert set(state.scenarios.licences) == set(pack.licences)


def test_scenario_ids_are_unique(raw_pack: dict[str, Any]) -> None:
    ids = [s["id"] for s in raw_pack["scenarios"]]
    assert ids
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert duplicates == []


def test_each_number_is_listed_once(pack: ScenarioSet) -> None:
    numbers = Counter(n for s in pack.scenarios for n in s.match.numbers)
    assert numbers
    assert [n for n, count in numbers.items() if count > 1] == []


def test_every_magic_number_is_fiction(pack: ScenarioSet) -> None:
    numbers = [n for s in pack.scenarios for n in s.match.numbers]
    assert numbers
    assert [n for n in numbers if not FICTION.match(n)] == []


def test_catch_all_comes_last(pack: ScenarioSet) -> None:
    catch_all = [s for s in pack.scenarios if s.match.any]
    assert len(catch_all) == 1
    assert pack.scenarios[-1] is catch_all[0]


@pytest.mark.parametrize("error_id", catalogue().ids_for("IDMOBILE"))
def test_idmobile_error_has_its_magic_number(pack: ScenarioSet, error_id: str) -> None:
    number = f"+336399810{error_id}"
    scenario = listed(pack, number)
    entry = catalogue().get(error_id)
    scopes = [s for s in SCOPES if entry.allowed("IDMOBILE", s)]
    assert scopes
    for scope in scopes:
        assert pack.find(number, number, "100001", scope) is scenario
        assert scenario.outcome_for(scope).initiate_error == error_id


@pytest.mark.parametrize("error_id", catalogue().ids_for("GET"))
def test_get_error_has_its_magic_number(pack: ScenarioSet, error_id: str) -> None:
    number = f"+336399820{error_id}"
    scenario = listed(pack, number)
    entry = catalogue().get(error_id)
    scopes = [s for s in CONSENT_SCOPES if entry.allowed("GET", s)]
    assert scopes
    for scope in scopes:
        assert pack.find(number, number, "100001", scope) is scenario
        outcome = scenario.outcome_for(scope)
        assert outcome.result_error == error_id
        assert outcome.initiate_error is None
        assert outcome.consent.decision == "approve"


def test_error_scenarios_follow_the_numbering(pack: ScenarioSet) -> None:
    """A scenario answering error NN is the one at 10 NN (/IDMOBILE/) or 20 NN (/GET/)."""
    scopes = contract().schemas["common.schema.json"]["$defs"]["scope_name"]["enum"]
    seen = 0
    for scenario in pack.scenarios:
        for key, block in (("initiate_error", "10"), ("result_error", "20")):
            ids = {getattr(scenario.outcome_for(scope), key) for scope in scopes} - {None}
            for error_id in ids:
                seen += 1
                assert scenario.match.numbers == {f"+3363998{block}{error_id}"}, scenario.id
                assert error_id in catalogue().business
    expected = len(catalogue().ids_for("IDMOBILE")) + len(catalogue().ids_for("GET"))
    assert seen == expected


def test_the_four_operators_have_a_happy_path(pack: ScenarioSet) -> None:
    available = [
        op.name for op in pack.operators.values() if op.status == "available" and op.scopes is None
    ]
    assert sorted(available) == sorted(["Orange", "SFR", "Bouygues Telecom", "Free"])
    for name in available:
        happy = [
            s
            for s in pack.scenarios
            if s.operator == name
            and not s.match.any
            and not s.outcome_raw
            and s.subscriber
            and all(HAPPY_RANGE.match(n) for n in s.match.numbers)
        ]
        assert len(happy) == 1, (name, [s.id for s in happy])
        for scope in SCOPES:
            outcome = happy[0].outcome_for(scope)
            assert outcome.initiate_error is None
            assert outcome.result_error is None
            assert outcome.consent.decision == "approve"


def _happy_numbers() -> list[Any]:
    pack = load_default()
    return [
        pytest.param(n, s.operator, id=s.id)
        for s in pack.scenarios
        for n in sorted(s.match.numbers)
        if HAPPY_RANGE.match(n)
    ]


def test_happy_numbers_found() -> None:
    assert len(_happy_numbers()) == 4


@pytest.mark.parametrize(("number", "operator"), _happy_numbers())
async def test_happy_path_over_http(dqe: DqeClient, number: str, operator: str) -> None:
    token = await dqe.token()
    started = await dqe.idmobile(token, number, "numVerify")
    assert started.violations == []
    assert started.body["status"] == "success"
    assert started.body["operator"] == operator
    status, _, _ = await dqe.visit(started.body["url"])
    assert status == 200
    done = await dqe.get(token, "numVerify")
    assert done.violations == []
    assert done.body == {"status": "success", "scope": "numVerify", "numVerify": True}
