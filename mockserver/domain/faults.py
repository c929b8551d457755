"""Faults: latency, gateway errors, resets, empty or truncated replies, hangs, on any endpoint.

The domain decides which fault applies to a request (and counts `first: N`); the HTTP layer
carries it out.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ANY_ENDPOINT = "any"
DEFAULT_STATUS = 503
DEFAULT_HANG_SECONDS = 300.0
# (namespace, fault) counters kept; past it the oldest counter is forgotten (starts over).
MAX_COUNTERS = 10_000


@dataclass(frozen=True)
class FaultTarget:
    """What a request is about, as far as faults care."""

    endpoint: str
    licence: str = ""
    number: str | None = None
    scenario_id: str | None = None


@dataclass(frozen=True)
class Fault:
    """One fault and the requests it applies to."""

    id: str
    kind: str
    endpoint: str = ANY_ENDPOINT
    status: int = DEFAULT_STATUS
    latency: Mapping[str, Any] | None = None
    seconds: float = DEFAULT_HANG_SECONDS
    first: int | None = None
    licences: frozenset[str] | None = None
    numbers: frozenset[str] | None = None
    scenario: str | None = None
    description: str = ""

    def applies(self, target: FaultTarget) -> bool:
        """Does this fault concern `target` (before counting `first`)?"""
        if self.endpoint not in (ANY_ENDPOINT, target.endpoint):
            return False
        if self.licences is not None and target.licence not in self.licences:
            return False
        if self.numbers is not None and target.number not in self.numbers:
            return False
        return self.scenario is None or self.scenario == target.scenario_id

    def delay(self, rng: random.Random) -> float:
        """Seconds to wait before answering (latency faults)."""
        spec = self.latency or {}
        if "fixed" in spec:
            return float(spec["fixed"])
        if "uniform" in spec:
            low, high = spec["uniform"]
            return rng.uniform(float(low), float(high))
        if "exponential" in spec:
            value = rng.expovariate(1.0 / float(spec["exponential"]))
            return min(value, float(spec["max"])) if "max" in spec else value
        return 0.0


class FaultBook:
    """Counts the requests each fault has met, per namespace; owns the seeded generator.

    At most `max_counters` counts are kept (namespaces come from clients): past it, the
    count created first is forgotten, and that fault's `first: N` starts over there.
    """

    def __init__(self, seed: int | None = None, max_counters: int = MAX_COUNTERS) -> None:
        self.max_counters = max_counters
        self._seed = seed
        self.rng = _rng(seed)
        self._hits: dict[tuple[str, str], int] = {}

    def pick(self, faults: Iterable[Fault], target: FaultTarget, namespace: str) -> Fault | None:
        """The first fault that applies and has not used up its `first: N`."""
        for fault in faults:
            if not fault.applies(target):
                continue
            key = (namespace, fault.id)
            hits = self._hits[key] = self._hits.get(key, 0) + 1
            if len(self._hits) > self.max_counters:
                del self._hits[next(iter(self._hits))]
            if fault.first is None or hits <= fault.first:
                return fault
        return None

    def install(self, namespace: str, fault_id: str, hits: int) -> None:
        """Hold `hits` as the count of `fault_id` in `namespace`, as a shared store counted it
        (mockserver/store/): the dashboard shows this process's latest reading."""
        self._hits[(namespace, fault_id)] = hits
        if len(self._hits) > self.max_counters:
            del self._hits[next(iter(self._hits))]

    def hits(self, namespace: str, fault_id: str) -> int:
        """How many matching requests `fault_id` has seen in `namespace`."""
        return self._hits.get((namespace, fault_id), 0)

    def counts(self) -> dict[tuple[str, str], int]:
        """Every count: (namespace, fault id) -> matching requests seen."""
        return dict(self._hits)

    def reset(self, namespace: str | None = None) -> None:
        """Forget counts (of one namespace, or all, restarting the generator)."""
        if namespace is None:
            self._hits.clear()
            self.rng = _rng(self._seed)
            return
        for key in [k for k in self._hits if k[0] == namespace]:
            del self._hits[key]


def _rng(seed: int | None) -> random.Random:
    return random.Random(f"faults:{seed}") if seed is not None else random.Random()
