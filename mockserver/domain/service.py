"""ID Mobile's behaviour: token, initiation, consent and retrieval, over plain parameters.

Handlers decode HTTP into a parameter mapping and call these methods; every documented
error is raised as DqeError and rendered once, by the HTTP layer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mockserver.contract import strictjson
from mockserver.contract.conformance import Note
from mockserver.contract.errors import DqeError
from mockserver.contract.schemas import ViolationSet, contract
from mockserver.contract.scopes import direct_scopes, needs_user_infos, retrieval_scope
from mockserver.domain import bodies, phones
from mockserver.domain.client_report import ClientReport, ReportRules
from mockserver.domain.clock import Clock
from mockserver.domain.consent import ConsentDesk, ConsentStep, Replaced
from mockserver.domain.faults import FaultBook, FaultTarget
from mockserver.domain.journal import Journal
from mockserver.domain.registry import DEFAULT_NAMESPACE, ScenarioRegistry, valid_namespace
from mockserver.domain.rules import Attempt, first_broken_rule, licence_of
from mockserver.domain.scenarios import DEFAULT_TOKEN_TTL, ScenarioSet
from mockserver.domain.scoring import compute_scores, pack
from mockserver.domain.sessions import Phase, Session, SessionStore
from mockserver.domain.tokens import TokenStore

_T = TypeVar("_T")

# Expired tokens and their sessions are kept an hour (of the mock's clock) for the admin API's
# timelines, then forgotten; the check runs once every PRUNE_EVERY tokens issued.
RETENTION = 3600.0
PRUNE_EVERY = 256


@dataclass
class MockState:
    """Everything mutable the mock holds; each part can be reset, globally or per namespace."""

    registry: ScenarioRegistry
    tokens: TokenStore
    sessions: SessionStore
    clock: Clock
    journal: Journal = field(default_factory=Journal)
    faults: FaultBook = field(default_factory=FaultBook)
    default_ttl: int = DEFAULT_TOKEN_TTL
    report_rules: ReportRules = field(default_factory=ReportRules)
    # The client report's counters (GET /__admin/report), fed by the journal middleware.
    report: ClientReport = field(init=False, repr=False)
    _issued: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self.report = ClientReport(
            self.report_rules, self.sessions.by_token, self.token_expired, self.clock.now()
        )

    def token_expired(self, token: str) -> bool:
        """Is `token` one the mock holds, and expired (as its own clock sees it)?"""
        found = self.tokens.get(token)
        return found is not None and not found.valid_at(self.clock.now(token))

    @property
    def scenarios(self) -> ScenarioSet:
        """The scenarios loaded from files (without any namespace's runtime additions)."""
        return self.registry.base

    def forget_expired(self, now: float) -> None:
        """Drop tokens (and their sessions) that expired over RETENTION seconds ago.

        A long-lived shared mock would otherwise grow with every token; an old token answers
        30 either way. Checked every PRUNE_EVERY tokens, so it costs nothing per request.
        """
        self._issued += 1
        if self._issued % PRUNE_EVERY:
            return
        self.forget_tokens(self.tokens.prune(now - RETENTION))

    def forget_tokens(self, tokens: list[str]) -> None:
        """Forget the sessions and clock offsets of tokens the token store let go."""
        self.sessions.drop_tokens(tokens)
        for token in tokens:
            self.clock.forget(token)

    def reset(self, namespace: str | None = None, runtime: bool = True) -> None:
        """Forget tokens, sessions, journal, report counters and (unless not `runtime`)
        runtime scenarios (of one namespace, or all).

        A global reset also rewinds the clock; loaded files stay loaded. A shared store resets
        its process's copy with runtime=False: its runtime scenarios follow the store's own
        versions (mockserver/store/redis.py).
        """
        for token in self.tokens.reset(namespace):
            self.clock.forget(token)
        self.sessions.reset(namespace)
        self.journal.reset(namespace)
        if runtime:
            self.registry.reset(namespace)
        self.faults.reset(namespace)
        if namespace is None:
            self.clock.reset()
        self.report.reset(namespace, self.clock.now())


@dataclass
class Call:
    """One request's context: its namespace going in; what it touched coming out (journal)."""

    namespace_hint: str | None = None
    namespace: str = DEFAULT_NAMESPACE
    scenario_id: str | None = None
    token: str | None = None
    fault: str | None = None
    request_violations: tuple[str, ...] = ()
    # Why an error was answered (set where a DqeError is rendered), and what the request's
    # decoding accepted leniently (set by the DQE handlers): for the journal.
    error_reason: str | None = None
    notes: tuple[Note, ...] = ()

    def settle(self, licence: str) -> None:
        """The namespace: the X-Dqe-Namespace header if sent, else the licence code."""
        by_licence = licence if valid_namespace(licence) else None  # a licence can be anything
        self.namespace = self.namespace_hint or by_licence or DEFAULT_NAMESPACE


def parse_params(raw: Mapping[str, str]) -> dict[str, Any]:
    """Request parameters with user_infos decoded from JSON (left as text if it is not JSON)."""
    params: dict[str, Any] = dict(raw)
    text = params.get("user_infos")
    if isinstance(text, str) and not text.strip():
        params["user_infos"] = ""  # blank counts as empty (05 where it is mandatory)
    elif isinstance(text, str):
        with contextlib.suppress(ValueError, RecursionError):  # NaN, Infinity: not JSON (06)
            params["user_infos"] = strictjson.loads(text)
    return params


class IdMobile:
    """The mock's behaviour for the three documented endpoints and the consent step."""

    def __init__(self, state: MockState) -> None:
        self.state = state
        self.consents = ConsentDesk(state.sessions, state.tokens, state.clock)

    def _judge(
        self,
        endpoint: str,
        params: Mapping[str, Any],
        call: Call,
        raw: Mapping[str, str] | None = None,
    ) -> Attempt:
        """Check `params` against every rule of `endpoint`, in the catalogue's order.

        Raises the DqeError of the first broken rule (rules.first_broken); returns the
        attempt, whose lookups the answer then reuses.
        """
        schema = contract().validate_request(endpoint, params, raw)
        call.settle(licence_of(params))
        call.request_violations += tuple(v.explain() for v in schema.violations)
        if "token" in params:
            call.token = str(params["token"])
        attempt = self._attempt(params, schema, call)
        broken = first_broken_rule(endpoint, attempt)
        call.scenario_id = attempt.known_scenario_id
        if broken is not None:
            rule, error = broken
            if rule.request:  # the schema's own violations are already the call's
                call.request_violations += (f"{rule.name}: {error.reason}",)
            raise error
        return attempt

    def _attempt(self, params: Mapping[str, Any], schema: ViolationSet, call: Call) -> Attempt:
        """What the mock holds for `params`, in the call's namespace, looked up lazily."""
        return Attempt(
            params,
            schema,
            self._view(call),
            self.state.tokens,
            self.state.sessions,
            call.namespace,
            self.state.clock.now,
        )

    def _view(self, call: Call) -> ScenarioSet:
        return self.state.registry.view(call.namespace)

    def fault_target(
        self, endpoint: str, raw: Mapping[str, str], call: Call, session_id: str | None = None
    ) -> FaultTarget:
        """What a request is about (licence, number, scenario), for choosing a fault.

        Settles the call's namespace as the request itself would; never raises.
        """
        session = None
        if session_id is not None:
            session = self.state.sessions.by_id(session_id)
        elif endpoint == "GET" and "token" in raw:
            session = self.state.sessions.by_token(str(raw["token"]))
        if session is not None:
            call.namespace = session.namespace
            return FaultTarget(endpoint, session.licence, session.number, session.scenario_id)
        licence = licence_of(raw)
        call.settle(licence)
        if endpoint != "IDMOBILE" or "number" not in raw or "scope" not in raw:
            return FaultTarget(endpoint, licence)  # no number (or scope) to find a scenario by
        attempt = self._attempt(raw, ViolationSet(endpoint, ()), call)
        number, found = attempt.number, attempt.scenario  # as the request itself looks them up
        e164 = number.e164 if isinstance(number, phones.PhoneNumber) else None
        return FaultTarget(endpoint, licence, e164, found.id if found else None)

    def issue_token(self, raw: Mapping[str, str], call: Call | None = None) -> dict[str, str]:
        """/ACCESS_TOKEN/: a Bearer token for a known licence and its client secret."""
        call = call or Call()
        licence = _found(self._judge("ACCESS_TOKEN", raw, call).licence)
        ttl = licence.token_ttl or self.state.default_ttl
        now = self.state.clock.now()
        token, refresh, evicted = self.state.tokens.issue(licence.licence, now, ttl, call.namespace)
        self.state.forget_tokens(evicted)
        call.token = token.value
        self.state.forget_expired(now)
        return bodies.token_body(token.value, refresh, token.ttl)

    def initiate(
        self,
        raw: Mapping[str, str],
        consent_url: Callable[[Session], str],
        call: Call | None = None,
    ) -> dict[str, Any]:
        """/IDMOBILE/: scores for matching_notp, or a consent url for every other scope."""
        call = call or Call()
        params = parse_params(raw)
        attempt = self._judge("IDMOBILE", params, call, raw)
        scope = attempt.scope
        scenario = _found(attempt.scenario)
        outcome = scenario.outcome_for(scope)
        infos = params.get("user_infos")
        user_infos = infos if isinstance(infos, dict) else None
        if scope in direct_scopes() and not outcome.consent_required:
            return bodies.scores(user_infos, scenario.subscriber, outcome.scores)
        operator = _found(attempt.operator).name
        session = self._open_session(params, attempt, retrieval_scope(scope), operator, call)
        if needs_user_infos(session.scope):
            # A pure function of what is known now: kept as 9 bytes, not user_infos.
            session.scores = pack(compute_scores(user_infos or {}, session.subscriber))
        return bodies.consent_body(operator, consent_url(session))

    def _open_session(
        self, params: Mapping[str, Any], attempt: Attempt, scope: str, operator: str, call: Call
    ) -> Session:
        token = _found(attempt.token).value  # the store's copy: a session shares it
        scenario = _found(attempt.scenario)
        number = attempt.number
        assert isinstance(number, phones.PhoneNumber)  # rule number_unparsed otherwise
        now = self.state.clock.now(token)
        outcome = scenario.outcome_for(scope)
        redirect = params.get("redirect_uri")  # absent, or a URI the rules checked
        session = Session(
            id=self.state.sessions.new_id(),
            token=token,
            licence=_found(attempt.licence).licence,
            scope=scope,
            number=number.e164,
            operator=operator,
            scenario_id=scenario.id,
            outcome=outcome,
            subscriber=scenario.subscriber,  # shared, never changed: no copy per session
            created_at=now,
            partner=str(params["name"]),  # required: the request rule answered 01 otherwise
            namespace=call.namespace,
            code_name=str(params.get("code_name", "")),
            redirect_uri=str(redirect) if redirect else None,
        )
        replaced = self.state.sessions.put(session)
        if replaced is not None:
            session.record(
                now,
                "replace",
                f"replaces session {replaced.id} (initiated at "
                f"{self.state.clock.utc(replaced.created_at)}), whose consent url now answers "
                "410 Gone",
            )
        if outcome.consent.auto and outcome.consent.decision != "abandon":
            session.complete_consent(outcome.consent.decision, now)
        return session

    def retrieve(self, raw: Mapping[str, str], call: Call | None = None) -> dict[str, Any]:
        """/GET/: pending, then the result or error; a finished session stays finished."""
        call = call or Call()
        session = _found(self._judge("GET", raw, call).session)
        call.scenario_id = session.scenario_id
        now = self.state.clock.now(session.token)
        if session.still_pending(now):
            session.record(now, "poll", "pending")
            return bodies.pending_body(session.scope)
        return self._finish(session, now)

    def _finish(self, session: Session, now: float) -> dict[str, Any]:
        if session.phase is not Phase.DONE:
            session.final = session.final_error()
            session.phase = Phase.DONE
            session.record(now, "done", session.final or "success")
            self.state.sessions.finished(session)
        if session.final is not None:
            raise DqeError(session.final, operator=session.operator, scope=session.scope)
        # A pure function of what the session keeps: the same body on every /GET/.
        return bodies.get_success(session)

    def consent_view(self, session_id: str) -> ConsentStep | None:
        """What the consent page shows now, without acting; None for an unknown session."""
        return self.consents.view(session_id)

    def consent_replaced(self, session_id: str) -> Replaced | None:
        """Why a consent url has no session, when a later /IDMOBILE/ replaced it."""
        return self.consents.replaced(session_id)

    def consent(
        self, session_id: str, decision: str | None = None, otp: str | None = None
    ) -> ConsentStep | None:
        """The user's answer on the consent url; None for an unknown session."""
        return self.consents.answer(session_id, decision, otp)


def _found(value: _T | None) -> _T:
    """A lookup the rules have already required (first_broken answered otherwise)."""
    assert value is not None  # a rule of errors.json's precedence refused it otherwise
    return value
