"""ID Mobile's behaviour: token, initiation, consent and retrieval, over plain parameters.

Handlers decode HTTP into a parameter mapping and call these methods; every documented
error is raised as DqeError and rendered once, by the HTTP layer.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.contract.errors import DqeError, split_scope
from mockserver.contract.schemas import contract
from mockserver.domain import bodies, phones
from mockserver.domain.clock import Clock
from mockserver.domain.consent import ConsentDesk, ConsentStep
from mockserver.domain.faults import FaultBook, FaultTarget
from mockserver.domain.journal import Journal
from mockserver.domain.registry import DEFAULT_NAMESPACE, ScenarioRegistry, valid_namespace
from mockserver.domain.scenarios import DEFAULT_TOKEN_TTL, Licence, Scenario, ScenarioSet
from mockserver.domain.scoring import compute_scores, pack
from mockserver.domain.sessions import Phase, Session, SessionStore
from mockserver.domain.tokens import TokenStore
from mockserver.domain.urls import UrlError, check_redirect_uri

USER_INFOS_SCOPES = ("matching_notp", "matching")
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
    _issued: int = field(default=0, init=False, repr=False)

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

    def reset(self, namespace: str | None = None) -> None:
        """Forget tokens, sessions, journal and runtime scenarios (of one namespace, or all).

        A global reset also rewinds the clock; loaded files stay loaded.
        """
        for token in self.tokens.reset(namespace):
            self.clock.forget(token)
        self.sessions.reset(namespace)
        self.journal.reset(namespace)
        self.registry.reset(namespace)
        self.faults.reset(namespace)
        if namespace is None:
            self.clock.reset()


@dataclass
class Call:
    """One request's context: its namespace going in; what it touched coming out (journal)."""

    namespace_hint: str | None = None
    namespace: str = DEFAULT_NAMESPACE
    scenario_id: str | None = None
    token: str | None = None
    fault: str | None = None
    request_violations: tuple[str, ...] = ()

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
        with contextlib.suppress(ValueError, RecursionError):
            params["user_infos"] = json.loads(text)
    return params


def licence_of(params: Mapping[str, Any]) -> str:
    """The licence code, spelt licence or Licence (the docs use both)."""
    value = params.get("licence", params.get("Licence", ""))
    return value if isinstance(value, str) else ""


def same_scope(left: str, right: str) -> bool:
    """Scopes are equal, combined ones in any order."""
    return sorted(split_scope(left)) == sorted(split_scope(right))


class IdMobile:
    """The mock's behaviour for the three documented endpoints and the consent step."""

    def __init__(self, state: MockState) -> None:
        self.state = state
        self.consents = ConsentDesk(state.sessions, state.tokens, state.clock)

    def _validate(self, endpoint: str, params: Mapping[str, Any], call: Call) -> None:
        violations = contract().validate_request(endpoint, params)
        call.settle(licence_of(params))
        call.request_violations += tuple(v.explain() for v in violations.violations)
        error_id = violations.error_id
        if error_id is not None:
            scope = params.get("scope")
            raise DqeError(
                error_id,
                reason=violations.summary(),
                scope=scope if isinstance(scope, str) else None,
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
        elif endpoint == "GET":
            session = self.state.sessions.by_token(str(raw.get("token", "")))
        if session is not None:
            call.namespace = session.namespace
            return FaultTarget(endpoint, session.licence, session.number, session.scenario_id)
        licence = licence_of(raw)
        call.settle(licence)
        if endpoint != "IDMOBILE":
            return FaultTarget(endpoint, licence)
        text = str(raw.get("number", ""))
        try:
            e164: str | None = phones.normalise(text)
        except phones.InvalidNumber:
            e164 = None
        found = self._view(call).find(text, e164, licence, str(raw.get("scope", "")))
        return FaultTarget(endpoint, licence, e164, found.id if found else None)

    def _licence(self, params: Mapping[str, Any], call: Call, unknown: str = "02") -> Licence:
        code = licence_of(params)
        licence = self._view(call).licences.get(code)
        if licence is None:
            raise DqeError(unknown, reason=f"licence {code!r} is not configured")
        return licence

    def issue_token(self, raw: Mapping[str, str], call: Call | None = None) -> dict[str, str]:
        """/ACCESS_TOKEN/: a Bearer token for a known licence and its client secret."""
        call = call or Call()
        self._validate("ACCESS_TOKEN", raw, call)
        licence = self._licence(raw, call, unknown="invalid_client")
        if raw.get("client_secret") != licence.client_secret:
            raise DqeError("invalid_client", reason="the client_secret does not match the licence")
        ttl = licence.token_ttl or self.state.default_ttl
        now = self.state.clock.now()
        token, refresh, evicted = self.state.tokens.issue(licence.licence, now, ttl, call.namespace)
        self.state.forget_tokens(evicted)
        call.token = token.value
        self.state.forget_expired(now)
        return bodies.token_body(token.value, refresh, token.ttl)

    def _token(
        self, params: Mapping[str, Any], licence: Licence, scope: str | None, call: Call
    ) -> str:
        value = str(params.get("token", ""))
        call.token = value
        now = self.state.clock.now(value)
        # A namespace's tokens are its own: parallel workers cannot use each other's.
        token = self.state.tokens.valid(value, licence.licence, now, call.namespace)
        if token is None:
            raise DqeError(
                "30", reason="the token is unknown, expired or of another licence", scope=scope
            )
        return token.value  # the store's copy: a session shares it, no second string

    def initiate(
        self,
        raw: Mapping[str, str],
        consent_url: Callable[[Session], str],
        call: Call | None = None,
    ) -> dict[str, Any]:
        """/IDMOBILE/: scores for matching_notp, or a consent url for every other scope."""
        call = call or Call()
        params = parse_params(raw)
        self._validate("IDMOBILE", params, call)
        scope = str(params["scope"])
        licence = self._licence(params, call)
        token = self._token(params, licence, scope, call)
        if licence.scopes is not None and not set(split_scope(scope)) <= licence.scopes:
            raise DqeError(
                "04",
                reason=f"licence {licence.licence} has no access to scope {scope}",
                scope=scope,
            )
        view = self._view(call)
        _check_redirect(params.get("redirect_uri"), scope)
        number = self._number(params, view)
        scenario = view.find(
            str(params["number"]), number.e164 if number else None, licence.licence, scope
        )
        call.scenario_id = scenario.id if scenario else None
        operator = self._operator(scenario, licence, scope, params, view)
        assert scenario is not None  # _operator raised 13 otherwise
        outcome = scenario.outcome_for(scope)
        if outcome.initiate_error:
            raise DqeError(
                outcome.initiate_error,
                reason=f"scenario {scenario.id}",
                operator=operator,
                scope=scope,
            )
        if number is None:
            raise DqeError("10", reason=f"{params['number']!r} is not a phone number", scope=scope)
        user_infos = (
            params.get("user_infos") if isinstance(params.get("user_infos"), dict) else None
        )
        if scope == "matching_notp" and not outcome.consent_required:
            return bodies.scores(user_infos, scenario.subscriber, outcome.scores)
        session_scope = "matching" if scope == "matching_notp" else scope
        session = self._open_session(
            params, token, licence, session_scope, number.e164, operator, scenario, call
        )
        if "matching" in split_scope(session_scope):
            # A pure function of what is known now: kept as 9 bytes, not user_infos.
            session.scores = pack(compute_scores(user_infos or {}, session.subscriber))
        return bodies.consent_body(operator, consent_url(session))

    def _number(self, params: Mapping[str, Any], view: ScenarioSet) -> phones.PhoneNumber | None:
        """The parsed number; None if it does not parse but a scenario matches its raw text."""
        text = str(params["number"])
        country = params.get("country")
        try:
            number = phones.parse(text, country if isinstance(country, str) else None)
        except phones.InvalidNumber:
            if any(text.strip() in s.match.raw for s in view.scenarios):
                return None
            raise DqeError("10", reason=f"{text!r} is not a phone number in service") from None
        if not number.eligible:
            raise DqeError(
                "09", reason=f"{number.e164} is a {number.line_type.value} line, not a mobile"
            )
        return number

    def _operator(
        self,
        scenario: Scenario | None,
        licence: Licence,
        scope: str,
        params: Mapping[str, Any],
        view: ScenarioSet,
    ) -> str:
        """The number's operator, after every operator-side check (13, 14, 15, 16, 17, 07)."""
        name = scenario.operator if scenario else None
        operator = view.operators.get(name or "")
        if scenario is None or operator is None:
            raise DqeError(
                "13",
                reason=f"no operator configured (scenario {scenario.id if scenario else 'none'})",
                operator=name,
                scope=scope,
            )
        if licence.operators is not None and operator.name not in licence.operators:
            raise DqeError("14", operator=operator.name, scope=scope)
        if operator.status == "unsupported":
            raise DqeError("15", operator=operator.name, scope=scope)
        if operator.status == "unreachable":
            raise DqeError("16", operator=operator.name, scope=scope)
        if operator.scopes is not None and not set(split_scope(scope)) <= operator.scopes:
            raise DqeError("17", operator=operator.name, scope=scope)
        user_infos = params.get("user_infos")
        needs_infos = set(split_scope(scope)) & set(USER_INFOS_SCOPES)
        if (
            operator.requires_phone
            and needs_infos
            and isinstance(user_infos, dict)
            and not str(user_infos.get("phone", "")).strip()
        ):
            raise DqeError(
                "07",
                reason=f"{operator.name} requires user_infos.phone",
                operator=operator.name,
                scope=scope,
            )
        return operator.name

    def _open_session(
        self,
        params: Mapping[str, Any],
        token: str,
        licence: Licence,
        scope: str,
        number: str,
        operator: str,
        scenario: Scenario,
        call: Call,
    ) -> Session:
        now = self.state.clock.now(token)
        outcome = scenario.outcome_for(scope)
        redirect = params.get("redirect_uri")
        session = Session(
            id=self.state.sessions.new_id(),
            token=token,
            licence=licence.licence,
            scope=scope,
            number=number,
            operator=operator,
            scenario_id=scenario.id,
            outcome=outcome,
            subscriber=scenario.subscriber,  # shared, never changed: no copy per session
            created_at=now,
            partner=str(params.get("name", "")),
            namespace=call.namespace,
            code_name=str(params.get("code_name", "")),
            redirect_uri=redirect if isinstance(redirect, str) and redirect else None,
        )
        if outcome.consent.auto and outcome.consent.decision != "abandon":
            session.complete_consent(outcome.consent.decision, now)
        self.state.sessions.put(session)
        return session

    def retrieve(self, raw: Mapping[str, str], call: Call | None = None) -> dict[str, Any]:
        """/GET/: pending, then the result or error; a finished session stays finished."""
        call = call or Call()
        self._validate("GET", raw, call)
        scope = raw["scope"]
        licence = self._licence(raw, call)
        token = self._token(raw, licence, scope, call)
        session = self.state.sessions.by_token(token)
        if session is None:
            raise DqeError(
                "30", reason="no /IDMOBILE/ request was made with this token", scope=scope
            )
        if not same_scope(scope, session.scope):
            raise DqeError("04", reason=f"the session's scope is {session.scope}", scope=scope)
        call.scenario_id = session.scenario_id
        now = self.state.clock.now(token)
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

    def consent(
        self, session_id: str, decision: str | None = None, otp: str | None = None
    ) -> ConsentStep | None:
        """The user's answer on the consent url; None for an unknown session."""
        return self.consents.answer(session_id, decision, otp)


def _check_redirect(uri: Any, scope: str) -> None:
    """A redirect_uri the consent step can always redirect to (urls.check_redirect_uri), else 01."""
    if not isinstance(uri, str) or not uri:
        return
    try:
        check_redirect_uri(uri)
    except UrlError as exc:
        raise DqeError("01", reason=f"redirect_uri {exc}", scope=scope) from exc
