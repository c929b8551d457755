"""Loaded scenarios and runtime layers per namespace (domain/registry.py).

Oracles: docs/admin-api.md "Isolation of parallel tests" (scenarios added without a namespace apply
to all; a namespace's own apply to it alone), "Limits and guarantees" (the namespace rule
`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`, an empty value refused; a namespace without runtime scenarios
uses the default view), "Hot reload" (a broken file keeps the last good set, and the reload reports
why) and the admin API table (PUT makes a document the whole runtime layer; reset of one namespace
or all).
"""

from __future__ import annotations

import pytest

from mockserver.domain.faults import Fault
from mockserver.domain.registry import ReloadReport, ScenarioRegistry, valid_namespace
from mockserver.domain.scenarios import Match, Scenario, ScenarioSet
from mockserver.domain.yamldoc import ScenarioFileError


def scenario(sid: str, description: str = "") -> Scenario:
    return Scenario(sid, Match(any=True), description=description)


def layer(*scenarios: Scenario, faults: tuple[Fault, ...] = ()) -> ScenarioSet:
    return ScenarioSet(scenarios=scenarios, faults=faults)


BASE = layer(scenario("file"))


def ids(found: ScenarioSet) -> list[str]:
    return [s.id for s in found.scenarios]


@pytest.mark.parametrize(
    ("name", "valid"),
    [("a", True), ("9", True), ("worker-gw0", True), ("A.b_c:d-e", True), ("a" * 64, True),
     ("a" * 65, False), ("", False), ("-a", False), (".a", False), ("a b", False),
     ("é", False), ("a/b", False), ("a\n", False), ("\na", False)],
)  # fmt: skip
def test_the_namespace_rule(name: str, valid: bool) -> None:
    assert valid_namespace(name) is valid


def test_without_runtime_scenarios_every_namespace_sees_the_files() -> None:
    registry = ScenarioRegistry(BASE)
    assert registry.view("default") is BASE
    assert registry.view("any") is BASE
    assert registry.namespaces() == []
    assert registry.runtime("any") == ScenarioSet()
    assert registry.generation == 0
    assert registry.last_reload == ReloadReport(True, 0)


def test_default_scenarios_apply_to_all_and_a_namespaces_own_to_it_alone() -> None:
    registry = ScenarioRegistry(BASE)
    registry.add("default", layer(scenario("shared")))
    registry.add("mine", layer(scenario("own")))
    assert ids(registry.view("default")) == ["shared", "file"]
    assert ids(registry.view("other")) == ["shared", "file"]
    assert ids(registry.view("mine")) == ["own", "shared", "file"]
    assert registry.namespaces() == ["default", "mine"]


def test_a_namespace_layer_replaces_the_default_ones_by_id() -> None:
    registry = ScenarioRegistry(BASE)
    registry.add("default", layer(scenario("x", "default's")))
    registry.add("mine", layer(scenario("x", "mine")))
    found = registry.view("mine").scenario("x")
    assert found is not None
    assert found.description == "mine"
    other = registry.view("other").scenario("x")
    assert other is not None
    assert other.description == "default's"


def test_views_are_cached_until_a_change() -> None:
    registry = ScenarioRegistry(BASE)
    registry.add("mine", layer(scenario("own")))
    first = registry.view("mine")
    assert registry.view("mine") is first
    registry.add("mine", layer(scenario("more")))
    assert ids(registry.view("mine")) == ["more", "own", "file"]


def test_add_layers_and_replace_substitutes() -> None:
    registry = ScenarioRegistry(BASE)
    registry.add("ns", layer(scenario("a")))
    registry.add("ns", layer(scenario("b")))
    assert ids(registry.runtime("ns")) == ["b", "a"]
    registry.replace("ns", layer(scenario("c")))
    assert ids(registry.runtime("ns")) == ["c"]
    assert ids(registry.view("ns")) == ["c", "file"]
    assert registry.generation == 3


def test_remove_one_runtime_scenario() -> None:
    registry = ScenarioRegistry(BASE)
    registry.add("ns", layer(scenario("a"), scenario("b")))
    assert registry.remove("ns", "a") is True
    assert ids(registry.view("ns")) == ["b", "file"]
    assert registry.generation == 2
    assert registry.remove("ns", "a") is False
    assert registry.remove("nobody", "b") is False
    assert registry.remove("ns", "file") is False  # files' scenarios are not runtime ones
    assert registry.generation == 2


def test_reset_of_one_namespace_or_all() -> None:
    registry = ScenarioRegistry(BASE)
    registry.add("a", layer(scenario("x")))
    registry.add("b", layer(scenario("y")))
    registry.reset("a")
    registry.reset("never-added")
    assert registry.namespaces() == ["b"]
    assert ids(registry.view("a")) == ["file"]
    registry.reset()
    assert registry.namespaces() == []
    assert ids(registry.view("b")) == ["file"]
    assert registry.generation == 5


def test_has_faults_looks_at_files_and_every_layer() -> None:
    fault = Fault("f", "reset")
    assert ScenarioRegistry(BASE).has_faults() is False
    assert ScenarioRegistry(layer(faults=(fault,))).has_faults() is True
    registry = ScenarioRegistry(BASE)
    registry.add("default", layer())
    registry.add("ns", layer(faults=(fault,)))
    assert registry.has_faults() is True


def test_without_a_loader_reload_keeps_the_files() -> None:
    registry = ScenarioRegistry(BASE)
    assert registry.load() is BASE
    assert registry.reload() == ReloadReport(True, 0)
    assert registry.swap(layer(scenario("new"))) == ReloadReport(True, 0)
    assert registry.base is BASE
    assert registry.generation == 0


def test_a_good_reload_swaps_the_files_and_keeps_runtime_layers() -> None:
    new = layer(scenario("new"))
    registry = ScenarioRegistry(BASE, loader=lambda: new)
    registry.add("ns", layer(scenario("own")))
    before = registry.view("ns")
    report = registry.reload()
    assert report == ReloadReport(True, 2, "")
    assert registry.last_reload is report
    assert registry.base is new
    assert ids(registry.view("ns")) == ["own", "new"]
    assert registry.view("ns") is not before


def test_a_broken_file_keeps_the_last_good_set() -> None:
    def broken() -> ScenarioSet:
        raise ScenarioFileError("pack.yaml", [(3, "bad")])

    registry = ScenarioRegistry(BASE, loader=broken)
    loaded = registry.load()
    assert loaded == str(ScenarioFileError("pack.yaml", [(3, "bad")]))
    report = registry.reload()
    assert (report.ok, report.generation, report.errors) == (False, 0, loaded)
    assert registry.last_reload is report
    assert registry.base is BASE
    assert registry.generation == 0


def test_a_loader_bug_keeps_serving_and_says_so() -> None:
    def buggy() -> ScenarioSet:
        raise KeyError("oops")

    registry = ScenarioRegistry(BASE, loader=buggy)
    report = registry.reload()
    assert report == ReloadReport(
        False, 0, "unexpected error while loading (a bug in dqe-mock): KeyError('oops')"
    )
    assert registry.base is BASE
