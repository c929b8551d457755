"""Each test scripts the SAME number differently in a namespace of its own, on one shared
server, while the other xdist worker does the same: it must only ever see its own outcome and
its own journal entries, and resetting its namespace must not disturb anyone else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import ClientSession
from yarl import URL

from mockserver.testing.client import DqeClient, Reply

SHARED_NUMBER = "+33639987777"
SCENARIO_ID = "shared"
ROUNDS = 3


@dataclass(frozen=True)
class Script:
    """What a test's scenario makes of the shared number, and what the client must see."""

    name: str
    outcome: dict[str, Any]
    initiate_error: str | None = None
    visit: bool = True
    pending_polls: int = 0
    result_error: str | None = None


SCRIPTS = [
    Script("approve", {}),
    Script("deny", {"consent": {"decision": "deny"}}, result_error="21"),
    Script("wrong-otp", {"consent": {"decision": "wrong_otp"}}, result_error="20"),
    Script("result-18", {"result_error": "18"}, result_error="18"),
    Script("initiate-15", {"initiate_error": "15"}, initiate_error="15"),
    Script(
        "pending-2",
        {"consent": {"auto": True}, "pending": {"polls": 2}},
        visit=False,
        pending_polls=2,
    ),
]


@dataclass
class Flow:
    """The test's client, the admin API seen from its namespace, and what it did."""

    http: ClientSession
    base_url: URL
    namespace: str
    tokens: set[str] = field(default_factory=set)
    endpoints: list[str] = field(default_factory=list)

    @property
    def dqe(self) -> DqeClient:
        return DqeClient(self.http, self.base_url)

    async def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.base_url.with_path(f"/__admin{path}")
        async with self.http.request(method, url, **kwargs) as reply:
            assert reply.status in (200, 201), await reply.text()
            return await reply.json()

    async def journal(self) -> list[dict[str, Any]]:
        return list((await self.admin("GET", "/journal"))["entries"])

    async def sessions(self) -> list[dict[str, Any]]:
        return list((await self.admin("GET", "/sessions"))["sessions"])

    async def token(self) -> str:
        token = await self.dqe.token()
        self.tokens.add(token)
        self.endpoints.append("ACCESS_TOKEN")
        return token

    async def idmobile(self, token: str) -> Reply:
        self.endpoints.append("IDMOBILE")
        return await self.dqe.idmobile(token, SHARED_NUMBER, "formfilling")

    async def get(self, token: str) -> Reply:
        self.endpoints.append("GET")
        return await self.dqe.get(token, "formfilling")

    async def visit(self, url: str) -> None:
        # A browser: no namespace header; the consent step belongs to the session's namespace.
        async with ClientSession() as browser:
            status, _, _ = await DqeClient(browser, self.base_url).visit(url)
        assert status == 200
        self.endpoints.append("consent")


def document(namespace: str, script: Script) -> dict[str, Any]:
    return {
        "version": 1,
        "operators": [{"name": operator_of(namespace)}],
        "scenarios": [
            {
                "id": SCENARIO_ID,
                "description": f"{script.name} for {namespace}",
                "match": {"numbers": [SHARED_NUMBER]},
                "operator": operator_of(namespace),
                "subscriber": {"given_name": namespace, "family_name": script.name},
                "outcome": script.outcome,
            }
        ],
    }


def operator_of(namespace: str) -> str:
    return f"Operator {namespace}"


async def one_round(flow: Flow, script: Script) -> None:
    token = await flow.token()
    started = await flow.idmobile(token)
    assert started.status == 200
    assert not started.violations
    if script.initiate_error:
        assert started.error_id == script.initiate_error, started.body
        assert operator_of(flow.namespace) in started.body["error_type"]
        return
    assert started.body["operator"] == operator_of(flow.namespace), started.body
    if script.visit:
        assert (await flow.get(token)).body["status"] == "pending"
        await flow.visit(started.body["url"])
    for _ in range(script.pending_polls):
        assert (await flow.get(token)).body["status"] == "pending"
    result = await flow.get(token)
    assert not result.violations
    if script.result_error:
        assert result.error_id == script.result_error, result.body
        return
    assert result.body["status"] == "success", result.body
    assert result.body["formfilling"]["given_name"] == flow.namespace
    assert result.body["formfilling"]["family_name"] == script.name


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
async def test_own_scenario_own_journal(
    http: ClientSession, base_url: URL, namespace: str, script: Script
) -> None:
    flow = Flow(http, base_url, namespace)
    await flow.admin("POST", "/reset")
    assert await flow.journal() == []

    replaced = await flow.admin("PUT", "/scenarios", json=document(namespace, script))
    assert replaced == {"namespace": namespace, "scenarios": [SCENARIO_ID]}
    listed = (await flow.admin("GET", "/scenarios"))["scenarios"]
    assert [(s["id"], s["operator"]) for s in listed if s["layer"] == "runtime"] == [
        (SCENARIO_ID, operator_of(namespace))
    ]

    for _ in range(ROUNDS):
        await one_round(flow, script)

    entries = await flow.journal()
    assert [e["endpoint"] for e in entries] == flow.endpoints
    assert {e["namespace"] for e in entries} == {namespace}
    assert {e["token"] for e in entries} == flow.tokens
    assert {e["scenario_id"] for e in entries if e["endpoint"] != "ACCESS_TOKEN"} == {SCENARIO_ID}
    # The client broke no rule; an error the script asked for is a violation with its reason.
    assert all(e["request_violations"] == [] for e in entries), entries
    for entry in entries:
        expected = "violations" if entry["error_id"] else "conforms"
        assert entry["verdict"] == expected, entry
    for entry in entries:
        if entry["endpoint"] == "IDMOBILE" and not script.initiate_error:
            assert entry["response"]["operator"] == operator_of(namespace)
    sessions = await flow.sessions()
    assert {s["token"] for s in sessions} <= flow.tokens
    assert {s["namespace"] for s in sessions} <= {namespace}
    if not script.initiate_error:
        assert len(sessions) == ROUNDS

    reset = await flow.admin("POST", "/reset")
    assert reset == {"reset": namespace}
    assert await flow.journal() == []
    assert await flow.sessions() == []
    # The scenario is gone with the reset: the shared number is the built-in catch-all again,
    # whatever the other tests have scripted for it in their namespaces.
    after = Flow(http, base_url, namespace)
    started = await after.idmobile(await after.token())
    assert started.body["operator"] == "Orange", started.body
    assert [e["endpoint"] for e in await flow.journal()] == ["ACCESS_TOKEN", "IDMOBILE"]
    await flow.admin("POST", "/reset")
