"""The request journal: what each request asked, what matched, what was answered; bounded."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from typing import Any

from mockserver.contract.bounds import (
    MAX_NAME,
    MAX_PARAMS,
    MAX_VIOLATIONS,
    bounded_messages,
    cut,
    masked,
)
from mockserver.contract.conformance import Note
from mockserver.contract.schemas import contract, response_schema

DOCUMENTED_ENDPOINTS = frozenset({"ACCESS_TOKEN", "IDMOBILE", "GET"})
DEFAULT_LIMIT = 1000
CONFORMS, NOTES, VIOLATIONS = "conforms", "notes", "violations"
MAX_TEXT_RESPONSE = 2000  # characters of a non-JSON answer kept in an entry


@dataclass(frozen=True)
class JournalEntry:
    """One request and its answer, and the contract's verdict on them.

    `request_violations`: the rules of the contract the request broke (schema, decoding, the
    HTTP layer's 4xx, strict-mode notes); `error_reason`: why the mock answered an error (a
    DqeError's reason or the HTTP layer's message), None for any other answer; `notes`: what
    the mock accepted leniently (contract.conformance.NOTE_KINDS).
    """

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
    error_reason: str | None = None
    notes: tuple[Note, ...] = ()
    # The answer is the HTTP layer's 4xx (404, 405, 408, 413, a refused namespace), not a DQE
    # answer: its body is not checked against the DQE response schemas.
    http_layer: bool = False

    def __post_init__(self) -> None:
        # However many violations a request has, the entry keeps a bounded number of lines.
        object.__setattr__(self, "request_violations", bounded_messages(self.request_violations))
        kept = tuple(replace(n, message=cut(n.message)) for n in self.notes[:MAX_VIOLATIONS])
        object.__setattr__(self, "notes", kept)
        if self.error_reason is not None:
            object.__setattr__(self, "error_reason", cut(self.error_reason))

    @cached_property
    def response_violations(self) -> tuple[str, ...]:
        """The contract's verdict on the answer, computed when first read (off the hot path)."""
        if self.endpoint not in DOCUMENTED_ENDPOINTS or self.fault is not None or self.http_layer:
            return ()
        if self.status not in (200, 400) or not isinstance(self.response, dict):
            return (f"HTTP {self.status} is not a documented answer of /{self.endpoint}/",)
        schema = response_schema(self.endpoint, self.status)
        return bounded_messages(str(v) for v in contract().validate_response(schema, self.response))

    @property
    def verdict(self) -> str:
        """violations: an error was answered, or the request or the answer broke the contract;
        notes: none of that, but something was accepted leniently; conforms otherwise."""
        if self.request_violations or self.response_violations or self.error_reason:
            return VIOLATIONS
        return NOTES if self.notes else CONFORMS

    @property
    def conforms(self) -> bool:
        """No violation and no note."""
        return self.verdict == CONFORMS

    @property
    def reasons(self) -> tuple[str, ...]:
        """The sentences behind the verdict, never empty unless it is conforms: the violations
        (or, when none was recorded, the error's reason), else the notes."""
        if self.verdict == VIOLATIONS:
            found = bounded_messages((*self.request_violations, *self.response_violations))
            return found or (self.error_reason or "",)
        return tuple(note.message for note in self.notes)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready mapping, with the contract verdict spelt out."""
        data = asdict(self)
        data["response_violations"] = list(self.response_violations)
        data["params"] = dict(self.params)
        data["request_violations"] = list(self.request_violations)
        data["notes"] = [asdict(note) for note in self.notes]
        data["verdict"] = self.verdict
        data["reasons"] = list(self.reasons)
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
