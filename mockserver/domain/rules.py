"""The rules a request must pass, checked in the order the error catalogue lists them.

`schemas/errors.json` ("precedence") lists each endpoint's rules, each with the error id it
answers. This module has one check per rule name and no order of its own: `first_broken`
walks the catalogue's list and answers the first rule the request breaks. Reordering the
catalogue reorders the checks; a rule the catalogue names and this module lacks (or the
reverse) is refused at import, so the two cannot drift apart.

A check is a function of an `Attempt`, which looks up what the request names (licence,
token, number, scenario, operator, session) once, when a check first needs it, and never
raises: every check is defined whatever an earlier rule would have said, so any order the
catalogue gives is a consistent one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from mockserver.contract.errors import OPERATOR_PLACEHOLDER, DqeError, Rule, catalogue, split_scope
from mockserver.contract.schemas import ViolationSet
from mockserver.contract.scopes import needs_user_infos
from mockserver.domain import phones
from mockserver.domain.scenarios import Licence, Operator, Scenario, ScenarioSet
from mockserver.domain.sessions import Session, SessionStore
from mockserver.domain.tokens import AccessToken, TokenStore
from mockserver.domain.urls import UrlError, check_redirect_uri


def licence_of(params: Mapping[str, Any]) -> str:
    """The licence code, spelt licence or Licence (the docs use both)."""
    value = params.get("licence", params.get("Licence"))
    return value if isinstance(value, str) else ""


def same_scope(left: str, right: str) -> bool:
    """Scopes are equal, combined ones in any order."""
    return sorted(split_scope(left)) == sorted(split_scope(right))


@dataclass(frozen=True)
class Broken:
    """A broken rule: why, and the error id when it is not the rule's own (a scenario's
    initiate_error)."""

    reason: str
    error_id: str | None = None


@dataclass
class Attempt:
    """One request being judged: its decoded parameters and what the mock holds for it.

    Each lookup runs once, on first use, and never raises: None (or an InvalidNumber)
    stands for "not found". `now` is the mock's clock for the request's token.
    """

    params: Mapping[str, Any]
    schema: ViolationSet
    view: ScenarioSet
    tokens: TokenStore
    sessions: SessionStore
    namespace: str
    clock: Callable[[str], float]

    @property
    def scope(self) -> str:
        """The scope parameter ('' when absent or not text)."""
        value = self.params.get("scope")
        return value if isinstance(value, str) else ""

    @property
    def text(self) -> str:
        """The number parameter as sent."""
        return str(self.params.get("number", ""))

    @cached_property
    def licence(self) -> Licence | None:
        """The configured licence the request names."""
        return self.view.licences.get(licence_of(self.params))

    @cached_property
    def token(self) -> AccessToken | None:
        """The request's token, if it is live and belongs to its licence and namespace."""
        value = str(self.params.get("token", ""))
        return self.tokens.valid(value, licence_of(self.params), self.clock(value), self.namespace)

    @cached_property
    def number(self) -> phones.PhoneNumber | phones.InvalidNumber:
        """The parsed number, or why it does not parse."""
        country = self.params.get("country")
        try:
            return phones.parse(self.text, country if isinstance(country, str) else None)
        except phones.InvalidNumber as exc:
            return exc

    @cached_property
    def scenario(self) -> Scenario | None:
        """The scenario answering this number, licence and scope (by raw text if unparsed)."""
        number = self.number
        e164 = number.e164 if isinstance(number, phones.PhoneNumber) else None
        return self.view.find(self.text, e164, licence_of(self.params), self.scope)

    @cached_property
    def operator(self) -> Operator | None:
        """The configured operator of the scenario."""
        name = self.scenario.operator if self.scenario else None
        return self.view.operators.get(name or "")

    @property
    def operator_name(self) -> str | None:
        """The operator's name for labels: the scenario's, configured or not."""
        return self.scenario.operator if self.scenario else None

    @property
    def known_scenario_id(self) -> str | None:
        """The scenario's id if a rule has looked it up (the journal's scenario column);
        None otherwise, without looking it up."""
        scenario = self.__dict__.get("scenario")
        return scenario.id if isinstance(scenario, Scenario) else None

    @cached_property
    def session(self) -> Session | None:
        """The session the token opened (/GET/)."""
        return self.sessions.by_token(str(self.params.get("token", "")))


Check = Callable[[Attempt], Broken | None]


def _licence(a: Attempt) -> Broken | None:
    if a.licence is None:
        return Broken(f"licence {licence_of(a.params)!r} is not configured")
    return None


def _client_secret(a: Attempt) -> Broken | None:
    if a.licence is not None and a.params.get("client_secret") != a.licence.client_secret:
        return Broken("the client_secret does not match the licence")
    return None


def _token(a: Attempt) -> Broken | None:
    if a.token is None:
        return Broken("the token is unknown, expired or of another licence")
    return None


def _licence_scope(a: Attempt) -> Broken | None:
    allowed = a.licence.scopes if a.licence else None
    if allowed is not None and not set(split_scope(a.scope)) <= allowed:
        return Broken(f"licence {licence_of(a.params)} has no access to scope {a.scope}")
    return None


def _redirect_uri(a: Attempt) -> Broken | None:
    uri = a.params.get("redirect_uri")
    if not isinstance(uri, str) or not uri:
        return None
    try:
        check_redirect_uri(uri)
    except UrlError as exc:
        return Broken(f"redirect_uri {exc}")
    return None


def _number_invalid(a: Attempt) -> Broken | None:
    if isinstance(a.number, phones.InvalidNumber) and a.scenario is None:
        return Broken(f"{a.text!r} is not a phone number in service")
    return None


def _number_ineligible(a: Attempt) -> Broken | None:
    number = a.number
    if isinstance(number, phones.PhoneNumber) and not number.eligible:
        return Broken(f"{number.e164} is a {number.line_type.value} line, not a mobile")
    return None


def _operator_unknown(a: Attempt) -> Broken | None:
    if a.operator is None:
        scenario = a.scenario.id if a.scenario else "none"
        return Broken(f"no operator configured (scenario {scenario})")
    return None


def _operator_licence(a: Attempt) -> Broken | None:
    allowed = a.licence.operators if a.licence else None
    if a.operator is not None and allowed is not None and a.operator.name not in allowed:
        return Broken(f"licence {licence_of(a.params)} is not allowed {a.operator.name}")
    return None


def _operator_unsupported(a: Attempt) -> Broken | None:
    if a.operator is not None and a.operator.status == "unsupported":
        return Broken(f"{a.operator.name} is marked unsupported")
    return None


def _operator_unreachable(a: Attempt) -> Broken | None:
    if a.operator is not None and a.operator.status == "unreachable":
        return Broken(f"{a.operator.name} is marked unreachable")
    return None


def _operator_scope(a: Attempt) -> Broken | None:
    operator = a.operator
    if operator is None or operator.scopes is None:
        return None
    if not set(split_scope(a.scope)) <= operator.scopes:
        return Broken(f"{operator.name} does not support {a.scope}")
    return None


def _operator_phone(a: Attempt) -> Broken | None:
    infos = a.params.get("user_infos")
    if (
        a.operator is not None
        and a.operator.requires_phone
        and needs_user_infos(a.scope)
        and isinstance(infos, dict)
        and not str(infos.get("phone", "")).strip()
    ):
        return Broken(f"{a.operator.name} requires user_infos.phone")
    return None


def _scenario(a: Attempt) -> Broken | None:
    forced = a.scenario.outcome_for(a.scope).initiate_error if a.scenario else None
    if forced and a.scenario is not None:
        return Broken(f"scenario {a.scenario.id}", error_id=forced)
    return None


def _number_unparsed(a: Attempt) -> Broken | None:
    if isinstance(a.number, phones.InvalidNumber):
        return Broken(f"{a.text!r} is not a phone number")
    return None


def _session(a: Attempt) -> Broken | None:
    if a.session is None:
        return Broken("no /IDMOBILE/ request was made with this token")
    return None


def _session_scope(a: Attempt) -> Broken | None:
    if a.session is not None and not same_scope(a.scope, a.session.scope):
        return Broken(f"the session's scope is {a.session.scope}")
    return None


# One check per rule name the catalogue uses; schema rules need none.
CHECKS: dict[str, Check] = {
    "licence": _licence,
    "client_secret": _client_secret,
    "token": _token,
    "licence_scope": _licence_scope,
    "redirect_uri": _redirect_uri,
    "number_invalid": _number_invalid,
    "number_ineligible": _number_ineligible,
    "operator_unknown": _operator_unknown,
    "operator_licence": _operator_licence,
    "operator_unsupported": _operator_unsupported,
    "operator_unreachable": _operator_unreachable,
    "operator_scope": _operator_scope,
    "operator_phone": _operator_phone,
    "scenario": _scenario,
    "number_unparsed": _number_unparsed,
    "session": _session,
    "session_scope": _session_scope,
}


def _schema_broken(a: Attempt, rule: Rule) -> Broken | None:
    found = a.schema.for_error(rule.error_id)
    return Broken("; ".join(str(v) for v in found)) if found else None


def first_broken(endpoint: str, attempt: Attempt) -> DqeError | None:
    """The error of the first rule `attempt` breaks, in the catalogue's order for
    `endpoint` ('ACCESS_TOKEN', 'IDMOBILE' or 'GET'); None when every rule holds."""
    found = first_broken_rule(endpoint, attempt)
    return found[1] if found else None


def first_broken_rule(endpoint: str, attempt: Attempt) -> tuple[Rule, DqeError] | None:
    """first_broken's error with the rule that answered it; None when every rule holds."""
    for rule in catalogue().rules[endpoint]:
        broken = _schema_broken(attempt, rule) if rule.schema else CHECKS[rule.name](attempt)
        if broken is not None:
            error_id = broken.error_id or rule.error_id
            entry = catalogue().get(error_id)
            named = any(OPERATOR_PLACEHOLDER in label for label in entry.all_labels())
            error = DqeError(
                error_id,
                reason=broken.reason,
                operator=attempt.operator_name if named else None,
                scope=attempt.scope or None,
            )
            return rule, error
    return None


def unmatched(rules: Mapping[str, tuple[Rule, ...]], checks: Mapping[str, Check]) -> list[str]:
    """Rule names the catalogue's `rules` and `checks` disagree on, sorted (empty when they
    agree): a rule the mock does not check, or a check no rule orders."""
    named = {r.name for endpoint in rules.values() for r in endpoint if not r.schema}
    return sorted(named ^ set(checks))


if unmatched(catalogue().rules, CHECKS):  # pragma: no cover - caught by every test run
    raise ImportError(
        f"errors.json precedence and domain/rules.py disagree on "
        f"{unmatched(catalogue().rules, CHECKS)}"
    )
