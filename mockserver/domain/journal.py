"""The request journal: what each request asked, what matched, what was answered; bounded."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

SECRET_PARAMS = frozenset({"client_secret"})
DEFAULT_LIMIT = 1000


@dataclass(frozen=True)
class JournalEntry:
    """One request and its answer."""

    id: int
    at: float
    namespace: str
    method: str
    path: str
    endpoint: str | None
    params: Mapping[str, str]
    status: int
    response: Any
    scenario_id: str | None = None
    token: str | None = None
    error_id: str | None = None
    fault: str | None = None
    request_violations: tuple[str, ...] = ()
    response_violations: tuple[str, ...] = ()

    @property
    def conforms(self) -> bool:
        """Did both the request and the response follow the contract?"""
        return not self.request_violations and not self.response_violations

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready mapping, with the contract verdict spelt out."""
        data = asdict(self)
        data["params"] = dict(self.params)
        data["request_violations"] = list(self.request_violations)
        data["response_violations"] = list(self.response_violations)
        data["verdict"] = "conforms" if self.conforms else "violations"
        return data


def redact(params: Mapping[str, str]) -> dict[str, str]:
    """Parameters with secrets masked."""
    return {k: ("***" if k in SECRET_PARAMS else v) for k, v in params.items()}


@dataclass
class Journal:
    """The latest `limit` entries; older ones are dropped, never accumulated without bound."""

    limit: int = DEFAULT_LIMIT
    _entries: deque[JournalEntry] = field(init=False)
    _ids: itertools.count[int] = field(init=False)

    def __post_init__(self) -> None:
        self._entries = deque(maxlen=self.limit)
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        """The id the next entry will carry."""
        return next(self._ids)

    def add(self, entry: JournalEntry) -> None:
        """Record an entry (the oldest falls off when full)."""
        self._entries.append(entry)

    def entries(self, namespace: str | None = None, limit: int | None = None) -> list[JournalEntry]:
        """Entries, oldest first; of one namespace when given; the last `limit` when given."""
        found = [e for e in self._entries if namespace is None or e.namespace == namespace]
        return found[-limit:] if limit else found

    def __len__(self) -> int:
        return len(self._entries)

    def reset(self, namespace: str | None = None) -> None:
        """Forget every entry, or one namespace's."""
        if namespace is None:
            self._entries.clear()
            self._ids = itertools.count(1)
            return
        kept = [e for e in self._entries if e.namespace != namespace]
        self._entries = deque(kept, maxlen=self.limit)
