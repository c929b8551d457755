"""Semantic checks of scenario sets beyond the schema: shadowing, dead settings, references."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.contract.decisions import consent_errors, expiry_errors
from mockserver.contract.scopes import consent_scopes, outcome_scopes
from mockserver.domain.scenarios import Scenario, ScenarioSet


@dataclass(frozen=True)
class Finding:
    """One problem, located as `file:line`."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def lint(scenarios: ScenarioSet, only_sources: tuple[str, ...] | None = None) -> list[Finding]:
    """Every finding for `scenarios`; restricted to locations under `only_sources` when given."""
    found = [*_shadowing(scenarios), *_references(scenarios)]
    for scenario in scenarios.scenarios:
        found += _dead_settings(scenario)
    if only_sources is not None:
        found = [f for f in found if f.where.startswith(only_sources)]
    return sorted(set(found), key=_location)


def _location(finding: Finding) -> tuple[str, int, str]:
    source, _, line = finding.where.rpartition(":")
    return (
        (source, int(line), finding.message)
        if line.isdigit()
        else (finding.where, 0, finding.message)
    )


def _shadowing(scenarios: ScenarioSet) -> Iterator[Finding]:
    """Numbers an earlier scenario always answers, and scenarios no request can reach."""
    earlier: list[Scenario] = []
    for scenario in scenarios.scenarios:
        unfiltered = [e for e in earlier if e.match.licences is None and e.match.scopes is None]
        catch_all = next((e for e in unfiltered if e.match.any), None)
        if catch_all is not None:
            yield Finding(
                scenario.source,
                f"scenario {scenario.id!r} is unreachable: "
                f"{catch_all.id!r} ({catch_all.source}) matches every number first",
            )
            earlier.append(scenario)
            continue
        shadowed = []
        for number in sorted(scenario.match.numbers):
            owner = next((e for e in unfiltered if e.match.matches(number, number, "", "")), None)
            if owner is not None:
                shadowed.append(number)
                yield Finding(
                    scenario.source,
                    f"number {number} of {scenario.id!r} is answered by "
                    f"{owner.id!r} ({owner.source}), which is matched first",
                )
        only_numbers = not (
            scenario.match.range
            or scenario.match.pattern
            or scenario.match.raw
            or scenario.match.any
        )
        if only_numbers and scenario.match.numbers and len(shadowed) == len(scenario.match.numbers):
            yield Finding(
                scenario.source,
                f"scenario {scenario.id!r} is unreachable: "
                "every one of its numbers is answered by an earlier scenario",
            )
        earlier.append(scenario)


def _references(scenarios: ScenarioSet) -> Iterator[Finding]:
    for scenario in scenarios.scenarios:
        if scenario.operator and scenario.operator not in scenarios.operators:
            yield Finding(
                scenario.source,
                f"operator {scenario.operator!r} of {scenario.id!r} is "
                "not in any operators list: every request gives error 13",
            )
    for licence in scenarios.licences.values():
        for name in sorted(licence.operators or ()):
            if name not in scenarios.operators:
                yield Finding(
                    licence.source,
                    f"licence {licence.licence!r} allows operator "
                    f"{name!r}, which no operators list defines",
                )
    for fault in scenarios.faults:
        if fault.scenario and scenarios.scenario(fault.scenario) is None:
            yield Finding(
                scenarios.sources[-1] if scenarios.sources else "?",
                f"fault {fault.id!r} names unknown scenario {fault.scenario!r}",
            )


def _dead_settings(scenario: Scenario) -> Iterator[Finding]:
    """Settings that can never take effect, scope by scope."""
    yield from _dead_in(scenario, scenario.outcome_raw, "outcome")
    for scope, override in scenario.scopes_raw.items():
        yield from _dead_in(scenario, override, f"scopes.{scope}")
        if scope not in consent_scopes():
            continue
        if "consent_required" in override:
            yield Finding(
                scenario.source,
                f"{scenario.id!r} scopes.{scope}.consent_required "
                "has no effect: only matching_notp can skip consent",
            )
        applies = outcome_scopes("numverify")
        if applies is not None and scope not in applies and "numverify" in override:
            yield Finding(
                scenario.source,
                f"{scenario.id!r} scopes.{scope}.numverify has no effect outside numVerify",
            )


def _dead_in(scenario: Scenario, raw: Mapping[str, Any], where: str) -> Iterator[Finding]:
    label = f"{scenario.id!r} {where}"
    if raw.get("initiate_error"):
        for key in (
            "consent",
            "pending",
            "result_error",
            "numverify",
            "scores",
            "consent_required",
        ):
            if key in raw:
                yield Finding(
                    scenario.source,
                    f"{label}.{key} is unreachable: initiate_error "
                    f"{raw['initiate_error']} ends every request at /IDMOBILE/",
                )
    decision = str((raw.get("consent") or {}).get("decision"))
    if decision in consent_errors() and raw.get("result_error"):
        yield Finding(
            scenario.source,
            f"{label}.result_error is unreachable: consent decision "
            f"{decision!r} always ends with error {consent_errors()[decision]}",
        )
    if decision in expiry_errors():
        for key in ("result_error", "pending"):
            if key in raw:
                yield Finding(
                    scenario.source,
                    f"{label}.{key} is unreachable: an abandoned "
                    "consent never reaches the operator",
                )
        if (raw.get("consent") or {}).get("auto"):
            yield Finding(scenario.source, f"{label}.consent.auto has no effect with abandon")
