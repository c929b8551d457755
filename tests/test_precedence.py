"""Precedence is data that drives the code: pairs of broken rules answer the first listed.

The oracle is the catalogue's "precedence" (schemas/errors.json), the contract decision the
Contract notes (docs/contract-notes.md) point to; the requests are built here, from BREAKERS: a
table, written by hand, of how to break each rule on its own. For every pair of rules of an endpoint
broken in one request, the answer must be the error of the rule listed first. Nothing here asks the
mock what the answer should be.

Each case runs in its own namespace, with its own scenario document (a licence, an operator and
a scenario for the number), sent through the admin API as an integrator would.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.contract.errors import Rule, catalogue, error_id_of
from mockserver.contract.schemas import contract
from mockserver.testing.client import user_infos

LICENCE = "700001"
SECRET = "precedence-secret"
MOBILE = "+33639987001"  # ARCEP's fiction range, as the built-in pack uses
LANDLINE = "+33140000001"  # a Paris landline (01): valid, not a mobile
PARTNER = "https://partner.example/callback"


@dataclass
class Case:
    """One request and the world it meets: params, and the scenario document's parts."""

    params: dict[str, str]
    licence: dict[str, Any] = field(default_factory=dict)
    operator: dict[str, Any] = field(default_factory=dict)
    scenario: dict[str, Any] = field(default_factory=dict)
    match: dict[str, Any] = field(default_factory=dict)
    known_operator: bool = True
    issue_token: bool = True
    initiate: bool = True  # /GET/ only: open a session first
    get_scope: str | None = None  # /GET/ only: poll with another scope than the session's


Breaker = Callable[[Case], None]


def _set(**params: str) -> Breaker:
    def apply(case: Case) -> None:
        case.params.update(params)

    return apply


def _drop(name: str) -> Breaker:
    def apply(case: Case) -> None:
        case.params.pop(name, None)

    return apply


def _part(part: str, **values: Any) -> Breaker:
    def apply(case: Case) -> None:
        getattr(case, part).update(values)

    return apply


def _flag(**values: Any) -> Breaker:
    def apply(case: Case) -> None:
        for name, value in values.items():
            setattr(case, name, value)

    return apply


def _both(*breakers: Breaker) -> Breaker:
    def apply(case: Case) -> None:
        for breaker in breakers:
            breaker(case)

    return apply


# How to break each rule alone, and what each breaker touches: two breakers that touch the same
# thing cannot be combined (the second would undo the first, or have nothing left to break).
# Sources: the Contract notes ("Missing, empty, wrong", "Licences and operators") and the
# scenario file reference (licence scopes/operators, operator status/scopes/requires_phone,
# initiate_error, match.raw).
BREAKERS: dict[str, dict[str, tuple[Breaker, frozenset[str]]]] = {
    "IDMOBILE": {
        "request": (_drop("name"), frozenset({"name"})),
        "redirect_uri": (_set(redirect_uri="https://partner.example:0/cb"), frozenset({"uri"})),
        "scope": (_set(scope="matching_plus"), frozenset({"scope"})),
        "number_empty": (_set(number=""), frozenset({"number"})),
        "user_infos_missing": (_drop("user_infos"), frozenset({"infos"})),
        "user_infos_json": (_set(user_infos="{not json"), frozenset({"infos"})),
        "user_infos_phone_key": (
            _set(user_infos=json.dumps({k: "" for k in json.loads(user_infos()) if k != "phone"})),
            frozenset({"infos"}),
        ),
        "licence": (_set(licence="799999"), frozenset({"licence"})),
        "token": (_set(token="0" * 32), frozenset({"token"})),
        "licence_scope": (_part("licence", scopes=["numVerify"]), frozenset({"licence_scopes"})),
        "number_invalid": (_set(number="0000"), frozenset({"number"})),
        "number_ineligible": (
            _both(_set(number=LANDLINE), _part("match", numbers=[LANDLINE])),
            frozenset({"number"}),
        ),
        "operator_unknown": (_flag(known_operator=False), frozenset({"operator"})),
        "operator_licence": (
            _part("licence", operators=["Elsewhere"]),
            frozenset({"licence_operators", "needs_operator"}),
        ),
        "operator_unsupported": (
            _part("operator", status="unsupported"),
            frozenset({"status", "needs_operator"}),
        ),
        "operator_scope": (
            _part("operator", scopes=["numVerify"]),
            frozenset({"operator_scopes", "needs_operator"}),
        ),
        "operator_unreachable": (
            _part("operator", status="unreachable"),
            frozenset({"status", "needs_operator"}),
        ),
        "operator_phone": (
            _both(_part("operator", requires_phone=True), _set(user_infos=user_infos())),
            frozenset({"infos", "needs_operator"}),
        ),
        "scenario": (_part("scenario", initiate_error="12"), frozenset({"initiate_error"})),
        "number_unparsed": (
            _both(_set(number="not a number"), _part("match", raw=["not a number"])),
            frozenset({"number"}),
        ),
    },
    "GET": {
        "request": (_drop("Licence"), frozenset({"licence"})),
        "scope": (_flag(get_scope="matching_plus"), frozenset({"scope"})),
        "licence": (_flag(get_scope=None), frozenset()),  # replaced below: needs the licence
        "token": (_set(token="0" * 32), frozenset({"token"})),
        "session": (_flag(initiate=False), frozenset({"session"})),
        "session_scope": (_flag(get_scope="numVerify"), frozenset({"scope", "session"})),
    },
    "ACCESS_TOKEN": {
        "request": (_set(grant_type="password"), frozenset({"grant_type"})),
        "licence": (_set(licence="799999"), frozenset({"licence"})),
        "client_secret": (_set(client_secret="wrong"), frozenset({"licence"})),
    },
}
BREAKERS["GET"]["licence"] = (_set(Licence="799999"), frozenset({"licence"}))
# operator_unknown removes the operator the needs_operator breakers change.
CONFLICTS = {("operator_unknown", "needs_operator")}


def _clash(left: frozenset[str], right: frozenset[str], names: tuple[str, str]) -> bool:
    if (left - {"needs_operator"}) & (right - {"needs_operator"}):
        return True
    tags = {*left, *right, *names}
    return any(a in tags and b in tags for a, b in CONFLICTS)


def _rules(endpoint: str) -> tuple[Rule, ...]:
    return catalogue().rules[endpoint]


def _pairs(endpoint: str) -> list[tuple[Rule, Rule]]:
    table = BREAKERS[endpoint]
    rules = _rules(endpoint)
    return [
        (a, b)
        for a, b in itertools.combinations(rules, 2)
        if not _clash(table[a.name][1], table[b.name][1], (a.name, b.name))
    ]


def _base(endpoint: str) -> Case:
    if endpoint == "ACCESS_TOKEN":
        params = {"licence": LICENCE, "client_secret": SECRET, "grant_type": "client_idmobile"}
        return Case(params)
    if endpoint == "GET":
        return Case({"Licence": LICENCE, "scope": "matching"})
    params = {
        "number": MOBILE,
        "licence": LICENCE,
        "scope": "matching",
        "mode": "2",
        "name": "Precedence Ltd",
        "user_infos": user_infos(phone=MOBILE, lastname="Martin"),
        "redirect_uri": PARTNER,
    }
    return Case(params)


def _document(case: Case) -> dict[str, Any]:
    operator = {"name": "Opera", **case.operator}
    match = case.match or {"numbers": [MOBILE]}
    return {
        "version": 1,
        "licences": [{"licence": LICENCE, "client_secret": SECRET, **case.licence}],
        "operators": [operator],
        "scenarios": [
            {
                "id": "precedence",
                "match": match,
                "operator": "Opera" if case.known_operator else "Nowhere Mobile",
                "outcome": case.scenario,
            }
        ],
    }


class Mock:
    """The mock over HTTP, one namespace per case."""

    def __init__(self, http: ClientSession, server: TestServer) -> None:
        self.http = http
        self.server = server
        self.count = 0

    async def _send(self, path: str, namespace: str, params: dict[str, str]) -> Any:
        url = self.server.make_url(path)
        async with self.http.post(url, data=params, headers={"X-Dqe-Namespace": namespace}) as r:
            return await r.json(content_type=None)

    async def run(self, endpoint: str, case: Case) -> Any:
        self.count += 1
        namespace = f"precedence-{self.count}"
        url = self.server.make_url("/__admin/scenarios")
        headers = {"X-Dqe-Namespace": namespace}
        async with self.http.put(url, data=json.dumps(_document(case)), headers=headers) as r:
            assert r.status == 200, await r.text()
        if endpoint == "ACCESS_TOKEN":
            return await self._send("/ACCESS_TOKEN/", namespace, case.params)
        grant = {"licence": LICENCE, "client_secret": SECRET, "grant_type": "client_idmobile"}
        token = (await self._send("/ACCESS_TOKEN/", namespace, grant))["access_token"]
        params = {"token": token, **case.params}
        if endpoint == "IDMOBILE":
            return await self._send("/IDMOBILE/", namespace, params)
        if case.initiate:
            opened = _base("IDMOBILE").params | {"token": token}
            body = await self._send("/IDMOBILE/", namespace, opened)
            assert body.get("status") == "success", body
        if case.get_scope is not None:
            params["scope"] = case.get_scope
        return await self._send("/GET/", namespace, params)


@pytest.fixture
async def mock(server: TestServer) -> AsyncIterator[Mock]:
    async with ClientSession() as http:
        yield Mock(http, server)


def _case(endpoint: str, *names: str) -> Case:
    case = _base(endpoint)
    for name in names:
        BREAKERS[endpoint][name][0](case)
    return case


ENDPOINTS = ("IDMOBILE", "GET", "ACCESS_TOKEN")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_the_base_request_breaks_no_rule(mock: Mock, endpoint: str) -> None:
    body = await mock.run(endpoint, _base(endpoint))
    assert error_id_of(body) is None, body


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_each_rule_broken_alone_answers_its_error(mock: Mock, endpoint: str) -> None:
    wrong = []
    for rule in _rules(endpoint):
        body = await mock.run(endpoint, _case(endpoint, rule.name))
        if error_id_of(body) != rule.error_id:
            wrong.append(f"{rule.name}: expected {rule.error_id}, got {body}")
    assert wrong == []


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_two_broken_rules_answer_the_one_listed_first(mock: Mock, endpoint: str) -> None:
    pairs = _pairs(endpoint)
    wrong = []
    for first, second in pairs:
        for order in ((first, second), (second, first)):  # applied in both orders
            body = await mock.run(endpoint, _case(endpoint, *(r.name for r in order)))
            if error_id_of(body) != first.error_id:
                wrong.append(f"{first.name} + {second.name}: expected {first.error_id}, {body}")
    assert wrong == []
    assert len(pairs) >= {"IDMOBILE": 120, "GET": 10, "ACCESS_TOKEN": 2}[endpoint]


# The pairs the issue found answered against the list, each a regression test of its own.
REPORTED = [
    ("operator_unreachable", "operator_scope", "17"),
    ("operator_phone", "licence", "02"),
    ("operator_phone", "token", "30"),
    ("redirect_uri", "licence", "01"),
]


@pytest.mark.parametrize(("one", "other", "expected"), REPORTED)
async def test_reported_pairs(mock: Mock, one: str, other: str, expected: str) -> None:
    body = await mock.run("IDMOBILE", _case("IDMOBILE", one, other))
    assert error_id_of(body) == expected, body


def test_rules_are_named_once_per_endpoint_and_answer_ids_the_endpoint_may_return() -> None:
    for endpoint in ENDPOINTS:
        names = [rule.name for rule in _rules(endpoint)]
        assert len(names) == len(set(names)), endpoint
        allowed = set(catalogue().ids_for(endpoint))
        assert {rule.error_id for rule in _rules(endpoint)} <= allowed, endpoint
        assert set(names) == set(BREAKERS[endpoint]), f"{endpoint}: a rule without a breaker"


def test_every_id_the_request_schema_annotates_is_a_schema_rule() -> None:
    # Otherwise a schema violation would have no place in the order.
    files = {
        "IDMOBILE": ["requests/idmobile.schema.json", "common.schema.json"],
        "GET": ["requests/get.schema.json"],
        "ACCESS_TOKEN": ["requests/access_token.schema.json"],
    }
    for endpoint, names in files.items():
        text = " ".join(json.dumps(contract().schemas[name]) for name in names)
        annotated = set(re.findall(r'"x-dqe-error": "([^"]+)"', text))
        schema_ids = {rule.error_id for rule in _rules(endpoint) if rule.schema}
        assert annotated == schema_ids, endpoint


def test_every_error_initiation_may_answer_has_a_rule() -> None:
    ids = {rule.error_id for rule in _rules("IDMOBILE")}
    assert ids == {"01", "02", "04", "05", "06", "07", "09", "10", "11", "12", "13", "14"} | {
        "15",
        "16",
        "17",
        "30",
    }
