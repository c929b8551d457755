"""Sessions: one per token, from /IDMOBILE/ through consent and pending to a final answer."""

from __future__ import annotations

import bisect
import itertools
import random
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from mockserver.contract.decisions import consent_errors
from mockserver.domain.scenarios import Outcome

# Sessions kept at most; past it, the one that finished first goes, else the oldest.
DEFAULT_MAX_SESSIONS = 100_000
# Replaced sessions remembered (for their consent url's explanation); past it the oldest goes,
# and its consent url answers as an unknown one. About 150 bytes each.
DEFAULT_MAX_REPLACED = 10_000
# Timeline events kept per session (a client may poll a pending session thousands of times).
MAX_EVENTS = 64


class Phase(Enum):
    """Where a session is."""

    AWAITING_CONSENT = "awaiting_consent"
    AWAITING_OPERATOR = "awaiting_operator"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class Event:
    """One step of a session's timeline."""

    at: float
    kind: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Replacement:
    """What is kept of a session a later /IDMOBILE/ with the same token replaced.

    `at` is the mock's clock reading of the replacing /IDMOBILE/; `by` the later session's id.
    """

    at: float
    by: str
    operator: str
    namespace: str


@dataclass(frozen=True, slots=True)
class Facts:
    """What a session shares with every other one of the same kind: one record, many sessions."""

    licence: str
    scope: str
    operator: str
    scenario_id: str
    outcome: Outcome
    subscriber: Mapping[str, Any]
    namespace: str


# Facts records kept for sharing, at most (past it, the oldest is no longer shared; the
# sessions that hold it keep it). Licences, scopes, operators, scenarios and namespaces are few.
MAX_SHARED_FACTS = 1024
_FACTS: dict[tuple[Any, ...], Facts] = {}


def shared_facts(
    licence: str,
    scope: str,
    operator: str,
    scenario_id: str,
    outcome: Outcome,
    subscriber: Mapping[str, Any],
    namespace: str,
) -> Facts:
    """The one Facts record of these values (outcome and subscriber by identity)."""
    # The cached record holds outcome and subscriber: their ids cannot be reused meanwhile.
    key = (licence, scope, operator, scenario_id, id(outcome), id(subscriber), namespace)
    found = _FACTS.get(key)
    if found is None:
        found = Facts(licence, scope, operator, scenario_id, outcome, subscriber, namespace)
        if len(_FACTS) >= MAX_SHARED_FACTS:
            del _FACTS[next(iter(_FACTS))]
        _FACTS[key] = found
    return found


class Session:
    """The state of one check.

    Compact, as a mock holds up to DEFAULT_MAX_SESSIONS of them: slotted; what repeats
    across sessions (licence, scope, operator, scenario, outcome, subscriber record,
    namespace) is one shared Facts record, read through properties; partner and code names
    are interned. The redirect_uri, mostly distinct per session, is kept as sent (not
    interned: interning a unique string costs an entry in the interpreter's table).
    `final` is the error id a finished session ends with (None on success: the success
    body is a pure function of what is kept, built on each /GET/, not stored).
    """

    __slots__ = (
        "code_name", "consented_at", "created_at", "decision", "facts", "final", "id", "later",
        "number", "otp_attempts", "partner", "phase", "polls_after_consent", "redirect_uri",
        "scores", "seq", "token",
    )  # fmt: skip

    def __init__(
        self,
        id: str,
        token: str,
        licence: str,
        scope: str,
        number: str,
        operator: str,
        scenario_id: str,
        outcome: Outcome,
        subscriber: Mapping[str, Any],
        created_at: float,
        partner: str = "",
        namespace: str = "default",
        code_name: str = "",
        redirect_uri: str | None = None,
        scores: bytes | None = None,
    ) -> None:
        self.id, self.token, self.number, self.created_at = id, token, number, created_at
        self.facts = shared_facts(
            sys.intern(licence), sys.intern(scope), sys.intern(operator),
            sys.intern(scenario_id), outcome, subscriber, sys.intern(namespace),
        )  # fmt: skip
        # Partners send a few names and codes: one copy each, not one per session.
        self.partner, self.code_name = sys.intern(partner), sys.intern(code_name)
        self.redirect_uri = redirect_uri
        # The matching scores computed at initiation (scoring.pack), not the user_infos sent.
        self.scores = scores
        self.phase = Phase.AWAITING_CONSENT
        self.decision: str | None = None
        self.consented_at: float | None = None
        self.polls_after_consent = 0
        self.otp_attempts = 0
        self.final: str | None = None
        # After the initiate event (implicit: created_at, scope, scenario); a tuple, so a
        # session without any costs nothing. At most MAX_EVENTS in all: past it, the latest
        # replaces the last kept (the first ones and the latest stay).
        self.later: tuple[Event, ...] = ()
        self.seq = 0  # the store's order of arrival (the admin listing's cursor)

    @property
    def licence(self) -> str:
        """The licence code the session was opened with."""
        return self.facts.licence

    @property
    def scope(self) -> str:
        """The session's scope (matching_notp with consent is kept as matching)."""
        return self.facts.scope

    @property
    def operator(self) -> str:
        """The number's operator."""
        return self.facts.operator

    @property
    def scenario_id(self) -> str:
        """The scenario that answers the session."""
        return self.facts.scenario_id

    @property
    def outcome(self) -> Outcome:
        """What the scenario decides for the session's scope."""
        return self.facts.outcome

    @property
    def subscriber(self) -> Mapping[str, Any]:
        """The operator's record of the line (shared with the scenario, never changed)."""
        return self.facts.subscriber

    @property
    def namespace(self) -> str:
        """The namespace the session belongs to."""
        return self.facts.namespace

    @property
    def events(self) -> tuple[Event, ...]:
        """The timeline: initiate, then consent, visits, codes, polls, done (at most MAX_EVENTS)."""
        opened = Event(
            self.created_at, "initiate", f"scope={self.scope} scenario={self.scenario_id}"
        )
        return (opened, *self.later)

    def record(self, at: float, kind: str, detail: str = "") -> None:
        """Add to the timeline (past MAX_EVENTS, in place of the last one kept)."""
        kept = self.later if len(self.later) < MAX_EVENTS - 1 else self.later[:-1]
        self.later = (*kept, Event(at, kind, detail))

    def complete_consent(self, decision: str, now: float) -> None:
        """The user finished the consent step with `decision` (never twice)."""
        if self.phase is not Phase.AWAITING_CONSENT:
            return
        self.decision = decision
        self.consented_at = now
        self.phase = Phase.AWAITING_OPERATOR
        self.record(now, "consent", decision)

    @property
    def redirect_status(self) -> str:
        """The status added to redirect_uri: success only when the user approved."""
        return "success" if self.decision == "approve" else "error"

    def still_pending(self, now: float) -> bool:
        """Count one poll and say whether the operator is still working."""
        if self.phase is Phase.DONE:
            return False
        if self.phase is Phase.AWAITING_CONSENT or self.consented_at is None:
            return True
        self.polls_after_consent += 1
        pending = self.outcome.pending
        if self.polls_after_consent <= pending.polls:
            return True
        return now - self.consented_at < pending.seconds

    def final_error(self) -> str | None:
        """The error id this session ends with, if it ends with one."""
        consent_error = consent_errors().get(self.decision or "")  # x-dqe-error-by-decision
        return consent_error if consent_error is not None else self.outcome.result_error


class SessionStore:
    """Sessions by token and by id (the id is what the consent url carries), at most `limit`.

    Past `limit` sessions, storing one forgets another: the session that finished (answered
    its final /GET/) first, else the oldest one. Iteration is oldest first.
    """

    def __init__(
        self,
        seed: int | None = None,
        limit: int = DEFAULT_MAX_SESSIONS,
        replaced_limit: int = DEFAULT_MAX_REPLACED,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be 1 or more, not {limit}")
        self.limit = limit
        self.replaced_limit = replaced_limit
        # Ids of replaced sessions, oldest first, at most replaced_limit.
        self._replaced: dict[str, Replacement] = {}
        self._seed = seed
        self._rng = _rng(seed)
        self._seq = itertools.count(1)  # never restarts: a cursor stays valid across resets
        self._by_token: dict[str, Session] = {}
        self._by_id: dict[str, Session] = {}  # in order of arrival
        self._finished: dict[str, None] = {}  # ids, in order of finishing
        self.evicted = 0

    def new_id(self) -> str:
        """A fresh session id, reproducible from the seed."""
        return f"s{self._rng.getrandbits(96):024x}"

    def put(self, session: Session) -> Session | None:
        """Store `session`; a later /IDMOBILE/ with the same token replaces the earlier one,
        which is returned (None when there was none) and remembered by id (replaced()).

        Then, past `limit`, forget the first finished session, else the oldest.
        """
        old = self._by_token.get(session.token)
        if old is not None and old is not session:
            self._forget(old)
            self._remember_replaced(old, session)
        else:
            old = None
        session.seq = next(self._seq)
        self.evicted += self._hold(session.token, session)
        return old

    def _hold(self, token: str, session: Session) -> int:
        """Store `session` as `token`'s; past `limit`, forget the first finished session,
        else the oldest; how many were forgotten."""
        self._by_token[token] = session
        self._by_id[session.id] = session
        if session.phase is Phase.DONE:
            self._finished[session.id] = None
        forgotten = 0
        while len(self._by_id) > self.limit:
            victim = next(iter(self._finished), None) or next(iter(self._by_id))
            self._forget(self._by_id[victim])
            forgotten += 1
        return forgotten

    def _remember_replaced(self, old: Session, new: Session) -> None:
        self._replaced[old.id] = Replacement(new.created_at, new.id, old.operator, old.namespace)
        while len(self._replaced) > self.replaced_limit:
            del self._replaced[next(iter(self._replaced))]

    def install(self, token: str, session: Session | None) -> None:
        """Hold `session` as the current session of `token` (None: the token has none), as a
        shared store (mockserver/store/) read it: no replacement is remembered, the session's
        `seq` is kept as read, and the limit applies as in put()."""
        old = self._by_token.get(token)
        if old is not None and old is not session:
            self._forget(old)
        if session is None:
            return
        stale = self._by_id.get(session.id)
        if stale is not None and stale is not session:
            self._forget(stale)
        self._hold(token, session)  # a working copy: what it forgets is not counted evicted

    def forget_id(self, session_id: str) -> None:
        """Drop the copy of session `session_id`, if held (a shared store no longer has it)."""
        session = self._by_id.get(session_id)
        if session is not None:
            self._forget(session)

    def install_replaced(self, session_id: str, replacement: Replacement | None) -> None:
        """Hold (or forget) what is kept of a replaced session, as a shared store read it."""
        if replacement is None:
            self._replaced.pop(session_id, None)
            return
        self._replaced[session_id] = replacement
        while len(self._replaced) > self.replaced_limit:
            del self._replaced[next(iter(self._replaced))]

    def reseed(self, salt: str, next_seq: int) -> None:
        """The next session's id is drawn from (seed, salt) (as TokenStore.reseed) and its
        `seq` is `next_seq`: a shared store hands both out once, across processes."""
        if self._seed is not None:
            self._rng = random.Random(f"sessions:{self._seed}:{salt}")
        self._seq = itertools.count(next_seq)

    def replaced(self, session_id: str) -> Replacement | None:
        """How the session of a consent url was replaced, if it was (and is still remembered:
        the latest `replaced_limit` replacements are, until a reset)."""
        return self._replaced.get(session_id)

    def finished(self, session: Session) -> None:
        """Note that `session` has its final answer (it goes first when room is needed)."""
        if self._by_id.get(session.id) is session:
            self._finished[session.id] = None

    def _forget(self, session: Session) -> None:
        self._by_id.pop(session.id, None)
        self._finished.pop(session.id, None)
        if self._by_token.get(session.token) is session:
            del self._by_token[session.token]

    def by_token(self, token: str) -> Session | None:
        """The current session of a token."""
        return self._by_token.get(token)

    def by_id(self, session_id: str) -> Session | None:
        """The session a consent url points at."""
        return self._by_id.get(session_id)

    def all(self) -> list[Session]:
        """Every session, oldest first."""
        return list(self._by_id.values())

    def page(
        self, after: int = 0, limit: int = 100, namespace: str | None = None
    ) -> tuple[list[Session], int | None]:
        """Up to `limit` sessions that arrived after cursor `after` (of `namespace`), oldest
        first, and the cursor of the next page (None on the last page).

        Cursors are arrival numbers (Session.seq): pages never repeat or skip a session that
        stays stored, whatever arrives or is forgotten between two calls.
        """
        ordered = list(self._by_id.values())  # seq increases along arrival order
        start = bisect.bisect_right(ordered, after, key=lambda s: s.seq)
        found: list[Session] = []
        for session in itertools.islice(ordered, start, None):
            if namespace is None or session.namespace == namespace:
                if len(found) == limit:
                    return found, found[-1].seq
                found.append(session)
        return found, None

    def drop_tokens(self, tokens: list[str]) -> None:
        """Forget the sessions of these tokens."""
        for token in tokens:
            session = self._by_token.get(token)
            if session is not None:
                self._forget(session)

    def __len__(self) -> int:
        return len(self._by_id)

    def reset(self, namespace: str | None = None) -> None:
        """Forget every session (restarting the id generator), or one namespace's."""
        if namespace is not None:
            for session in [s for s in self._by_id.values() if s.namespace == namespace]:
                self._forget(session)
            for gone in [i for i, r in self._replaced.items() if r.namespace == namespace]:
                del self._replaced[gone]
            return
        self._replaced.clear()
        self._by_token.clear()
        self._by_id.clear()
        self._finished.clear()
        self._rng = _rng(self._seed)


def _rng(seed: int | None) -> random.Random:
    """A generator of its own for this store: seeded runs repeat, unseeded ones do not."""
    return random.Random(f"sessions:{seed}") if seed is not None else random.Random()
