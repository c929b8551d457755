"""Every /__admin/ answer of a running mock matches its schema under schemas/admin/.

The mock serves some traffic first (tokens, consent flows, a pending poll, errors, an unknown
path, a second namespace), so that the journal, the sessions and the scenario listings carry
every kind of value they can; then each admin endpoint is called and its JSON answer is
validated with mockserver.contract, as the OpenAPI document (schemas/openapi.yaml) says.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from jsonschema import Draft202012Validator

from mockserver.contract import contract
from mockserver.domain.journal import JournalEntry
from mockserver.http.admin import PREFIX
from mockserver.http.app import create_app
from mockserver.http.keys import NAMESPACE_HEADER
from mockserver.http.routes import ROUTES
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient

ORANGE = "+33639980001"  # orange-happy: consent approved, /GET/ success
DENIED = "+33639983001"  # consent-denied: /GET/ answers 21
PENDING = "+33639984001"  # pending-1-poll: one pending /GET/ after consent
TEAM = "team-a"

# A runtime document with every kind of entry: licence, operator, numbers, range, pattern,
# a fault (on a number nobody calls, so that the traffic is untouched), and a fault written
# inside a scenario (Schemathesis found its `scenario/fault` id refused by the answer's schema).
TEAM_DOC = """\
version: 1
licences:
  - licence: L9
    client_secret: nine-secret
operators:
  - name: Acme Mobile
scenarios:
  - id: acme-number
    description: An Acme line.
    match: {numbers: ["+33639987001"]}
    operator: Acme Mobile
    faults:  # named acme-number/never by the mock; for a licence nobody has
      - {id: never, kind: empty, licences: ["nobody"]}
  - id: acme-range
    match: {range: {from: "+33639987100", to: "+33639987199"}}
    operator: Acme Mobile
  - id: acme-pattern
    match: {pattern: "^\\\\+3363998720"}
    operator: Acme Mobile
faults:
  - id: acme-slow
    kind: latency
    latency: {fixed: 0.01}
    numbers: ["+33639987999"]
"""

JSON_DOC = {
    "version": 1,
    "scenarios": [
        {"id": "json-one", "match": {"numbers": ["+33639987301"]}, "operator": "Orange"},
    ],
}

PUT_DOC = """\
version: 1
scenarios:
  - id: put-one
    match: {numbers: ["+33639987401"]}
    operator: Orange
  - id: put-two
    match: {any: true}
    operator: Orange
"""

# The clock bodies the server refuses (400): not JSON at all, or against the request schema.
BAD_CLOCK_BODIES: list[Any] = [
    {"seconds": -1},
    {"seconds": True},
    {"seconds": "5"},
    {},
    {"seconds": 1, "token": 3},
    [],
    [5],
    "5",
    None,
]


def schema_file(name: str) -> str:
    """An admin answer's schema file; a file named in full (scenario.schema.json) as is."""
    return name if name.endswith(".schema.json") else f"admin/{name}.schema.json"


def violations(name: str, body: Any) -> list[str]:
    """The violations of `body` against schemas/admin/<name>.schema.json."""
    return [str(v) for v in contract().validate_document(schema_file(name), body)]


def fragment_violations(name: str, fragment: str, body: Any) -> list[str]:
    """The same, against a definition inside the file (e.g. scenario_change#/$defs/added)."""
    validator = Draft202012Validator(
        {"$ref": contract().uri(f"admin/{name}.schema.json") + f"#{fragment}"},
        registry=contract().registry,
    )
    return [
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)
    ]


def admin_routes() -> set[tuple[str, str]]:
    """(METHOD, path template) of every /__admin route the server registers."""
    return {(r.method, r.path) for r in ROUTES if r.path.startswith(PREFIX + "/")}


@dataclass
class Answer:
    """One admin exchange and the schema its body must match."""

    method: str
    template: str
    status: int
    schema: str
    body: Any


@dataclass
class Admin:
    """Calls /__admin/ endpoints; each answer must be JSON with the expected status."""

    session: ClientSession
    server: TestServer
    answers: list[Answer] = field(default_factory=list)

    async def call(
        self,
        method: str,
        template: str,
        schema: str,
        status: int = 200,
        *,
        path_params: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        path = PREFIX + template.format(**(path_params or {}))
        async with self.session.request(method, self.server.make_url(path), **kwargs) as reply:
            text = await reply.text()
            assert reply.status == status, (method, path, reply.status, text)
            assert reply.content_type == "application/json", (method, path, text)
        body = json.loads(text)
        self.answers.append(Answer(method, PREFIX + template, status, schema, body))
        return body

    async def page(self, template: str) -> str:
        """GET an admin HTML page (the dashboard): 200, text/html; no JSON schema applies."""
        async with self.session.get(self.server.make_url(PREFIX + template)) as reply:
            text = await reply.text()
            assert reply.status == 200, (template, reply.status, text)
            assert reply.content_type == "text/html", (template, text)
        self.answers.append(Answer("GET", PREFIX + template, 200, "", text))
        return text

    async def download(self, template: str, path_params: dict[str, str]) -> Any:
        """GET a YAML scenario file (a session exported): 200, application/yaml."""
        path = PREFIX + template.format(**path_params)
        async with self.session.get(self.server.make_url(path)) as reply:
            text = await reply.text()
            assert reply.status == 200, (path, reply.status, text)
            assert reply.content_type == "application/yaml", (path, text)
        body = yaml.safe_load(text)
        self.answers.append(Answer("GET", PREFIX + template, 200, "scenario.schema.json", body))
        return body


@pytest.fixture
async def admin(server: TestServer) -> AsyncIterator[Admin]:
    async with ClientSession() as session:
        yield Admin(session, server)


async def make_traffic(dqe: DqeClient, server: TestServer) -> dict[str, str]:
    """Requests of every kind; the tokens they used, by what they did."""
    tokens: dict[str, str] = {}

    # A consent flow that succeeds, one the user refuses, one that polls pending once.
    for name, number in (("approved", ORANGE), ("denied", DENIED), ("pending", PENDING)):
        token = await dqe.token()
        started = await dqe.idmobile(token, number, "formfilling")
        assert started.body["status"] == "success", started.body
        status, _, _ = await dqe.visit(started.body["url"])
        assert status == 200
        await dqe.get(token, "formfilling")
        tokens[name] = token
    assert (await dqe.get(tokens["pending"], "formfilling")).body["status"] == "success"

    # A session left waiting for consent; a matching_notp answered directly.
    tokens["waiting"] = await dqe.token()
    await dqe.idmobile(tokens["waiting"], ORANGE, "numVerify")
    await dqe.idmobile(await dqe.token(), ORANGE, "matching_notp")

    # A request that breaks the contract (no mode: error 01), a refused token, an unknown path.
    broken = await dqe.call(
        "IDMOBILE",
        {
            "number": ORANGE,
            "token": tokens["waiting"],
            "name": "ACME",
            "licence": "100001",
            "scope": "formfilling",
        },
    )
    assert broken.error_id == "01", broken.body
    refused = await dqe.call(
        "ACCESS_TOKEN",
        {"client_secret": "wrong", "grant_type": "client_idmobile", "licence": "100001"},
    )
    assert refused.status == 400, refused.body
    async with dqe.session.get(server.make_url("/NOT_AN_ENDPOINT/")) as reply:
        assert reply.status == 404
    # A request accepted leniently (a JSON body): its entry carries a note.
    token_params = {"client_secret": "demo-secret", "grant_type": "client_idmobile"}
    lenient = {**token_params, "licence": "100001"}
    async with dqe.session.post(server.make_url("/ACCESS_TOKEN/"), json=lenient) as reply:
        assert reply.status == 200

    # A second namespace, named by the header.
    async with ClientSession(headers={NAMESPACE_HEADER: TEAM}) as session:
        team = DqeClient(session, server.make_url("/"))
        tokens["team"] = await team.token()
        started = await team.idmobile(tokens["team"], ORANGE, "numVerify")
        assert started.body["status"] == "success", started.body
    return tokens


async def call_every_endpoint(admin: Admin, tokens: dict[str, str]) -> None:
    """Each admin route at least once, successfully, with namespaces both ways."""
    ns: dict[str, Any] = {"params": {"namespace": TEAM}}
    by_header: dict[str, Any] = {"headers": {NAMESPACE_HEADER: TEAM}}

    await admin.call("GET", "/health", "health")
    await admin.call("GET", "/scenarios", "scenario_list")

    added = await admin.call(
        "POST", "/scenarios", "scenario_change", 201, data=TEAM_DOC.encode(), **ns
    )
    assert added == {
        "namespace": TEAM,
        "added": ["acme-number", "acme-range", "acme-pattern"],
        "licences": ["L9"],
        "faults": ["acme-slow", "acme-number/never"],
    }
    await admin.call("POST", "/scenarios", "scenario_change", 201, json=JSON_DOC)
    listed = await admin.call("GET", "/scenarios", "scenario_list", **by_header)
    # The default namespace's runtime scenarios apply to team-a too, and are runtime there.
    runtime = {s["id"]: s for s in listed["scenarios"] if s["layer"] == "runtime"}
    assert set(runtime) == {"acme-number", "acme-range", "acme-pattern", "json-one"}
    assert runtime["acme-range"]["range"] == ["+33639987100", "+33639987199"]
    assert runtime["acme-pattern"]["pattern"] is not None
    await admin.call("GET", "/health", "health")  # now with runtime namespaces

    await admin.call("PUT", "/scenarios", "scenario_change", data=PUT_DOC.encode(), **by_header)
    await admin.call(
        "DELETE",
        "/scenarios/{scenario_id}",
        "scenario_change",
        path_params={"scenario_id": "put-one"},
        **ns,
    )

    await admin.call("GET", "/journal", "journal")
    await admin.call("GET", "/journal", "journal", params={"limit": "3"})
    await admin.call("GET", "/journal", "journal", **by_header)
    await admin.call("GET", "/sessions", "sessions")
    await admin.call("GET", "/sessions", "sessions", **ns)
    for token in tokens.values():
        await admin.call("GET", "/sessions/{token}", "session", path_params={"token": token})
        await admin.download("/sessions/{token}/scenario", {"token": token})

    assert "<title>dqe-mock dashboard</title>" in await admin.page("/ui")
    await admin.call("POST", "/clock/advance", "clock_advance", json={"seconds": 5})
    await admin.call(
        "POST",
        "/clock/advance",
        "clock_advance",
        json={"seconds": 1.5, "token": tokens["waiting"]},
    )
    await admin.call("GET", "/report", "report")
    await admin.call("GET", "/report", "report", **ns)
    await admin.call("POST", "/reload", "reload")
    await admin.call("DELETE", "/journal", "journal_clear", **ns)
    await admin.call("DELETE", "/journal", "journal_clear")
    await admin.call("POST", "/reset", "reset", **by_header)
    await admin.call("POST", "/reset", "reset")


async def collect(admin: Admin, dqe: DqeClient, server: TestServer) -> list[Answer]:
    tokens = await make_traffic(dqe, server)
    await call_every_endpoint(admin, tokens)
    return admin.answers


def test_the_contract_loads_the_admin_schemas() -> None:
    files = sorted(p.name for p in (Path(__file__).parent.parent / "schemas" / "admin").glob("*"))
    assert files
    for name in files:
        assert f"admin/{name}" in contract().schemas, name
    # Every admin schema compiles and is a valid draft 2020-12 schema.
    for name in files:
        Draft202012Validator.check_schema(contract().schemas[f"admin/{name}"])


async def test_every_admin_answer_matches_its_schema(
    admin: Admin, dqe: DqeClient, server: TestServer
) -> None:
    answers = await collect(admin, dqe, server)

    called = {(a.method, a.template) for a in answers}
    assert called == admin_routes(), "call every admin route (and only those)"

    for answer in answers:
        if not answer.schema:  # an HTML page
            continue
        found = violations(answer.schema, answer.body)
        assert found == [], (answer.method, answer.template, answer.body, found)

    # The change answers match their own definition, not only one of the three.
    fragments = {"POST": "added", "PUT": "replaced", "DELETE": "removed"}
    for answer in answers:
        if answer.schema == "scenario_change":
            fragment = f"/$defs/{fragments[answer.method]}"
            assert fragment_violations("scenario_change", fragment, answer.body) == []
            for other in set(fragments.values()) - {fragments[answer.method]}:
                assert fragment_violations("scenario_change", f"/$defs/{other}", answer.body)


async def test_the_traffic_reaches_every_kind_of_value(
    admin: Admin, dqe: DqeClient, server: TestServer
) -> None:
    """A control: the answers validated above do carry the values the schemas allow."""
    answers = await collect(admin, dqe, server)
    journal = next(a.body for a in answers if a.schema == "journal")
    entries = journal["entries"]
    assert {e["endpoint"] for e in entries} == {
        "ACCESS_TOKEN",
        "IDMOBILE",
        "GET",
        "consent",
        "unmatched",
    }
    assert {e["verdict"] for e in entries} == {"conforms", "notes", "violations"}
    assert any(e["error_reason"] for e in entries)
    assert any(e["http_layer"] for e in entries)
    # The licence names the namespace when no header does; an unknown path has neither.
    assert {e["namespace"] for e in entries} == {"100001", TEAM, "default"}
    assert any(e["error_id"] == "invalid_client" for e in entries)
    assert any(e["params"].get("client_secret") == "***" for e in entries)
    assert any(isinstance(e["response"], str) for e in entries)
    assert any(isinstance(e["response"], dict) for e in entries)
    limited = [a.body for a in answers if a.schema == "journal"][1]
    assert limited["entries"] == entries[-3:]

    sessions = [a.body for a in answers if a.schema == "session"]
    assert {s["phase"] for s in sessions} == {"awaiting_consent", "done"}
    assert {s["decision"] for s in sessions} == {"approve", "deny", None}
    kinds = {e["kind"] for s in sessions for e in s["timeline"]}
    assert {"initiate", "consent", "poll", "done"} <= kinds

    clocks = [a.body for a in answers if a.schema == "clock_advance"]
    assert [c["token"] is None for c in clocks] == [True, False]
    resets = [a.body for a in answers if a.schema == "reset"]
    assert resets == [{"reset": TEAM}, {"reset": "all"}]


async def test_error_answers_match_admin_error(admin: Admin, dqe: DqeClient) -> None:
    error = "admin_error"
    # 404: unknown runtime scenario (also: a scenario from the files), unknown session.
    for scenario_id in ("no-such-scenario", "orange-happy"):
        await admin.call(
            "DELETE",
            "/scenarios/{scenario_id}",
            error,
            404,
            path_params={"scenario_id": scenario_id},
        )
    await admin.call("GET", "/sessions/{token}", error, 404, path_params={"token": "TKnone"})
    token = await dqe.token()
    await admin.call("GET", "/sessions/{token}", error, 404, path_params={"token": token})

    # 400: bad clock bodies, an invalid scenario document, a limit that is not a number.
    await admin.call("POST", "/clock/advance", error, 400, data=b"not json")
    # Python's JSON reader accepts these; they are not JSON numbers (nor finite).
    for raw in (b'{"seconds": Infinity}', b'{"seconds": NaN}'):
        await admin.call("POST", "/clock/advance", error, 400, data=raw)
    for body in BAD_CLOCK_BODIES:
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        await admin.call("POST", "/clock/advance", error, 400, data=raw, headers=headers)
    for method in ("POST", "PUT"):
        for doc in ("version: 2\n", "scenarios: [\n", "- just a list\n"):
            bad = await admin.call(method, "/scenarios", error, 400, data=doc.encode())
            assert bad["problems"], bad
    await admin.call("GET", "/journal", error, 400, params={"limit": "ten"})

    assert len(admin.answers) == 4 + 3 + len(BAD_CLOCK_BODIES) + 6 + 1
    for answer in admin.answers:
        assert violations(error, answer.body) == [], (answer.template, answer.body)
        for path, broken in mutations(answer.body):
            assert violations(error, broken), (answer.template, path)


async def test_unauthorized_answers_match_admin_error() -> None:
    settings = Settings(seed=7, frozen_clock=True, admin_token="s3cret")
    server = TestServer(create_app(settings), host="127.0.0.1")
    async with server, ClientSession() as session:
        admin = Admin(session, server)
        for method, template in sorted(admin_routes()):
            path_params = {"scenario_id": "x", "token": "TKx"}
            await admin.call(
                method,
                template.removeprefix(PREFIX),
                "admin_error",
                401,
                path_params=path_params,
                headers={"Authorization": "Bearer wrong"},
            )
        await admin.call("GET", "/health", "health", headers={"Authorization": "Bearer s3cret"})
        for answer in admin.answers:
            assert violations(answer.schema, answer.body) == [], answer


async def test_a_failed_reload_matches_the_reload_schema(tmp_path: Path) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(PUT_DOC, "utf-8")
    settings = Settings(
        seed=7, frozen_clock=True, scenario_paths=(pack,), include_default_pack=False
    )
    server = TestServer(create_app(settings), host="127.0.0.1")
    async with server, ClientSession() as session:
        admin = Admin(session, server)
        good = await admin.call("POST", "/reload", "reload")
        assert good == {"ok": True, "generation": 1, "errors": []}
        pack.write_text("version: 1\nscenarios:\n  - id: broken\n", "utf-8")
        failed = await admin.call("POST", "/reload", "reload", 400)
        assert failed["ok"] is False
        assert failed["errors"]
        health = await admin.call("GET", "/health", "health")
        assert health["last_reload"]["ok"] is False
        assert health["sources"] == [str(pack)]
        # The same reasons, one per item, in both answers.
        assert health["last_reload"]["errors"] == failed["errors"]
        for answer in admin.answers:
            assert violations(answer.schema, answer.body) == [], answer


def test_clock_request_schema_agrees_with_the_server() -> None:
    """What the request schema accepts is what advance_clock accepts (its 400 cases above)."""
    name = "clock_advance_request"
    for body in BAD_CLOCK_BODIES:
        assert violations(name, body), body
    for body in ({"seconds": 0}, {"seconds": 2.5, "token": "TK1"}, {"seconds": 1, "token": None}):
        assert violations(name, body) == [], body


def test_scenario_documents_posted_are_valid_scenario_documents() -> None:
    for doc in (yaml.safe_load(TEAM_DOC), JSON_DOC, yaml.safe_load(PUT_DOC)):
        found = contract().validate_document("scenario.schema.json", doc)
        assert found == [], found


def test_journal_entry_schema_names_every_as_json_field() -> None:
    entry = contract().schemas[schema_file("journal")]["$defs"]["entry"]
    sample = JournalEntry(
        id=1,
        at=0.0,
        namespace="default",
        method="GET",
        path="/",
        endpoint="unmatched",
        params={},
        status=404,
        response=None,
    )
    fields = set(sample.as_json())
    assert {f.name for f in dataclasses.fields(JournalEntry)} <= fields
    assert set(entry["required"]) == fields
    assert set(entry["properties"]) == fields
    assert entry["additionalProperties"] is False


def mutations(body: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Broken copies of an answer: each object key dropped, an unknown key added, each
    scalar replaced by a value of another type."""
    if isinstance(body, dict):
        for key in body:
            broken = copy.deepcopy(body)
            del broken[key]
            yield f"{where}/{key} dropped", broken
            for path, inner in mutations(body[key], f"{where}/{key}"):
                yield path, {**body, key: inner}
        yield f"{where}/ unknown key", {**body, "unexpected": 1}
    elif isinstance(body, list) and body:
        for path, inner in mutations(body[0], f"{where}/0"):
            yield path, [inner, *body[1:]]
    elif isinstance(body, bool) or body is None:
        yield f"{where} as an object", {"x": body}
    elif isinstance(body, int | float | str):
        yield f"{where} as a list", [body]


def free_form(path: str) -> bool:
    """A journal entry's `response` is whatever was answered, and its `params` whatever was
    sent (any names, string values): breaking them there is no violation."""
    if "/params/" in path:
        return not path.endswith("/params/ unknown key")  # an integer value is wrong
    # The report's coverage and conformance counts are maps keyed by what was seen: a key
    # dropped, or another count added, is another report, not a broken one.
    if path.startswith(("/coverage/", "/conformance/notes/", "/conformance/violations/")):
        return not path.endswith(" as a list")
    return "/response/" in path or "/response as " in path


async def test_the_schemas_reject_broken_answers(
    admin: Admin, dqe: DqeClient, server: TestServer
) -> None:
    """Strictness: any key dropped or added, any value of the wrong type, is a violation."""
    answers = await collect(admin, dqe, server)
    seen: set[tuple[str, str]] = set()
    for answer in answers:
        if not answer.schema:  # an HTML page
            continue
        if answer.schema == "scenario.schema.json":
            continue  # a scenario file, whose keys are optional (its own tests: validate)
        for path, broken in mutations(answer.body):
            if (answer.schema, path) in seen or free_form(path):
                continue
            seen.add((answer.schema, path))
            assert violations(answer.schema, broken), (answer.schema, answer.template, path)
    assert len(seen) > 150
