"""The scenario model: licences, operators and scenarios, layered and matched by number."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.contract.errors import split_scope
from mockserver.domain.faults import Fault
from mockserver.domain.patterns import NumberPattern

DEFAULT_OTP = "123456"
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_TOKEN_TTL = 300


# Scopes whose outcome a scenario remembers (the documented scopes and their combinations).
MAX_CACHED_OUTCOMES = 16
MAX_CACHED_FINDS = 512


@dataclass(frozen=True)
class Licence:
    """A licence code, its client secret, and what it may use."""

    licence: str
    client_secret: str
    operators: frozenset[str] | None = None
    scopes: frozenset[str] | None = None
    token_ttl: int | None = None
    source: str = ""


@dataclass(frozen=True)
class Operator:
    """A mobile operator as the mock simulates it."""

    name: str
    scopes: frozenset[str] | None = None
    status: str = "available"
    requires_phone: bool = False
    source: str = ""


@dataclass(frozen=True)
class Consent:
    """What the user does on the operator's consent step."""

    decision: str = "approve"
    auto: bool = False
    otp: str = DEFAULT_OTP
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


@dataclass(frozen=True)
class Pending:
    """How long /GET/ stays pending once consent is given."""

    polls: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Outcome:
    """Everything a scenario decides for one scope."""

    initiate_error: str | None = None
    consent_required: bool = False
    consent: Consent = field(default_factory=Consent)
    pending: Pending = field(default_factory=Pending)
    result_error: str | None = None
    numverify: bool = True
    scores: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Outcome:
        """Build from the merged YAML mapping of an outcome."""
        return cls(
            initiate_error=raw.get("initiate_error"),
            consent_required=bool(raw.get("consent_required")),
            consent=Consent(**raw.get("consent", {})),
            pending=Pending(**raw.get("pending", {})),
            result_error=raw.get("result_error"),
            numverify=bool(raw.get("numverify", True)),
            scores=dict(raw.get("scores", {})),
        )


@dataclass(frozen=True)
class Match:
    """Which requests a scenario answers: numbers (E.164), range, pattern, raw text, any."""

    numbers: frozenset[str] = frozenset()
    range: tuple[str, str] | None = None
    pattern: NumberPattern | None = None
    raw: frozenset[str] = frozenset()
    any: bool = False
    licences: frozenset[str] | None = None
    scopes: frozenset[str] | None = None

    def matches(self, raw: str, e164: str | None, licence: str, scope: str) -> bool:
        """Does a request for number `raw` (E.164 `e164` when it parses) match?"""
        if self.licences is not None and licence not in self.licences:
            return False
        if self.scopes is not None and not set(split_scope(scope)) & self.scopes:
            return False
        return raw.strip() in self.raw or (e164 is not None and self._matches_number(e164))

    def _matches_number(self, e164: str) -> bool:
        if self.any or e164 in self.numbers:
            return True
        if self.range and len(e164) == len(self.range[0]):
            return self.range[0] <= e164 <= self.range[1]
        return bool(self.pattern and self.pattern.search(e164))


@dataclass(frozen=True)
class Scenario:
    """One scenario: how a number (or range) behaves for each scope."""

    id: str
    match: Match
    operator: str | None = None
    description: str = ""
    subscriber: Mapping[str, Any] = field(default_factory=dict)
    outcome_raw: Mapping[str, Any] = field(default_factory=dict)
    scopes_raw: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: str = ""
    # Outcomes are frozen: one per scope, shared by every session of this scenario.
    _outcomes: dict[str, Outcome] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def outcome_for(self, scope: str) -> Outcome:
        """The scenario's outcome with the overrides of each part of `scope` merged in."""
        cached = self._outcomes.get(scope)
        if cached is None:
            cached = self._merged_outcome(scope)
            if len(self._outcomes) < MAX_CACHED_OUTCOMES:
                self._outcomes[scope] = cached
        return cached

    def _merged_outcome(self, scope: str) -> Outcome:
        merged: dict[str, Any] = dict(self.outcome_raw)
        for part in split_scope(scope):
            override = self.scopes_raw.get(part, {})
            for key, value in override.items():
                if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
                    merged[key] = {**merged[key], **value}
                else:
                    merged[key] = value
        return Outcome.from_raw(merged)


@dataclass(frozen=True)
class ScenarioSet:
    """The layered result of every loaded file: what the server answers from."""

    licences: Mapping[str, Licence] = field(default_factory=dict)
    operators: Mapping[str, Operator] = field(default_factory=dict)
    scenarios: tuple[Scenario, ...] = ()
    sources: tuple[str, ...] = ()
    faults: tuple[Fault, ...] = ()
    _found: dict[tuple[str, str | None, str, str], Scenario | None] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def find(self, raw: str, e164: str | None, licence: str, scope: str) -> Scenario | None:
        """The first scenario (latest layer first) that matches this request.

        The set is immutable, so an answer is memoised (at most MAX_CACHED_FINDS keys, then
        cleared): a pack of a hundred scenarios costs one walk per (number, licence, scope).
        """
        key = (raw.strip(), e164, licence, scope)
        if key in self._found:
            return self._found[key]
        found = next(
            (s for s in self.scenarios if s.match.matches(raw, e164, licence, scope)), None
        )
        if len(self._found) >= MAX_CACHED_FINDS:
            self._found.clear()  # a new generation: the numbers in use now
        self._found[key] = found
        return found

    def forget_lookups(self) -> None:
        """Empty find()'s memo (bounded: MAX_CACHED_FINDS keys)."""
        self._found.clear()

    def scenario(self, scenario_id: str) -> Scenario | None:
        """The scenario with this id, if any."""
        return next((s for s in self.scenarios if s.id == scenario_id), None)

    def layered(self, upper: ScenarioSet) -> ScenarioSet:
        """`upper` over this set: same ids replaced, upper scenarios matched first."""
        upper_ids = {s.id for s in upper.scenarios}
        upper_faults = {f.id for f in upper.faults}
        return ScenarioSet(
            licences={**self.licences, **upper.licences},
            operators={**self.operators, **upper.operators},
            scenarios=(*upper.scenarios, *(s for s in self.scenarios if s.id not in upper_ids)),
            sources=(*self.sources, *upper.sources),
            # A scenario replaced by id takes its faults with it.
            faults=(
                *upper.faults,
                *(
                    f
                    for f in self.faults
                    if f.id not in upper_faults and f.scenario not in upper_ids
                ),
            ),
        )

    def without(self, scenario_ids: Iterable[str]) -> ScenarioSet:
        """This set less the given scenarios."""
        drop = set(scenario_ids)
        kept = tuple(s for s in self.scenarios if s.id not in drop)
        faults = tuple(f for f in self.faults if f.scenario not in drop)
        return ScenarioSet(self.licences, self.operators, kept, self.sources, faults)
