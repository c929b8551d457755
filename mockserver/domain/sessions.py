"""Sessions: one per token, from /IDMOBILE/ through consent and pending to a final answer."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from mockserver.domain.scenarios import Outcome

CONSENT_ERRORS = {"deny": "21", "wrong_otp": "20", "operator_failure": "18"}


class Phase(Enum):
    """Where a session is."""

    AWAITING_CONSENT = "awaiting_consent"
    AWAITING_OPERATOR = "awaiting_operator"
    DONE = "done"


@dataclass(frozen=True)
class Event:
    """One step of a session's timeline."""

    at: float
    kind: str
    detail: str = ""


@dataclass
class Session:
    """The state of one check."""

    id: str
    token: str
    licence: str
    scope: str
    number: str
    operator: str
    scenario_id: str
    outcome: Outcome
    subscriber: dict[str, Any]
    created_at: float
    partner: str = ""
    namespace: str = "default"
    code_name: str = ""
    redirect_uri: str | None = None
    user_infos: dict[str, Any] | None = None
    phase: Phase = Phase.AWAITING_CONSENT
    decision: str | None = None
    consented_at: float | None = None
    polls_after_consent: int = 0
    otp_attempts: int = 0
    final: dict[str, Any] | str | None = None
    events: list[Event] = field(default_factory=list)

    def record(self, at: float, kind: str, detail: str = "") -> None:
        """Append to the timeline."""
        self.events.append(Event(at, kind, detail))

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
        if self.decision in CONSENT_ERRORS:
            return CONSENT_ERRORS[self.decision]
        return self.outcome.result_error


class SessionStore:
    """Sessions by token and by id (the id is what the consent url carries)."""

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self._rng = _rng(seed)
        self._by_token: dict[str, Session] = {}
        self._by_id: dict[str, Session] = {}

    def new_id(self) -> str:
        """A fresh session id, reproducible from the seed."""
        return f"s{self._rng.getrandbits(96):024x}"

    def put(self, session: Session) -> None:
        """Store `session`; a later /IDMOBILE/ with the same token replaces the earlier one."""
        old = self._by_token.get(session.token)
        if old is not None:
            self._by_id.pop(old.id, None)
        self._by_token[session.token] = session
        self._by_id[session.id] = session

    def by_token(self, token: str) -> Session | None:
        """The current session of a token."""
        return self._by_token.get(token)

    def by_id(self, session_id: str) -> Session | None:
        """The session a consent url points at."""
        return self._by_id.get(session_id)

    def all(self) -> list[Session]:
        """Every session, oldest first."""
        return list(self._by_id.values())

    def drop_tokens(self, tokens: list[str]) -> None:
        """Forget the sessions of these tokens."""
        for token in tokens:
            session = self._by_token.pop(token, None)
            if session is not None:
                self._by_id.pop(session.id, None)

    def __len__(self) -> int:
        return len(self._by_id)

    def reset(self, namespace: str | None = None) -> None:
        """Forget every session (restarting the id generator), or one namespace's."""
        if namespace is not None:
            for session in [s for s in self._by_id.values() if s.namespace == namespace]:
                del self._by_id[session.id]
                if self._by_token.get(session.token) is session:
                    del self._by_token[session.token]
            return
        self._by_token.clear()
        self._by_id.clear()
        self._rng = _rng(self._seed)


def _rng(seed: int | None) -> random.Random:
    """A generator of its own for this store: seeded runs repeat, unseeded ones do not."""
    return random.Random(f"sessions:{seed}") if seed is not None else random.Random()
