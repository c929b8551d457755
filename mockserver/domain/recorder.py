"""Observed exchanges -> a pseudonymised dqe-mock scenario document that replays them.

One scenario per phone number seen in /IDMOBILE/, its outcome taken from what the upstream
answered: initiate_error for an /IDMOBILE/ error, result_error for a /GET/ that ended in one,
pending polls (pending answers after the first, which usually precedes consent; consent auto
when the first poll already had the answer, so that replays need not visit the url), numVerify,
pinned matching scores, and the subscriber of a formfilling result. The proxy never sees the
consent step (the client talks to the upstream's url directly), so a refused consent is
recorded as the /GET/ error it produced. An error that the request's own violations explain
(error 01 for a missing name, say) is not recorded: the mock reproduces it from the request.

Numbers, names, emails, addresses, dates and subscriber ids are replaced by fakes (see
pseudonymise); licences keep their code but never their secret.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from mockserver.contract.errors import catalogue, error_id_of, split_scope
from mockserver.contract.scopes import (
    direct_scopes,
    outcome_scopes,
    retrieval_scope,
    scope_names,
)
from mockserver.domain import phones
from mockserver.domain.pseudonymise import RECORDED_CAPACITY, Pseudonymiser, personal_values
from mockserver.domain.rules import licence_of
from mockserver.domain.scoring import ADDRESS_FIELDS

RECORDED_SECRET = "recorded-secret"
# What a recording holds, however long the proxy runs: as many numbers as the recording range
# has fakes for (later numbers are counted, not recorded), the latest flows of each number,
# and the flows still waiting for a /GET/ (the oldest waiting one is let go).
MAX_FLOWS_PER_NUMBER = 32
MAX_OPEN_FLOWS = 10_000
DEFAULT_OPERATOR = "Orange"
SCORE_KEYS = ("family_name", "given_name", "gender", "birthdate", "email")
HEADER = (
    "# Recorded by `dqe-mock proxy`. Phone numbers and personal data are pseudonymised;\n"
    f"# client secrets are replaced by {RECORDED_SECRET!r}.\n"
)


@dataclass(frozen=True)
class Exchange:
    """One request and its answer as the proxy saw them."""

    endpoint: str
    params: Mapping[str, Any]
    status: int
    body: Any
    request_error: str | None = None  # the error id the request's own violations call for


@dataclass
class Flow:
    """One /IDMOBILE/ request and the /GET/ answers for its token."""

    e164: str
    scope: str
    explained: bool = False
    operator: str | None = None
    initiate_error: str | None = None
    consent: bool = False
    scores: Mapping[str, Any] | None = None
    pendings: int = 0
    result: Mapping[str, Any] | None = None
    result_error: str | None = None

    @property
    def answered(self) -> bool:
        """Did /GET/ answer anything for this flow?"""
        return bool(self.pendings or self.result is not None or self.result_error)

    def parts(self) -> dict[str, dict[str, Any]]:
        """The outcome this flow shows, per single scope."""
        if self.explained:
            return {}
        if self.initiate_error:
            # A combined scope's error belongs to the parts that may return it (05 and 07
            # come from matching in matching,formfilling).
            entry = catalogue().business.get(self.initiate_error)
            allowed = [
                p for p in split_scope(self.scope) if entry is None or entry.allowed("IDMOBILE", p)
            ]
            error = {"initiate_error": self.initiate_error}
            return _for(allowed or split_scope(self.scope), error)
        if self.scope in direct_scopes() and not self.consent:
            pinned = pin_scores(self.scores or {})
            return {self.scope: {"scores": pinned} if pinned else {}}
        parts: dict[str, dict[str, Any]] = {}
        result_scopes = split_scope(self.scope)
        if self.scope in direct_scopes():
            parts[self.scope] = {"consent_required": True}
            result_scopes = (retrieval_scope(self.scope),)
        if self.answered:
            parts.update(_for(result_scopes, self._result()))
        return parts

    def _result(self) -> dict[str, Any]:
        outcome: dict[str, Any] = {}
        if not self.pendings:  # the first poll had the answer: consent came before, or by itself
            outcome["consent"] = {"auto": True}
        if self.result_error:
            outcome["result_error"] = self.result_error
        if self.pendings > 1:
            outcome["pending"] = {"polls": self.pendings - 1}
        result = self.result or {}
        if result.get("numVerify") is False:
            outcome["numverify"] = False
        matching = result.get("matching")
        if isinstance(matching, Mapping) and (pinned := pin_scores(matching)):
            outcome["scores"] = pinned
        return outcome


@dataclass
class Recorder:
    """Collects exchanges; document() turns them into a scenario file's content."""

    licences: dict[str, None] = field(default_factory=dict)
    numbers: dict[str, list[Flow]] = field(default_factory=dict)
    skipped: int = 0
    unrecorded: int = 0
    personal: set[str] = field(default_factory=set)
    _by_token: dict[str, Flow] = field(default_factory=dict)

    def reset(self) -> None:
        """Forget everything observed."""
        self.licences.clear()
        self.numbers.clear()
        self.personal.clear()
        self._by_token.clear()
        self.skipped = self.unrecorded = 0

    def observe(self, exchange: Exchange) -> None:
        """Take one exchange into account."""
        body = exchange.body if isinstance(exchange.body, Mapping) else {}
        if exchange.endpoint == "ACCESS_TOKEN":
            if exchange.status == 200 and body.get("access_token") and licence_of(exchange.params):
                self.licences[licence_of(exchange.params)] = None
        elif exchange.endpoint == "IDMOBILE":
            self._initiate(exchange, body)
        elif exchange.endpoint == "GET":
            self._retrieve(exchange, body)

    def _initiate(self, exchange: Exchange, body: Mapping[str, Any]) -> None:
        params = exchange.params
        country = params.get("country")
        try:
            e164 = phones.normalise(
                str(params.get("number", "")), country if isinstance(country, str) else None
            )
        except phones.InvalidNumber:
            self.skipped += 1
            return
        if e164 not in self.numbers and len(self.numbers) >= RECORDED_CAPACITY:
            self.unrecorded += 1
            return
        infos = params.get("user_infos")
        if isinstance(infos, Mapping):
            self.personal |= set(personal_values(infos))
        flow = Flow(e164, str(params.get("scope", "")))
        flows = self.numbers.setdefault(e164, [])
        flows.append(flow)
        if len(flows) > MAX_FLOWS_PER_NUMBER:
            del flows[0]
        error = error_id_of(body)
        if error is not None:
            flow.explained = error == exchange.request_error
            flow.initiate_error = error
        elif body.get("url"):
            flow.consent = True
            operator = body.get("operator")
            flow.operator = operator if isinstance(operator, str) and operator else None
            token = str(params.get("token", ""))
            self._by_token.pop(token, None)  # a new flow of a token goes to the end
            self._by_token[token] = flow
            if len(self._by_token) > MAX_OPEN_FLOWS:
                del self._by_token[next(iter(self._by_token))]
        elif "family_name" in body:
            flow.scores = body

    def _retrieve(self, exchange: Exchange, body: Mapping[str, Any]) -> None:
        flow = self._by_token.get(str(exchange.params.get("token", "")))
        if flow is None:
            return
        error = error_id_of(body)
        if error is not None:
            if error != exchange.request_error:
                flow.result_error = error
        elif body.get("status") == "pending":
            flow.pendings += 1
        elif body.get("status") == "success":
            flow.result = body
            formfilling = body.get("formfilling")
            if isinstance(formfilling, Mapping):
                self.personal |= set(personal_values(formfilling))

    def document(self, seed: int | None) -> dict[str, Any]:
        """The scenario document (schemas/scenario.schema.json) of what was observed."""
        fakes = Pseudonymiser(seed, avoid=self.personal)
        fake_numbers = {e164: fakes.number(e164) for e164 in sorted(self.numbers)}
        scenarios = [
            self._scenario(index, fake_numbers[e164], flows, fakes)
            for index, (e164, flows) in enumerate(self.numbers.items(), 1)
        ]
        operators = dict.fromkeys(str(s["operator"]) for s in scenarios)
        description = f"Recorded by dqe-mock proxy: {len(scenarios)} numbers, pseudonymised"
        if self.skipped:
            description += f"; {self.skipped} requests without a phone number left out"
        if self.unrecorded:
            description += (
                f"; {self.unrecorded} requests on numbers past the {RECORDED_CAPACITY} "
                "a recording holds left out"
            )
        document: dict[str, Any] = {"version": 1, "description": description}
        if self.licences:
            document["licences"] = [
                {"licence": code, "client_secret": RECORDED_SECRET} for code in self.licences
            ]
        if operators:
            document["operators"] = [{"name": name} for name in operators]
        if scenarios:
            document["scenarios"] = scenarios
        return document

    def render(self, seed: int | None) -> str:
        """document() as YAML text, with a header saying what was replaced."""
        text = yaml.dump(
            self.document(seed), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
        )
        return HEADER + text

    def _scenario(
        self, index: int, number: str, flows: list[Flow], fakes: Pseudonymiser
    ) -> dict[str, Any]:
        operator = next((f.operator for f in reversed(flows) if f.operator), DEFAULT_OPERATOR)
        scopes = ", ".join(dict.fromkeys(f.scope for f in flows))
        scenario: dict[str, Any] = {
            "id": f"recorded-{index:03d}",
            "description": f"Recorded through dqe-mock proxy ({scopes}).",
            "match": {"numbers": [number]},
            "operator": operator,
        }
        record = next((r for f in reversed(flows) if (r := _formfilling(f))), None)
        if record is not None:
            scenario["subscriber"] = fakes.subscriber(record)
        parts: dict[str, dict[str, Any]] = {}
        for flow in flows:
            parts.update(flow.parts())
        outcomes = list(parts.values())
        if outcomes and all(o == outcomes[0] for o in outcomes):
            if outcomes[0]:
                scenario["outcome"] = outcomes[0]
        elif outcomes:
            scenario["scopes"] = parts
        return scenario


def pin_scores(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Observed scores as a scenario's pinned scores (numeric strings read as numbers)."""
    pinned: dict[str, Any] = {k: s for k in SCORE_KEYS if (s := _score(raw.get(k))) is not None}
    address = raw.get("address")
    if isinstance(address, Mapping):
        parts = {k: s for k in ADDRESS_FIELDS if (s := _score(address.get(k))) is not None}
        if parts:
            pinned["address"] = parts
    return pinned


def _score(value: Any) -> float | str | None:
    if value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0.0 <= number <= 1.0 else None


def _for(scopes: Iterable[str], outcome: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`outcome` for each scope, less what a scope never uses (scores, numverify)."""
    parts = {}
    for scope in (s for s in scopes if s in scope_names()):
        parts[scope] = {
            key: copy.deepcopy(value)
            for key, value in outcome.items()
            if (applies := outcome_scopes(key)) is None or scope in applies
        }
    return parts


class _Dumper(yaml.SafeDumper):
    """Writes repeated values out in full: no &anchors in a file meant to be read."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _formfilling(flow: Flow) -> Mapping[str, Any] | None:
    record = (flow.result or {}).get("formfilling")
    return record if isinstance(record, Mapping) else None
