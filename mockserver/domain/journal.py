"""The request journal: what each request asked, what matched, what was answered; bounded."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from mockserver.contract.bounds import (
    MAX_NAME,
    MAX_PARAMS,
    bounded_messages,
    cut,
    masked,
)
from mockserver.contract.schemas import contract, response_schema

DOCUMENTED_ENDPOINTS = frozenset({"ACCESS_TOKEN", "IDMOBILE", "GET"})
DEFAULT_LIMIT = 1000
MAX_TEXT_RESPONSE = 2000  # characters of a non-JSON answer kept in an entry


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

    def __post_init__(self) -> None:
        # However many violations a request has, the entry keeps a bounded number of lines.
        object.__setattr__(self, "request_violations", bounded_messages(self.request_violations))

    @cached_property
    def response_violations(self) -> tuple[str, ...]:
        """The contract's verdict on the answer, computed when first read (off the hot path)."""
        if (
            self.endpoint not in DOCUMENTED_ENDPOINTS
            or self.fault is not None
            or self.status >= 500
        ):
            return ()
        if self.status not in (200, 400) or not isinstance(self.response, dict):
            return (f"HTTP {self.status} is not a documented answer of /{self.endpoint}/",)
        schema = response_schema(self.endpoint, self.status)
        return bounded_messages(str(v) for v in contract().validate_response(schema, self.response))

    @property
    def conforms(self) -> bool:
        """Did both the request and the response follow the contract?"""
        return not self.request_violations and not self.response_violations

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready mapping, with the contract verdict spelt out."""
        data = asdict(self)
        data["response_violations"] = list(self.response_violations)
        data["params"] = dict(self.params)
        data["request_violations"] = list(self.request_violations)
        data["verdict"] = "conforms" if self.conforms else "violations"
        return data


def redact(params: Mapping[str, str]) -> dict[str, str]:
    """Parameters as the journal keeps them: the first MAX_PARAMS only, a name cut to MAX_NAME
    characters, a value to MAX_VALUE (a cut ends with `…[+N chars]`), secrets (any case) masked
    (contract.bounds.is_secret)."""
    return {
        cut(key, MAX_NAME): masked(key, value)
        for key, value in itertools.islice(params.items(), MAX_PARAMS)
    }


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

    def entries(
        self, namespace: str | None = None, limit: int | None = None, after: int = 0
    ) -> list[JournalEntry]:
        """Entries, oldest first; of one namespace when given; the last `limit` when given;
        only those whose id is over `after`."""
        found = [
            e
            for e in self._entries
            if e.id > after and (namespace is None or e.namespace == namespace)
        ]
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
