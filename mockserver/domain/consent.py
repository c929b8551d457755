"""The operator's consent step: what the page shows, and what the user's answer does."""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.contract.scopes import asks_for_code
from mockserver.domain.clock import Clock
from mockserver.domain.sessions import Phase, Session, SessionStore
from mockserver.domain.tokens import TokenStore
from mockserver.domain.urls import with_params


@dataclass(frozen=True)
class ConsentStep:
    """What the operator's consent endpoint shows or where it sends the browser.

    redirect_to is the partner's redirect_uri with token and status once consent is over (a
    POST redirects there; the page links to it). The form is open while neither completed
    nor expired; show_otp_field is False for numVerify (the operator detects the line).
    """

    session: Session
    completed: bool
    redirect_to: str | None
    message: str
    expired: bool = False
    error: bool = False
    show_otp_field: bool = False
    expected_code: str | None = None
    attempts_left: int = 0


@dataclass(frozen=True)
class Replaced:
    """A consent url whose session a later /IDMOBILE/ with the same token replaced.

    `explanation` is the sentence the page shows (and the POST answers): what happened, at
    what time (`HH:MM:SS UTC` of the mock's clock).
    """

    operator: str
    at_utc: str
    explanation: str


def redirect_url(uri: str, token: str, status: str) -> str:
    """redirect_uri (checked by urls.check_redirect_uri) byte for byte, token and status added.

    The partner's own token or status parameters are replaced; a fragment stays last.
    """
    return with_params(uri, [("token", token), ("status", status)])


class ConsentDesk:
    """The consent url's behaviour over the session and token stores."""

    def __init__(self, sessions: SessionStore, tokens: TokenStore, clock: Clock) -> None:
        self.sessions = sessions
        self.tokens = tokens
        self.clock = clock

    def view(self, session_id: str) -> ConsentStep | None:
        """What the consent page shows now, without acting; None for an unknown session."""
        session = self.sessions.by_id(session_id)
        if session is None:
            return None
        if session.phase is not Phase.AWAITING_CONSENT:
            return self._finished(session)
        if self._expired(session):
            return self._open(session, "This request has expired.", expired=True)
        return self._open(session, "")

    def answer(
        self, session_id: str, decision: str | None = None, otp: str | None = None
    ) -> ConsentStep | None:
        """The user's answer on the consent url; None for an unknown session.

        No decision: the scenario's user acts (right code, the scenario's decision); a code
        sent without a decision is checked when that decision accepts. approve with a wrong
        otp costs an attempt until max_attempts (then wrong_otp); with the right one (or none)
        it is approve, or operator_failure when the scenario says so. deny, and the other
        decisions an API client may post, apply as they are.
        """
        session = self.sessions.by_id(session_id)
        if session is None:
            return None
        if session.phase is Phase.AWAITING_CONSENT:
            if self._expired(session):
                return self._open(session, "This request has expired.", expired=True)
            now = self.clock.now(session.token)
            chosen = self._decision(session, decision, otp, now)
            if isinstance(chosen, ConsentStep):
                return chosen
            if chosen == "abandon":
                session.record(now, "visit", "abandoned")
                return self._open(session, "The user left without answering.")
            session.complete_consent(chosen, now)
        return self._finished(session)

    def replaced(self, session_id: str) -> Replaced | None:
        """Why a consent url no longer has a session, when a later /IDMOBILE/ with the same
        token replaced it (docs/contract-notes.md, "Tokens and sessions"); None otherwise."""
        found = self.sessions.replaced(session_id)
        if found is None:
            return None
        at = self.clock.utc(found.at)
        return Replaced(
            found.operator,
            at,
            "This consent link was replaced by a later initiation with the same token at "
            f"{at}: a second /IDMOBILE/ with a token starts a new session and ends the "
            "earlier one. Open the consent url of the latest /IDMOBILE/ answer.",
        )

    def _decision(
        self, session: Session, decision: str | None, otp: str | None, now: float
    ) -> str | ConsentStep:
        """The decision an answer leads to, or the page again after a wrong or missing code."""
        scripted = session.outcome.consent
        if decision is None:
            if otp is None or scripted.decision not in ("approve", "operator_failure"):
                return scripted.decision
            decision = "approve"
        if decision != "approve":
            return decision
        if not asks_for_code(session.scope):
            # numVerify: the operator detects the line; the scenario says if the check fails.
            failing = scripted.decision in ("wrong_otp", "operator_failure")
            return scripted.decision if failing else "approve"
        if otp is not None and not otp.strip():
            return self._open(session, "Enter the code sent by SMS.", error=True)
        if otp is not None and otp.strip() != scripted.otp:
            session.otp_attempts += 1
            session.record(now, "otp", f"wrong code ({session.otp_attempts})")
            left = scripted.max_attempts - session.otp_attempts
            if left > 0:
                tries = "try" if left == 1 else "tries"
                return self._open(session, f"Wrong code, {left} {tries} left.", error=True)
            return "wrong_otp"
        return "operator_failure" if scripted.decision == "operator_failure" else "approve"

    def _expired(self, session: Session) -> bool:
        token = self.tokens.get(session.token)
        return token is None or not token.valid_at(self.clock.now(session.token))

    def _open(
        self, session: Session, message: str, *, expired: bool = False, error: bool = False
    ) -> ConsentStep:
        """The page with its form (or, expired, without one)."""
        consent = session.outcome.consent
        asks = asks_for_code(session.scope)
        if not message:
            message = "Enter the code sent by SMS." if asks else "Confirm it is your line."
        return ConsentStep(
            session,
            completed=False,
            redirect_to=None,
            message=message,
            expired=expired,
            error=error or expired,
            show_otp_field=asks and not expired,
            expected_code=consent.otp if asks else None,
            attempts_left=max(consent.max_attempts - session.otp_attempts, 0),
        )

    def _finished(self, session: Session) -> ConsentStep:
        target = (
            redirect_url(session.redirect_uri, session.token, session.redirect_status)
            if session.redirect_uri
            else None
        )
        return ConsentStep(session, True, target, f"Consent finished: {session.redirect_status}.")
