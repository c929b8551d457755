"""The client report: counters of what a client did, and the behaviour rules it broke.

Fed one journal entry per request (ClientReport.observe, from http/recording.py, where the
journal is fed), it keeps counters that do not depend on the journal's bound: per namespace,
endpoint x scope x outcome, notes and violations by kind, per session polling behaviour,
tokens used after expiry, retries after injected faults and their spacing. Times are the
entries' `at` (the injected clock, domain/clock.py): tests move time without sleeping.

observe() costs a few dict look-ups and increments: no JSON, no schema validation (the
entry's response verdict, a cached property, is never read here). report() builds the JSON
answer of GET /__admin/report (schemas/admin/report.schema.json), off the request path.

Bounds (docs/client-report.md; docs/limits.md "State, stopping and safe methods"):
MAX_SESSIONS_PER_NAMESPACE session records per namespace and MAX_SESSION_RECORDS in all (the oldest
goes), MAX_NAMESPACES namespaces (the one counted first goes), MAX_FINDINGS kept findings per
namespace (older ones are counted), MAX_TRACKED tokens answered 30 and faults awaiting a retry per
namespace.
"""

from __future__ import annotations

import statistics
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mockserver.contract.errors import catalogue
from mockserver.contract.scopes import coverage_scopes, scope_names
from mockserver.domain.journal import JournalEntry
from mockserver.domain.sessions import Phase, Session

# Why 1 s: DQE's pages (numVerify / formfilling, Step 2) document `pending` but no polling
# interval. The answer depends on a person: the user opens the consent url on their phone and
# approves (seconds to tens of seconds), then the operator answers. Polling once a second
# sees the answer at most a second after it is ready, a delay no user notices, at a few dozen
# requests per check; polling faster only multiplies the load on DQE and on the operator.
DEFAULT_MIN_POLL_INTERVAL = 1.0
# Why 0.5 s: a 5xx from a gateway is transient; retrying at once hits the same overloaded
# backend. Half a second is the first step of a typical exponential backoff (0.5, 1, 2 s...).
DEFAULT_MIN_BACKOFF = 0.5

# ~0.5 KiB a record: 1,000 a namespace (what an answer lists) and 10,000 in all keep the
# report within ~5 MB, inside the 150 MB a 100,000-session mock is allowed (issue 14).
MAX_SESSIONS_PER_NAMESPACE = 1_000
MAX_SESSION_RECORDS = 10_000
MAX_NAMESPACES = 1_000
MAX_FINDINGS = 1_000
MAX_TRACKED = 10_000
# Poll intervals kept per session for the median (the shortest is tracked over all of them).
MAX_INTERVALS = 32
# What one answer lists at most (the counts in `totals` cover everything).
SHOWN_SESSIONS = 1_000
SHOWN_FINDINGS = 1_000

COVERED = ("ACCESS_TOKEN", "IDMOBILE", "GET")
TOKEN_SCOPE, NO_SCOPE = "-", "(none)"
EXPIRED = "30"
RULES = ("poll-interval", "poll-after-final", "new-token-after-30", "backoff-after-5xx")


@dataclass(frozen=True)
class ReportRules:
    """The behaviour rules (serve options: docs/client-report.md). Seconds throughout;
    min_poll_interval 0 turns the poll-interval rule off."""

    min_poll_interval: float = DEFAULT_MIN_POLL_INTERVAL
    forbid_poll_after_final: bool = True
    require_new_token_after_30: bool = True
    require_backoff_after_5xx: bool = True
    min_backoff: float = DEFAULT_MIN_BACKOFF

    def as_json(self) -> dict[str, Any]:
        """The `rules` object of the report."""
        return {
            "min_poll_interval_s": self.min_poll_interval,
            "forbid_poll_after_final": self.forbid_poll_after_final,
            "require_new_token_after_30": self.require_new_token_after_30,
            "require_backoff_after_5xx": self.require_backoff_after_5xx,
            "min_backoff_s": self.min_backoff,
        }


@dataclass(frozen=True)
class Finding:
    """A broken rule: which, the session (id, or None), the journal seq numbers, a sentence."""

    rule: str
    session: str | None
    requests: tuple[int, ...]
    message: str
    namespace: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The finding as the report lists it."""
        return {
            "rule": self.rule,
            "namespace": self.namespace,
            "session": self.session,
            "requests": list(self.requests),
            "message": self.message,
        }


class SessionRecord:
    """One session's polling behaviour (times on the mock's clock, seqs are journal ids)."""

    __slots__ = (
        "after_final", "consent_at", "final", "final_error", "final_seq", "first_after_final",
        "first_poll_after_consent", "first_poll_at", "id", "intervals", "last_poll_at",
        "last_seq", "namespace", "operator", "polls", "scope", "short", "short_pair",
        "shortest", "started_at", "token",
    )  # fmt: skip

    def __init__(
        self, session_id: str, token: str, namespace: str, scope: str, operator: str, at: float
    ) -> None:
        self.id, self.token, self.namespace = session_id, token, namespace
        self.scope, self.operator, self.started_at = scope, operator, at
        self.consent_at: float | None = None
        self.first_poll_at: float | None = None
        self.first_poll_after_consent: float | None = None
        self.last_poll_at: float | None = None
        self.last_seq = 0
        self.polls = 0
        self.intervals = array("d")
        self.shortest: float | None = None
        self.short = 0
        self.short_pair: tuple[int, int] | None = None
        self.final: str | None = None
        self.final_error: str | None = None
        self.final_seq = 0
        self.after_final = 0
        self.first_after_final = 0

    def poll(self, seq: int, at: float, min_interval: float) -> None:
        """Count a /GET/ of this session at `at` (journal id `seq`). Intervals (shortest,
        median, short ones) are those of the polls up to the final answer: a poll after it
        counts in after_final only."""
        self.polls += 1
        if self.last_poll_at is None:
            self.first_poll_at = at
        elif self.final is None:  # a poll after the final answer is poll-after-final's
            gap = at - self.last_poll_at
            if self.shortest is None or gap < self.shortest:
                self.shortest = gap
            if len(self.intervals) < MAX_INTERVALS:
                self.intervals.append(gap)
            if gap < min_interval:
                self.short += 1
                if self.short_pair is None:
                    self.short_pair = (self.last_seq, seq)
        self.last_poll_at, self.last_seq = at, seq
        if self.consent_at is not None and self.first_poll_after_consent is None:
            self.first_poll_after_consent = at
        if self.final is not None:
            self.after_final += 1
            if not self.first_after_final:
                self.first_after_final = seq

    def as_json(self, iso: Callable[[float | None], str | None]) -> dict[str, Any]:
        """The session as the report lists it (`iso` maps clock times to UTC text)."""
        consent_to_poll = None
        if self.consent_at is not None and self.first_poll_after_consent is not None:
            consent_to_poll = _round(self.first_poll_after_consent - self.consent_at)
        return {
            "session": self.id,
            "token": self.token,
            "namespace": self.namespace,
            "scope": self.scope,
            "operator": self.operator,
            "started_at": iso(self.started_at),
            "consent_at": iso(self.consent_at),
            "first_poll_at": iso(self.first_poll_at),
            "polls": self.polls,
            "shortest_interval_s": _round(self.shortest),
            "median_interval_s": _round(statistics.median(self.intervals))
            if self.intervals
            else None,
            "short_intervals": self.short,
            "polls_after_final": self.after_final,
            "final": self.final,
            "final_error": self.final_error,
            "pending_left": self.final is None,
            "consent_to_first_poll_s": consent_to_poll,
        }


@dataclass
class FaultStats:
    """How one fault answered and how the client retried after it."""

    status: int = 0
    answered: int = 0
    retries: int = 0
    first_retry_after: float | None = None
    shortest_retry_after: float | None = None

    def retried(self, gap: float) -> None:
        """Count a retry `gap` seconds after the fault's answer."""
        self.retries += 1
        if self.first_retry_after is None:
            self.first_retry_after = gap
        if self.shortest_retry_after is None or gap < self.shortest_retry_after:
            self.shortest_retry_after = gap


@dataclass(frozen=True)
class OpenFault:
    """A request a fault failed, waiting for its retry."""

    fault: str
    seq: int
    at: float
    status: int
    endpoint: str
    session: str | None


@dataclass
class NamespaceCounts:
    """Everything counted for one namespace."""

    name: str
    requests: int = 0
    coverage: dict[tuple[str, str, str], int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)
    violations: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, SessionRecord] = field(default_factory=dict)  # by token, oldest first
    sessions_started: int = 0
    expired_uses: int = 0
    dead_tokens: dict[str, int] = field(default_factory=dict)  # token -> seq of its first 30
    faults: dict[str, FaultStats] = field(default_factory=dict)
    open_faults: dict[tuple[str, str], OpenFault] = field(default_factory=dict)
    findings: deque[Finding] = field(default_factory=lambda: deque(maxlen=MAX_FINDINGS))
    findings_seen: int = 0

    def add_finding(self, finding: Finding) -> None:
        """Keep a finding (the oldest kept goes past MAX_FINDINGS; all are counted)."""
        self.findings.append(finding)
        self.findings_seen += 1


def _bump(counts: dict[Any, int], key: Any, by: int = 1) -> None:
    counts[key] = counts.get(key, 0) + by


def _round(value: float | None) -> float | None:
    return None if value is None else round(max(value, 0.0), 6)


def _bounded_put(mapping: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    mapping.pop(key, None)
    mapping[key] = value
    while len(mapping) > limit:
        del mapping[next(iter(mapping))]


def outcome(entry: JournalEntry) -> str:
    """success, consent (a consent url), pending, or the error id answered."""
    if entry.error_id:
        return entry.error_id
    body = entry.response
    if isinstance(body, dict):
        if body.get("status") == "pending":
            return "pending"
        if "url" in body:
            return "consent"
    return "success"


def scopes_of(entry: JournalEntry) -> tuple[str, ...]:
    """The coverage keys of the entry's scope: `-` for /ACCESS_TOKEN/, each documented part
    of a combined scope, `(other)` for anything else and for a scope answered 04 (invalid
    scope: contract.scopes.coverage_scopes), `(none)` when absent."""
    if entry.endpoint == "ACCESS_TOKEN":
        return (TOKEN_SCOPE,)
    return coverage_scopes(entry.params.get("scope"), entry.error_id) or (NO_SCOPE,)


def violation_kind(entry: JournalEntry) -> str | None:
    """unknown-endpoint, http-<status>, request-rule, error-<id>; None for no violation
    (from what the entry holds already: the response's schema verdict is not computed)."""
    if entry.endpoint not in (*COVERED, "consent"):
        return "unknown-endpoint"
    if entry.http_layer:
        return f"http-{entry.status}"
    if entry.request_violations:
        return "request-rule"
    if entry.error_reason is not None and entry.fault is None:
        return f"error-{entry.error_id or entry.status}"
    return None


def _failed(entry: JournalEntry) -> bool:
    """Did the entry's fault fail the request (a 5xx, no answer, a cut answer)? A latency
    fault answers normally."""
    return entry.status == 0 or entry.status >= 500 or entry.response is None


def _retry_key(entry: JournalEntry) -> tuple[str, str]:
    """What makes a request the retry of another: the endpoint and the token (else licence)."""
    params = entry.params
    licence = params.get("licence") or params.get("Licence") or ""
    # A token request's entry carries the token it was answered: its retry is by licence.
    # A request a fault answered was not read (entry.token is None): its token parameter.
    token = entry.token or params.get("token")
    who = licence if entry.endpoint == "ACCESS_TOKEN" else token or licence
    return (entry.endpoint or "", who)


class ClientReport:
    """Counters per namespace and the findings of the behaviour rules.

    `session_of(token)`: the mock's current session of a token (SessionStore.by_token);
    `expired(token)`: is that token one the mock holds, and expired (as seen by its clock)?
    """

    def __init__(
        self,
        rules: ReportRules,
        session_of: Callable[[str], Session | None],
        expired: Callable[[str], bool],
        started_at: float = 0.0,
    ) -> None:
        self.rules = rules
        self._session_of = session_of
        self._expired = expired
        self._namespaces: dict[str, NamespaceCounts] = {}
        # Every session record, oldest first, to bound them across namespaces.
        self._order: dict[tuple[str, str], SessionRecord] = {}
        self._since = started_at
        self._reset_at: dict[str, float] = {}

    # -- the request path ---------------------------------------------------------------

    def observe(self, entry: JournalEntry) -> None:
        """Count one request: O(1) dict work (the notes and violations of the entry aside)."""
        ns = self._namespaces.get(entry.namespace)
        if ns is None:
            ns = self._new_namespace(entry.namespace)
        ns.requests += 1
        for note in entry.notes:
            _bump(ns.notes, note.id)
        kind = violation_kind(entry)
        if kind is not None:
            _bump(ns.violations, kind)
        if ns.open_faults:
            self._retry(ns, entry)
        if entry.fault is not None:
            self._faulted(ns, entry)
            return
        endpoint = entry.endpoint
        if endpoint in COVERED and entry.status in (200, 400):
            result = outcome(entry)
            for scope in scopes_of(entry):
                _bump(ns.coverage, (endpoint, scope, result))
        token = entry.token
        if token is None:
            return
        if entry.error_id == EXPIRED and endpoint in ("IDMOBILE", "GET"):
            self._thirty(ns, entry, token)
        elif endpoint == "IDMOBILE" and isinstance(entry.response, dict):
            if "url" in entry.response:
                self._started(ns, entry, token)
        elif endpoint == "GET":
            self._polled(ns, entry, token)
        elif endpoint == "consent":
            record = ns.sessions.get(token)
            if record is not None and record.consent_at is None:
                session = self._session_of(token)
                if session is not None and session.consented_at is not None:
                    record.consent_at = entry.at

    def _new_namespace(self, name: str) -> NamespaceCounts:
        ns = NamespaceCounts(name)
        _bounded_put(self._namespaces, name, ns, MAX_NAMESPACES)
        return ns

    def _started(self, ns: NamespaceCounts, entry: JournalEntry, token: str) -> None:
        session = self._session_of(token)
        if session is None:
            return
        record = SessionRecord(
            session.id, token, ns.name, session.scope, session.operator, entry.at
        )
        if session.consented_at is not None:  # consent given at once (an automatic step)
            record.consent_at = entry.at
        ns.sessions_started += 1
        old = ns.sessions.pop(token, None)
        if old is not None:
            self._order.pop((ns.name, token), None)
        ns.sessions[token] = record
        while len(ns.sessions) > MAX_SESSIONS_PER_NAMESPACE:
            # The namespace's oldest record goes from both maps: kept in _order, it outlived
            # its bound (100,000 records of one namespace, ~40 MB, in a 100k-session run).
            gone = next(iter(ns.sessions))
            del ns.sessions[gone]
            self._order.pop((ns.name, gone), None)
        self._order[(ns.name, token)] = record
        while len(self._order) > MAX_SESSION_RECORDS:
            (name, gone), victim = next(iter(self._order.items()))
            del self._order[(name, gone)]
            owner = self._namespaces.get(name)
            if owner is not None and owner.sessions.get(gone) is victim:
                del owner.sessions[gone]

    def _polled(self, ns: NamespaceCounts, entry: JournalEntry, token: str) -> None:
        record = ns.sessions.get(token)
        if record is None:
            return
        if record.consent_at is None:
            session = self._session_of(token)
            if session is not None and session.consented_at is not None:
                record.consent_at = entry.at
        record.poll(entry.id, entry.at, self.rules.min_poll_interval)
        if record.final is None and entry.status == 200:
            session = self._session_of(token)
            if session is not None and session.id == record.id and session.phase is Phase.DONE:
                record.final = "error" if entry.error_id else "success"
                record.final_error = entry.error_id
                record.final_seq = entry.id

    def _thirty(self, ns: NamespaceCounts, entry: JournalEntry, token: str) -> None:
        if self._expired(token):
            ns.expired_uses += 1
        first = ns.dead_tokens.get(token)
        if first is None:
            _bounded_put(ns.dead_tokens, token, entry.id, MAX_TRACKED)
            return
        if first < 0 or not self.rules.require_new_token_after_30:
            return  # already a finding: one per token
        ns.dead_tokens[token] = -first
        record = ns.sessions.get(token)
        ns.add_finding(
            Finding(
                "new-token-after-30",
                record.id if record else None,
                (first, entry.id),
                f"Token {token} was sent again to /{entry.endpoint}/ (request #{entry.id}) "
                f"after error 30 (invalid or expired token) on request #{first}: on error "
                "30, fetch a new token from /ACCESS_TOKEN/ instead of retrying with the old one.",
                ns.name,
            )
        )

    def _faulted(self, ns: NamespaceCounts, entry: JournalEntry) -> None:
        fault = entry.fault or ""
        stats = ns.faults.get(fault)
        if stats is None:
            stats = FaultStats(entry.status)
            _bounded_put(ns.faults, fault, stats, MAX_TRACKED)
        stats.answered += 1
        stats.status = entry.status
        if not _failed(entry):
            return
        record = ns.sessions.get(entry.token) if entry.token else None
        waiting = OpenFault(
            fault,
            entry.id,
            entry.at,
            entry.status,
            entry.endpoint or "",
            record.id if record else None,
        )
        _bounded_put(ns.open_faults, _retry_key(entry), waiting, MAX_TRACKED)

    def _retry(self, ns: NamespaceCounts, entry: JournalEntry) -> None:
        waiting = ns.open_faults.pop(_retry_key(entry), None)
        if waiting is None:
            return
        gap = entry.at - waiting.at
        stats = ns.faults.get(waiting.fault)
        if stats is not None:
            stats.retried(gap)
        rules = self.rules
        if waiting.status >= 500 and rules.require_backoff_after_5xx and gap < rules.min_backoff:
            ns.add_finding(
                Finding(
                    "backoff-after-5xx",
                    waiting.session,
                    (waiting.seq, entry.id),
                    f"/{waiting.endpoint}/ was retried {gap:.3g} s after the injected fault "
                    f"{waiting.fault} answered HTTP {waiting.status} (requests #{waiting.seq} "
                    f"and #{entry.id}): wait at least {rules.min_backoff:g} s before retrying "
                    "a 5xx, and back off further on each new failure.",
                    ns.name,
                )
            )

    # -- reading ------------------------------------------------------------------------

    def reset(self, namespace: str | None = None, at: float = 0.0) -> None:
        """Forget every counter (of one namespace, or all); counting starts again `at`."""
        if namespace is None:
            self._namespaces.clear()
            self._order.clear()
            self._reset_at.clear()
            self._since = at
            return
        ns = self._namespaces.pop(namespace, None)
        if ns is not None:
            for token in ns.sessions:
                self._order.pop((namespace, token), None)
        _bounded_put(self._reset_at, namespace, at, MAX_NAMESPACES)

    def namespaces(self) -> list[str]:
        """Namespaces with counters, in the order they were first counted."""
        return list(self._namespaces)

    def _chosen(self, namespace: str | None) -> list[NamespaceCounts]:
        if namespace is None:
            return list(self._namespaces.values())
        found = self._namespaces.get(namespace)
        return [found] if found is not None else []

    def findings(self, namespace: str | None = None) -> list[Finding]:
        """Every finding kept (of one namespace, or all): those recorded as requests came,
        then those read off the sessions and the faults still waiting for a retry."""
        found: list[Finding] = []
        for ns in self._chosen(namespace):
            found += ns.findings
            found += self._session_findings(ns)
            found += self._unretried(ns)
        return found

    def _session_findings(self, ns: NamespaceCounts) -> Iterator[Finding]:
        rules = self.rules
        for record in ns.sessions.values():
            if record.short and record.short_pair is not None and rules.min_poll_interval > 0:
                times = "once" if record.short == 1 else f"{record.short} times"
                first, then = record.short_pair
                yield Finding(
                    "poll-interval",
                    record.id,
                    record.short_pair,
                    f"Session {record.id} polled /GET/ sooner than {rules.min_poll_interval:g} "
                    f"s after the previous poll {times} (shortest {record.shortest or 0:.3g} "
                    f"s; first between requests #{first} and #{then}): wait at least "
                    f"{rules.min_poll_interval:g} s between two polls while the answer is "
                    "pending.",
                    ns.name,
                )
            if record.after_final and rules.forbid_poll_after_final:
                times = "once more" if record.after_final == 1 else f"{record.after_final} times"
                yield Finding(
                    "poll-after-final",
                    record.id,
                    (record.final_seq, record.first_after_final),
                    f"Session {record.id} polled /GET/ {times} after its final answer "
                    f"({record.final_error or 'success'}, request #{record.final_seq}; the "
                    f"first extra poll is request #{record.first_after_final}): stop polling "
                    "once /GET/ answers anything but pending.",
                    ns.name,
                )

    def _unretried(self, ns: NamespaceCounts) -> Iterator[Finding]:
        if not self.rules.require_backoff_after_5xx:
            return
        for waiting in ns.open_faults.values():
            if waiting.status >= 500:
                yield Finding(
                    "backoff-after-5xx",
                    waiting.session,
                    (waiting.seq,),
                    f"/{waiting.endpoint}/ was never retried after the injected fault "
                    f"{waiting.fault} answered HTTP {waiting.status} (request #{waiting.seq}): "
                    f"retry a 5xx at least once, after waiting at least "
                    f"{self.rules.min_backoff:g} s.",
                    ns.name,
                )

    def report(self, namespace: str | None, now: float, wall_now: float) -> dict[str, Any]:
        """The JSON answer of GET /__admin/report (schemas/admin/report.schema.json).

        `now`: the mock's clock; `wall_now`: the Unix time at that moment (clock times are
        written as UTC by their distance to `now`).
        """
        chosen = self._chosen(namespace)

        def iso(at: float | None) -> str | None:
            return None if at is None else _utc(wall_now - (now - at))

        coverage: dict[str, dict[str, dict[str, int]]] = {}
        notes: dict[str, int] = {}
        violations: dict[str, int] = {}
        faults: dict[str, FaultStats] = {}
        not_retried: dict[str, int] = {}
        for ns in chosen:
            for (endpoint, scope, result), count in ns.coverage.items():
                _bump(coverage.setdefault(endpoint, {}).setdefault(scope, {}), result, count)
            for kind, count in ns.notes.items():
                _bump(notes, kind, count)
            for kind, count in ns.violations.items():
                _bump(violations, kind, count)
            for fault_id, stats in ns.faults.items():
                _merge_fault(faults.setdefault(fault_id, FaultStats(stats.status)), stats)
            for waiting in ns.open_faults.values():
                _bump(not_retried, waiting.fault)
        records = self._records(namespace, chosen)
        findings = self.findings(namespace)
        dropped = sum(ns.findings_seen - len(ns.findings) for ns in chosen)
        since = self._since if namespace is None else self._reset_at.get(namespace, self._since)
        return {
            "namespace": namespace,
            "generated_at": _utc(wall_now),
            "since": iso(min(since, now)),
            "rules": self.rules.as_json(),
            "totals": {
                "requests": sum(ns.requests for ns in chosen),
                "sessions": sum(ns.sessions_started for ns in chosen),
                "findings": len(findings) + dropped,
                "sessions_left_pending": sum(1 for r in records if r.final is None),
                "sessions_listed": min(len(records), SHOWN_SESSIONS),
                "findings_listed": min(len(findings), SHOWN_FINDINGS),
            },
            "coverage": _sorted_coverage(coverage),
            "missing": missing(coverage),
            "conformance": {"notes": dict(sorted(notes.items())), "violations": violations},
            "sessions": [r.as_json(iso) for r in records[-SHOWN_SESSIONS:]],
            "tokens_used_after_expiry": sum(ns.expired_uses for ns in chosen),
            "fault_retries": [
                {
                    "fault": fault_id,
                    "status": stats.status,
                    "answered": stats.answered,
                    "retries": stats.retries,
                    "not_retried": not_retried.get(fault_id, 0),
                    "first_retry_after_s": _round(stats.first_retry_after),
                    "shortest_retry_after_s": _round(stats.shortest_retry_after),
                }
                for fault_id, stats in sorted(faults.items())
            ],
            "findings": [f.as_json() for f in findings[:SHOWN_FINDINGS]],
        }

    def _records(self, namespace: str | None, chosen: list[NamespaceCounts]) -> list[SessionRecord]:
        if namespace is not None:
            return [r for ns in chosen for r in ns.sessions.values()]
        return [
            r
            for (name, token), r in self._order.items()
            if (owner := self._namespaces.get(name)) is not None and owner.sessions.get(token) is r
        ]


def _merge_fault(into: FaultStats, other: FaultStats) -> None:
    into.answered += other.answered
    into.retries += other.retries
    for name in ("first_retry_after", "shortest_retry_after"):
        mine, theirs = getattr(into, name), getattr(other, name)
        if theirs is not None and (mine is None or theirs < mine):
            setattr(into, name, theirs)


def _sorted_coverage(
    coverage: Mapping[str, Mapping[str, Mapping[str, int]]],
) -> dict[str, dict[str, dict[str, int]]]:
    return {
        endpoint: {s: dict(sorted(by.items())) for s, by in sorted(coverage[endpoint].items())}
        for endpoint in COVERED
        if endpoint in coverage
    }


def missing(coverage: Mapping[str, Mapping[str, Mapping[str, int]]]) -> dict[str, list[str]]:
    """The documented single scopes never sent to /IDMOBILE/, and the documented error ids
    of the three endpoints never answered (catalogue order), given a report's coverage."""
    sent = set(coverage.get("IDMOBILE", {}))
    seen = {
        result
        for endpoint in COVERED
        for by in coverage.get(endpoint, {}).values()
        for result in by
    }
    documented: Iterable[str] = dict.fromkeys(
        e.id for e in catalogue().all() if any(e.allowed(endpoint) for endpoint in COVERED)
    )
    return {
        "scopes": [s for s in scope_names() if s not in sent],
        "error_ids": [i for i in documented if i not in seen],
    }


# The range a date-time can be written in (years 1 to 9999): a clock advanced by centuries
# (POST /__admin/clock/advance, many times) maps readings outside it; they are written as its
# ends rather than failing the whole report.
_EARLIEST, _LATEST = "0001-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z"


def _utc(seconds: float) -> str:
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        return _EARLIEST if seconds < 0 else _LATEST
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
