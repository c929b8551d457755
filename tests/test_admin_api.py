"""The /__admin/ control API: health, runtime scenarios per namespace, reset, journal,
sessions and timelines, clock, reload, and the optional admin token."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver import __version__
from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.http.keys import NAMESPACE_HEADER, STATE
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient, Reply

# The same tests on the memory store and on a real Redis (issue 16).
pytestmark = pytest.mark.both_stores
# The conftest's `advance` fixture: moves the clock through the admin API (every store).
Advance = Callable[..., Awaitable[float]]

ADMIN = "/__admin"
ORANGE = "+33639980001"
NEW_NUMBER = "+33639987001"
OTHER_NEW_NUMBER = "+33639987002"
THIRD_NEW_NUMBER = "+33639987003"
BUILT_IN = "<built-in>/default.yaml"

ACME_DOC = f"""\
version: 1
operators:
  - name: Acme Mobile
scenarios:
  - id: acme-get-18
    description: An Acme line; consent succeeds, then /GET/ answers 18.
    match: {{numbers: ["{NEW_NUMBER}"]}}
    operator: Acme Mobile
    outcome: {{result_error: "18"}}
"""

L9_DOC = f"""\
version: 1
licences:
  - licence: L9
    client_secret: nine-secret
operators:
  - name: Acme Mobile
scenarios:
  - id: acme-get-18
    match: {{numbers: ["{NEW_NUMBER}"]}}
    operator: Acme Mobile
    outcome: {{result_error: "18"}}
"""

# Line 8 holds an error id the catalogue does not know.
BAD_ERROR_DOC = f"""\
version: 1
scenarios:
  - id: broken
    match:
      numbers: ["{NEW_NUMBER}"]
    operator: Orange
    outcome:
      result_error: "77"
"""

# Line 4 opens a flow sequence that is never closed.
BAD_YAML_DOC = """\
version: 1
scenarios:
  - id: broken
    match: {numbers: ["+33639987001"
    operator: Orange
"""


def scenario_doc(*items: tuple[str, str, str]) -> str:
    """A document of (id, number, outcome-as-YAML-flow) scenarios on Orange."""
    lines = ["version: 1", "scenarios:"]
    for scenario_id, number, outcome in items:
        lines += [
            f"  - id: {scenario_id}",
            f'    match: {{numbers: ["{number}"]}}',
            "    operator: Orange",
            f"    outcome: {outcome}",
        ]
    return "\n".join(lines) + "\n"


class Admin:
    """Calls of /__admin/ answering (status, decoded JSON body)."""

    def __init__(self, session: ClientSession, server: TestServer) -> None:
        self.session = session
        self.server = server

    async def call(
        self,
        method: str,
        path: str,
        *,
        namespace: str | None = None,
        text: str | None = None,
        body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        query = dict(params or {})
        if namespace is not None:
            query["namespace"] = namespace
        kwargs: dict[str, Any] = {"params": query, "headers": headers or {}}
        if text is not None:
            kwargs["data"] = text.encode()
        if body is not None:
            kwargs["json"] = body
        url = self.server.make_url(f"{ADMIN}{path}")
        async with self.session.request(method, url, **kwargs) as response:
            raw = await response.text()
            if response.content_type == "application/json":
                return response.status, json.loads(raw)
            return response.status, raw

    async def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        got, body = await self.call(method, path, **kwargs)
        assert got == status, (method, path, got, body)
        return body

    async def journal(self, namespace: str | None = None, **params: str) -> list[dict[str, Any]]:
        body = await self.ok("GET", "/journal", namespace=namespace, params=params)
        return list(body["entries"])

    async def runtime_ids(self, namespace: str) -> list[str]:
        body = await self.ok("GET", "/scenarios", namespace=namespace)
        return [s["id"] for s in body["scenarios"] if s["layer"] == "runtime"]


@pytest.fixture
async def admin(server: TestServer) -> AsyncIterator[Admin]:
    async with ClientSession() as session:
        yield Admin(session, server)


ClientFactory = Callable[[str | None], Awaitable[DqeClient]]


@pytest.fixture
async def client_for(server: TestServer) -> AsyncIterator[ClientFactory]:
    """DqeClient factory: one whose requests carry X-Dqe-Namespace (or none, for None)."""
    async with AsyncExitStack() as stack:

        async def make(namespace: str | None) -> DqeClient:
            headers = {NAMESPACE_HEADER: namespace} if namespace else {}
            session = await stack.enter_async_context(ClientSession(headers=headers))
            return DqeClient(session, server.make_url("/"))

        yield make


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[TestServer, Admin, DqeClient]]:
    """A mock with non-default settings, an admin client and a DQE client of it."""
    server = TestServer(create_app(settings), host="127.0.0.1")
    async with server, ClientSession() as session:
        yield server, Admin(session, server), DqeClient(session, server.make_url("/"))


async def consent_flow(
    dqe: DqeClient, number: str, licence: str = "100001", secret: str = "demo-secret"
) -> tuple[str, Reply, Reply]:
    """token, /IDMOBILE/ formfilling, consent as the scenario says, /GET/."""
    token = await dqe.token(licence, secret)
    started = await dqe.idmobile(token, number, "formfilling", licence=licence)
    assert started.status == 200, started.body
    assert started.body["status"] == "success", started.body
    status, _, _ = await dqe.visit(started.body["url"])
    assert status == 200
    return token, started, await dqe.get(token, "formfilling", licence=licence)


# -- health -----------------------------------------------------------------------------------


async def test_health_reports_what_is_loaded(admin: Admin, state: MockState) -> None:
    body = await admin.ok("GET", "/health")
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["scenarios"] == len(state.scenarios.scenarios) > 40
    assert body["sources"] == [BUILT_IN]
    assert body["namespaces"] == []
    assert body["last_reload"] == {"ok": True, "generation": 0, "errors": []}
    assert body["journal"] == {"entries": 0, "limit": 1000}
    assert body["generation"] == 0
    # Served in this process (TestServer), alone: worker 1.
    assert body["process"] == {"pid": os.getpid(), "worker": 1}


async def test_health_follows_namespaces_generation_and_journal(
    admin: Admin, client_for: ClientFactory
) -> None:
    await admin.ok("POST", "/scenarios", 201, namespace="team-a", text=ACME_DOC)
    await (await client_for("team-a")).token()
    body = await admin.ok("GET", "/health")
    assert body["namespaces"] == ["team-a"]
    assert body["generation"] == 1
    assert body["journal"]["entries"] == 1


# -- listing ----------------------------------------------------------------------------------


async def test_list_is_the_built_in_pack_in_matching_order(admin: Admin, state: MockState) -> None:
    body = await admin.ok("GET", "/scenarios")
    assert body["namespace"] == "default"
    items = body["scenarios"]
    assert [s["id"] for s in items] == [s.id for s in state.scenarios.scenarios]
    assert items[0]["id"] == "orange-happy"
    assert items[-1]["id"] == "any-mobile"
    assert {s["layer"] for s in items} == {"files"}
    first = items[0]
    assert first["numbers"] == [ORANGE]
    assert first["operator"] == "Orange"
    assert first["source"].startswith(f"{BUILT_IN}:")
    assert items[-1]["any"] is True


async def test_list_puts_user_files_before_the_pack_and_runtime_first(tmp_path: Path) -> None:
    file = tmp_path / "team.yaml"
    file.write_text(
        scenario_doc(
            ("file-one", OTHER_NEW_NUMBER, '{result_error: "18"}'),
            ("file-two", THIRD_NEW_NUMBER, '{initiate_error: "15"}'),
        )
    )
    settings = Settings(seed=7, frozen_clock=True, scenario_paths=(file,))
    async with running(settings) as (_, admin, _dqe):
        health = await admin.ok("GET", "/health")
        assert health["sources"] == [BUILT_IN, str(file)]
        files = (await admin.ok("GET", "/scenarios"))["scenarios"]
        assert [s["id"] for s in files[:3]] == ["file-one", "file-two", "orange-happy"]
        assert files[0]["source"] == f"{file}:3"
        assert files[-1]["id"] == "any-mobile"

        await admin.ok("POST", "/scenarios", 201, namespace="team-a", text=ACME_DOC)
        listed = await admin.ok("GET", "/scenarios", headers={NAMESPACE_HEADER: "team-a"})
        assert listed["namespace"] == "team-a"
        items = listed["scenarios"]
        assert [(s["id"], s["layer"]) for s in items[:3]] == [
            ("acme-get-18", "runtime"),
            ("file-one", "files"),
            ("file-two", "files"),
        ]
        assert items[0]["source"].startswith("<admin:team-a>:")
        # Another namespace sees the files only.
        other = (await admin.ok("GET", "/scenarios", namespace="team-b"))["scenarios"]
        assert [s["id"] for s in other] == [s["id"] for s in files]


# -- runtime scenarios ------------------------------------------------------------------------


async def test_posted_yaml_scenario_drives_its_namespace_only(
    admin: Admin, client_for: ClientFactory
) -> None:
    added = await admin.ok("POST", "/scenarios", 201, namespace="team-a", text=ACME_DOC)
    assert added == {"namespace": "team-a", "added": ["acme-get-18"], "licences": [], "faults": []}

    team_a = await client_for("team-a")
    token, started, result = await consent_flow(team_a, NEW_NUMBER)
    assert started.body["operator"] == "Acme Mobile"
    assert "/operator/acme-mobile/consent/" in started.body["url"]
    assert result.status == 200
    assert result.body["status"] == "error"
    assert result.body["error_id"] == "18"
    assert not result.violations

    # The same number elsewhere: the built-in catch-all (Orange, success).
    for other in (await client_for("team-b"), await client_for(None)):
        _, started, result = await consent_flow(other, NEW_NUMBER)
        assert started.body["operator"] == "Orange"
        assert result.body["status"] == "success", result.body

    entries = await admin.journal("team-a")
    assert [e["endpoint"] for e in entries] == ["ACCESS_TOKEN", "IDMOBILE", "consent", "GET"]
    assert {e["namespace"] for e in entries} == {"team-a"}
    assert [e["scenario_id"] for e in entries[1:]] == ["acme-get-18"] * 3
    assert {e["token"] for e in entries} == {token}
    assert entries[-1]["error_id"] == "18"
    assert {e["scenario_id"] for e in await admin.journal("team-b")} == {None, "any-mobile"}
    # Without the header, a request's namespace is its licence code.
    assert {e["namespace"] for e in await admin.journal("100001")} == {"100001"}
    assert len(await admin.journal("100001")) == 4


async def test_a_licence_is_its_own_namespace(admin: Admin, client_for: ClientFactory) -> None:
    added = await admin.ok("POST", "/scenarios", 201, namespace="L9", text=L9_DOC)
    assert added["licences"] == ["L9"]

    plain = await client_for(None)  # no header: the namespace is the licence, L9
    token, started, result = await consent_flow(plain, NEW_NUMBER, "L9", "nine-secret")
    assert started.body["operator"] == "Acme Mobile"
    assert result.body["error_id"] == "18"
    entries = await admin.journal("L9")
    assert [e["endpoint"] for e in entries] == ["ACCESS_TOKEN", "IDMOBILE", "consent", "GET"]
    assert {e["token"] for e in entries} == {token}

    # The licence exists in namespace L9 only.
    elsewhere = await client_for("team-b")
    refused = await elsewhere.call(
        "ACCESS_TOKEN",
        {"client_secret": "nine-secret", "grant_type": "client_idmobile", "licence": "L9"},
    )
    assert refused.status == 400
    assert refused.error_id == "invalid_client"
    # And licence 100001 (its own namespace) still sees the catch-all for the number.
    _, started, _ = await consent_flow(plain, NEW_NUMBER)
    assert started.body["operator"] == "Orange"


async def test_posted_json_document_works_too(admin: Admin, client_for: ClientFactory) -> None:
    document = {
        "version": 1,
        "scenarios": [
            {
                "id": "json-15",
                "match": {"numbers": [OTHER_NEW_NUMBER]},
                "operator": "Orange",
                "outcome": {"initiate_error": "15"},
            }
        ],
    }
    added = await admin.ok("POST", "/scenarios", 201, namespace="team-j", body=document)
    assert added["added"] == ["json-15"]
    team = await client_for("team-j")
    reply = await team.idmobile(await team.token(), OTHER_NEW_NUMBER, "formfilling")
    assert reply.error_id == "15"
    assert "Orange" in reply.body["error_type"]
    elsewhere = await client_for("team-k")
    reply = await elsewhere.idmobile(await elsewhere.token(), OTHER_NEW_NUMBER, "formfilling")
    assert reply.body["status"] == "success"


async def test_posting_adds_and_replaces_by_id(admin: Admin, client_for: ClientFactory) -> None:
    await admin.ok(
        "POST", "/scenarios", 201, namespace="ns", text=scenario_doc(("a", NEW_NUMBER, "{}"))
    )
    await admin.ok(
        "POST",
        "/scenarios",
        201,
        namespace="ns",
        text=scenario_doc(
            ("b", OTHER_NEW_NUMBER, "{}"), ("a", NEW_NUMBER, '{initiate_error: "15"}')
        ),
    )
    assert await admin.runtime_ids("ns") == ["b", "a"]
    team = await client_for("ns")
    reply = await team.idmobile(await team.token(), NEW_NUMBER, "formfilling")
    assert reply.error_id == "15"


@pytest.mark.parametrize(
    ("document", "line", "words"),
    [(BAD_ERROR_DOC, 8, "77"), (BAD_YAML_DOC, 5, "YAML")],
    ids=["unknown-error-id", "bad-yaml"],
)
async def test_an_invalid_document_is_a_400_naming_namespace_and_line(
    admin: Admin, document: str, line: int, words: str
) -> None:
    status, body = await admin.call("POST", "/scenarios", namespace="team-a", text=document)
    assert status == 400
    assert body["error"] == "invalid scenario document"
    assert body["problems"], body
    first = body["problems"][0]
    assert first.startswith(f"<admin:team-a>:{line}:"), body
    assert words in first
    status, body = await admin.call("PUT", "/scenarios", namespace="team-a", text=document)
    assert status == 400
    assert body["problems"][0].startswith(f"<admin:team-a>:{line}:")
    # Nothing was added.
    assert await admin.runtime_ids("team-a") == []
    assert (await admin.ok("GET", "/health"))["namespaces"] == []


async def test_a_document_that_is_not_a_mapping_is_a_400(admin: Admin) -> None:
    status, body = await admin.call("POST", "/scenarios", namespace="x", text="- just\n- a list\n")
    assert status == 400
    assert body["problems"][0].startswith("<admin:x>:1:")


async def test_put_replaces_the_whole_runtime_layer(
    admin: Admin, client_for: ClientFactory
) -> None:
    await admin.ok(
        "POST",
        "/scenarios",
        201,
        namespace="ns",
        text=scenario_doc(
            ("a", NEW_NUMBER, '{initiate_error: "15"}'),
            ("b", OTHER_NEW_NUMBER, '{initiate_error: "15"}'),
        ),
    )
    replaced = await admin.ok(
        "PUT",
        "/scenarios",
        namespace="ns",
        text=scenario_doc(("c", THIRD_NEW_NUMBER, '{initiate_error: "16"}')),
    )
    assert replaced == {"namespace": "ns", "scenarios": ["c"]}
    assert await admin.runtime_ids("ns") == ["c"]
    team = await client_for("ns")
    token = await team.token()
    assert (await team.idmobile(token, NEW_NUMBER, "formfilling")).body["status"] == "success"
    assert (await team.idmobile(token, THIRD_NEW_NUMBER, "formfilling")).error_id == "16"


async def test_delete_removes_one_runtime_scenario(admin: Admin, client_for: ClientFactory) -> None:
    await admin.ok(
        "POST",
        "/scenarios",
        201,
        namespace="ns",
        text=scenario_doc(
            ("a", NEW_NUMBER, '{initiate_error: "15"}'),
            ("b", OTHER_NEW_NUMBER, '{initiate_error: "15"}'),
        ),
    )
    removed = await admin.ok("DELETE", "/scenarios/a", namespace="ns")
    assert removed == {"namespace": "ns", "removed": "a"}
    assert await admin.runtime_ids("ns") == ["b"]
    team = await client_for("ns")
    token = await team.token()
    assert (await team.idmobile(token, NEW_NUMBER, "formfilling")).body["status"] == "success"
    assert (await team.idmobile(token, OTHER_NEW_NUMBER, "formfilling")).error_id == "15"

    for namespace, scenario_id in [("ns", "a"), ("other", "b"), ("ns", "orange-happy")]:
        status, body = await admin.call("DELETE", f"/scenarios/{scenario_id}", namespace=namespace)
        assert status == 404, (namespace, scenario_id)
        assert scenario_id in body["error"]
    assert await admin.runtime_ids("ns") == ["b"]


async def test_deleting_a_runtime_override_brings_the_file_scenario_back(
    admin: Admin, client_for: ClientFactory
) -> None:
    override = scenario_doc(("orange-happy", ORANGE, '{initiate_error: "15"}'))
    await admin.ok("POST", "/scenarios", 201, namespace="ns", text=override)
    listed = (await admin.ok("GET", "/scenarios", namespace="ns"))["scenarios"]
    assert [s["layer"] for s in listed if s["id"] == "orange-happy"] == ["runtime"]
    team = await client_for("ns")
    token = await team.token()
    assert (await team.idmobile(token, ORANGE, "formfilling")).error_id == "15"
    await admin.ok("DELETE", "/scenarios/orange-happy", namespace="ns")
    reply = await team.idmobile(token, ORANGE, "formfilling")
    assert reply.body["status"] == "success"
    listed = (await admin.ok("GET", "/scenarios", namespace="ns"))["scenarios"]
    assert (listed[0]["id"], listed[0]["layer"]) == ("orange-happy", "files")


# -- reset ------------------------------------------------------------------------------------


async def test_resetting_one_namespace_leaves_another_working(
    admin: Admin, client_for: ClientFactory
) -> None:
    await admin.ok("POST", "/scenarios", 201, namespace="a", text=ACME_DOC)
    await admin.ok("POST", "/scenarios", 201, namespace="b", text=ACME_DOC)
    a, b = await client_for("a"), await client_for("b")
    token_a, token_b = await a.token(), await b.token()
    started_a = await a.idmobile(token_a, NEW_NUMBER, "formfilling")
    started_b = await b.idmobile(token_b, NEW_NUMBER, "formfilling")
    assert started_a.body["operator"] == started_b.body["operator"] == "Acme Mobile"
    journal_b = await admin.journal("b")
    assert len(journal_b) == 2

    assert await admin.ok("POST", "/reset", namespace="a") == {"reset": "a"}

    assert await admin.journal("a") == []
    assert (await admin.ok("GET", "/sessions", namespace="a"))["sessions"] == []
    assert await admin.runtime_ids("a") == []
    status, _ = await admin.call("GET", f"/sessions/{token_a}")
    assert status == 404
    assert (await a.get(token_a, "formfilling")).error_id == "30"
    # The consent url of a's forgotten session is gone too.
    status, _, _ = await a.visit(started_a.body["url"])
    assert status == 404

    # b is untouched: journal, session, runtime scenario and token.
    assert await admin.journal("b") == journal_b
    sessions_b = (await admin.ok("GET", "/sessions", namespace="b"))["sessions"]
    assert [s["token"] for s in sessions_b] == [token_b]
    assert await admin.runtime_ids("b") == ["acme-get-18"]
    assert (await b.get(token_b, "formfilling")).body["status"] == "pending"
    status, _, _ = await b.visit(started_b.body["url"])
    assert status == 200
    assert (await b.get(token_b, "formfilling")).error_id == "18"
    assert (await admin.ok("GET", "/health"))["namespaces"] == ["b"]


async def test_global_reset_forgets_everything_and_rewinds_the_clock(
    admin: Admin, client_for: ClientFactory
) -> None:
    await admin.ok("POST", "/scenarios", 201, namespace="a", text=ACME_DOC)
    a, b = await client_for("a"), await client_for("b")
    token_a, token_b = await a.token(), await b.token()
    await a.idmobile(token_a, NEW_NUMBER, "formfilling")
    await b.idmobile(token_b, NEW_NUMBER, "formfilling")
    start = (await admin.ok("POST", "/clock/advance", body={"seconds": 0}))["now"]
    assert (await admin.ok("POST", "/clock/advance", body={"seconds": 100}))["now"] == start + 100
    await admin.ok("POST", "/clock/advance", body={"seconds": 50, "token": token_b})

    assert await admin.ok("POST", "/reset") == {"reset": "all"}

    assert await admin.journal() == []
    assert (await admin.ok("GET", "/sessions"))["sessions"] == []
    health = await admin.ok("GET", "/health")
    assert health["namespaces"] == []
    assert health["journal"]["entries"] == 0
    assert health["scenarios"] > 40  # files stay loaded
    assert (await admin.ok("POST", "/clock/advance", body={"seconds": 0}))["now"] == start
    for client, token in [(a, token_a), (b, token_b)]:
        assert (await client.get(token, "formfilling")).error_id == "30"
    # Fresh tokens work, and a's scenario is gone.
    started = await a.idmobile(await a.token(), NEW_NUMBER, "formfilling")
    assert started.body["operator"] == "Orange"


# -- journal ----------------------------------------------------------------------------------


async def test_journal_by_namespace_and_limit(admin: Admin, client_for: ClientFactory) -> None:
    x, y = await client_for("x"), await client_for("y")
    token_x = await x.token()
    await y.token()
    await x.idmobile(token_x, ORANGE, "formfilling")
    await y.token()
    await x.get(token_x, "formfilling")

    everything = await admin.journal()
    assert [e["namespace"] for e in everything] == ["x", "y", "x", "y", "x"]
    assert [e["id"] for e in everything] == [1, 2, 3, 4, 5]
    of_x = await admin.journal("x")
    assert [e["endpoint"] for e in of_x] == ["ACCESS_TOKEN", "IDMOBILE", "GET"]
    assert [e["id"] for e in await admin.journal("x", limit="2")] == [3, 5]
    assert [e["id"] for e in await admin.journal(limit="1")] == [5]
    assert [e["id"] for e in await admin.journal("y", limit="10")] == [2, 4]
    by_header = await admin.ok("GET", "/journal", headers={NAMESPACE_HEADER: "y"})
    assert [e["id"] for e in by_header["entries"]] == [2, 4]
    assert await admin.journal("nobody") == []

    for bad in ["abc", "-1", "1.5", "2x"]:
        status, body = await admin.call("GET", "/journal", params={"limit": bad})
        assert status == 400, bad
        assert "limit" in body["error"]

    assert await admin.ok("DELETE", "/journal", namespace="x") == {"cleared": "x"}
    assert await admin.journal("x") == []
    assert [e["id"] for e in await admin.journal()] == [2, 4]
    assert await admin.ok("DELETE", "/journal") == {"cleared": "all"}
    assert await admin.journal() == []


# -- sessions ---------------------------------------------------------------------------------


async def test_session_timeline_in_order(admin: Admin, client_for: ClientFactory) -> None:
    team = await client_for("t")
    token = await team.token()
    started = await team.idmobile(token, ORANGE, "formfilling")
    assert (await team.get(token, "formfilling")).body["status"] == "pending"
    await admin.ok("POST", "/clock/advance", body={"seconds": 2})
    status, _, _ = await team.visit(started.body["url"])
    assert status == 200
    await admin.ok("POST", "/clock/advance", body={"seconds": 3})
    assert (await team.get(token, "formfilling")).body["status"] == "success"

    session = await admin.ok("GET", f"/sessions/{token}")
    assert session["token"] == token
    assert session["namespace"] == "t"
    assert session["scope"] == "formfilling"
    assert session["number"] == ORANGE
    assert session["operator"] == "Orange"
    assert session["scenario"] == "orange-happy"
    assert session["phase"] == "done"
    assert session["decision"] == "approve"
    assert session["id"] in started.body["url"]
    timeline = session["timeline"]
    assert [e["kind"] for e in timeline] == ["initiate", "poll", "consent", "done"]
    assert [e["detail"] for e in timeline[1:]] == ["pending", "approve", "success"]
    assert "orange-happy" in timeline[0]["detail"]
    times = [e["at"] for e in timeline]
    assert times[0] == times[1]
    assert times[2] == times[1] + 2
    assert times[3] == times[2] + 3


async def test_sessions_list_by_namespace(admin: Admin, client_for: ClientFactory) -> None:
    one, two = await client_for("one"), await client_for("two")
    token_one, token_two = await one.token(), await two.token()
    await one.idmobile(token_one, ORANGE, "formfilling")
    await two.idmobile(token_two, ORANGE, "numVerify")
    everything = (await admin.ok("GET", "/sessions"))["sessions"]
    assert [s["token"] for s in everything] == [token_one, token_two]
    only_two = (await admin.ok("GET", "/sessions", namespace="two"))["sessions"]
    assert [(s["token"], s["scope"], s["phase"]) for s in only_two] == [
        (token_two, "numVerify", "awaiting_consent")
    ]
    assert [e["kind"] for e in only_two[0]["timeline"]] == ["initiate"]
    status, body = await admin.call("GET", "/sessions/TKnothing")
    assert status == 404
    assert "error" in body


# -- clock ------------------------------------------------------------------------------------


async def test_advancing_the_clock_expires_every_token(admin: Admin, dqe: DqeClient) -> None:
    token = await dqe.token()
    started = await dqe.idmobile(token, ORANGE, "formfilling")
    assert started.body["status"] == "success"
    await admin.ok("POST", "/clock/advance", body={"seconds": 299})
    assert (await dqe.get(token, "formfilling")).body["status"] == "pending"
    moved = await admin.ok("POST", "/clock/advance", body={"seconds": 1})
    assert moved["advanced"] == 1
    assert moved["token"] is None
    assert (await dqe.get(token, "formfilling")).error_id == "30"
    assert (await dqe.idmobile(token, ORANGE, "formfilling")).error_id == "30"
    # A token issued after the advance is good for its own 300 seconds.
    fresh = await dqe.token()
    assert (await dqe.idmobile(fresh, ORANGE, "formfilling")).body["status"] == "success"


async def test_advancing_one_token_expires_that_token_only(admin: Admin, dqe: DqeClient) -> None:
    first, second = await dqe.token(), await dqe.token()
    before = (await admin.ok("POST", "/clock/advance", body={"seconds": 0}))["now"]
    moved = await admin.ok("POST", "/clock/advance", body={"seconds": 301, "token": first})
    assert moved == {"now": before + 301, "advanced": 301, "token": first}
    assert (await dqe.idmobile(first, ORANGE, "formfilling")).error_id == "30"
    assert (await dqe.idmobile(second, ORANGE, "formfilling")).body["status"] == "success"
    assert (await admin.ok("POST", "/clock/advance", body={"seconds": 0}))["now"] == before


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        "{}",
        '{"seconds": -1}',
        '{"seconds": "5"}',
        '{"seconds": true}',
        '{"seconds": null}',
        '{"seconds": 5, "token": 7}',
    ],
)
async def test_advance_with_a_bad_body_is_a_400(admin: Admin, body: str) -> None:
    before = (await admin.ok("POST", "/clock/advance", body={"seconds": 0}))["now"]
    status, answer = await admin.call(
        "POST", "/clock/advance", text=body, headers={"Content-Type": "application/json"}
    )
    assert status == 400
    assert "error" in answer
    assert (await admin.ok("POST", "/clock/advance", body={"seconds": 0}))["now"] == before


@pytest.mark.parametrize("seconds", ["NaN", "Infinity", "-Infinity", "1e400"])
async def test_advance_refuses_seconds_that_are_not_finite(
    admin: Admin, dqe: DqeClient, seconds: str
) -> None:
    before = (await admin.ok("POST", "/clock/advance", body={"seconds": 0}))["now"]
    status, _ = await admin.call(
        "POST",
        "/clock/advance",
        text=f'{{"seconds": {seconds}}}',
        headers={"Content-Type": "application/json"},
    )
    assert status == 400
    assert (await admin.ok("POST", "/clock/advance", body={"seconds": 0}))["now"] == before
    token = await dqe.token()  # time still works: no 500, tokens still valid
    assert (await dqe.idmobile(token, ORANGE, "formfilling")).body["status"] == "success"


# -- reload -----------------------------------------------------------------------------------


async def test_reload_endpoint_loads_the_files_again(admin: Admin, state: MockState) -> None:
    loaded = state.scenarios
    body = await admin.ok("POST", "/reload")
    assert body == {"ok": True, "generation": 1, "errors": []}
    assert state.scenarios is not loaded
    assert [s.id for s in state.scenarios.scenarios] == [s.id for s in loaded.scenarios]
    health = await admin.ok("GET", "/health")
    assert health["last_reload"] == {"ok": True, "generation": 1, "errors": []}


# -- admin token ------------------------------------------------------------------------------


async def test_admin_token_guards_admin_only() -> None:
    settings = Settings(seed=7, frozen_clock=True, admin_token="s3cret")
    async with running(settings) as (server, admin, dqe):
        token = await dqe.token()  # the DQE endpoints stay open
        started = await dqe.idmobile(token, ORANGE, "formfilling")
        assert started.body["status"] == "success"
        status, _, _ = await dqe.visit(started.body["url"])
        assert status == 200
        assert (await dqe.get(token, "formfilling")).body["status"] == "success"

        for headers in [
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": "Bearer "},
            {"Authorization": "Basic s3cret"},
            {"Authorization": "Bearer s3cret-and-more"},
        ]:
            for method, path in [
                ("GET", "/health"),
                ("GET", "/journal"),
                ("POST", "/reset"),
                ("GET", "/sessions"),
            ]:
                status, body = await admin.call(method, path, headers=headers)
                assert status == 401, (headers, method, path)
                assert "admin token" in body["error"]
        # The refused reset did nothing.
        state = server.app[STATE]
        assert len(state.journal) == 4
        assert len(state.sessions) == 1

        good = {"Authorization": "Bearer s3cret"}
        entries = await admin.ok("GET", "/journal", headers=good)
        assert len(entries["entries"]) == 4
        assert await admin.ok("POST", "/reset", headers=good) == {"reset": "all"}
        assert len(state.journal) == 0


async def test_admin_token_needs_the_bearer_scheme() -> None:
    settings = Settings(seed=7, frozen_clock=True, admin_token="s3cret")
    async with running(settings) as (_, admin, _dqe):
        # The documented form is `Authorization: Bearer <token>`; the bare secret is not it.
        status, _ = await admin.call("GET", "/health", headers={"Authorization": "s3cret"})
        assert status == 401


async def test_without_an_admin_token_admin_is_open(admin: Admin) -> None:
    body = await admin.ok("GET", "/health", headers={"Authorization": "Bearer anything"})
    assert body["status"] == "ok"
