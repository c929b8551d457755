"""Which scopes, outcomes and error ids a client's tests exercised, and which they never did."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.contract.errors import catalogue
from mockserver.contract.scopes import OTHER_SCOPE, scope_names

ENDPOINTS = ("ACCESS_TOKEN", "IDMOBILE", "GET")
__all__ = ["OTHER_SCOPE", "Coverage"]


@dataclass
class Coverage:
    """Accumulates the client report's coverage across a whole test session."""

    seen: dict[str, dict[str, set[str]]] = field(default_factory=lambda: {e: {} for e in ENDPOINTS})

    def add_counts(self, coverage: Mapping[str, Mapping[str, Mapping[str, int]]]) -> None:
        """Add a client report's coverage (GET /__admin/report: endpoint -> scope -> outcome
        -> requests), the counters the server keeps whatever the journal's bound."""
        for endpoint, by_scope in coverage.items():
            if endpoint not in self.seen:
                continue
            for scope, outcomes in by_scope.items():
                key = "" if scope in ("-", "(none)") else scope
                self.seen[endpoint].setdefault(key, set()).update(outcomes)

    def as_json(self) -> dict[str, dict[str, list[str]]]:
        """The raw observations, for shipping from an xdist worker to the controller."""
        return {e: {s: sorted(o) for s, o in by.items()} for e, by in self.seen.items()}

    def merge(self, data: Mapping[str, Mapping[str, Iterable[str]]]) -> None:
        """Add another process's observations."""
        for endpoint, by_scope in data.items():
            for scope, outcomes in by_scope.items():
                self.seen.setdefault(endpoint, {}).setdefault(scope, set()).update(outcomes)

    def report(self) -> dict[str, Any]:
        """Exercised and never-exercised scopes and error ids, per endpoint."""
        scopes = scope_names()
        used_scopes = sorted(s for s in self.seen["IDMOBILE"] if s in scopes)
        result: dict[str, Any] = {
            "scopes": {
                "exercised": used_scopes,
                "never": [s for s in scopes if s not in used_scopes],
            },
            "endpoints": {},
        }
        for endpoint in ENDPOINTS:
            outcomes = set().union(*self.seen[endpoint].values()) if self.seen[endpoint] else set()
            possible = catalogue().ids_for(endpoint)
            result["endpoints"][endpoint] = {
                "outcomes": sorted(outcomes),
                "error_ids_exercised": [i for i in possible if i in outcomes],
                "error_ids_never": [i for i in possible if i not in outcomes],
                "by_scope": {s: sorted(o) for s, o in sorted(self.seen[endpoint].items())},
            }
        return result

    def lines(self) -> list[str]:
        """A short human summary for the terminal."""
        report = self.report()
        lines = [
            f"scopes exercised: {', '.join(report['scopes']['exercised']) or 'none'}",
            f"scopes never exercised: {', '.join(report['scopes']['never']) or 'none'}",
        ]
        for endpoint, data in report["endpoints"].items():
            lines.append(
                f"/{endpoint}/: outcomes {', '.join(data['outcomes']) or 'none'}; "
                f"error ids never exercised: {', '.join(data['error_ids_never']) or 'none'}"
            )
        return lines
