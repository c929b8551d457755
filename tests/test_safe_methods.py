"""Requests that must not change state, by HTTP's rules: HEAD on every route, GET of the
consent page and of the admin API.

The routes come from the route table (mockserver.http.routes.ROUTES), so a new route is
covered without touching this file. Before and after each request the test takes a snapshot
of everything observable: tokens, sessions (phase, decision, poll and code counters,
timeline, final answer), runtime scenarios and the registry's generation, the clock (global
and per token), fault counters, and (for HEAD) the journal.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.domain.service import MockState
from mockserver.http.keys import ENDPOINTS
from mockserver.http.proxy import ROUTES as PROXY_ROUTES
from mockserver.http.proxy import ProxySettings, create_proxy_app
from mockserver.http.routes import ROUTES
from mockserver.testing.client import DqeClient

ORANGE = "+33639980001"  # orange-happy: consent awaited until the page is answered
PENDING = "+33639984003"  # pending-3-polls: consents by itself, then pending 3 polls
RUNTIME = """\
version: 1
scenarios:
  - id: runtime-one
    match: {numbers: ["+33639987001"]}
    operator: Orange
faults:
  - id: counted
    kind: latency
    latency: {fixed: 0}
    numbers: ["+33639980001", "+33639984003"]
"""
DQE_PATHS = {f"{path}/" for path in ENDPOINTS} | set(ENDPOINTS)


def snapshot(state: MockState, journal: bool = True) -> dict[str, Any]:
    """Everything a request could change, as plain comparable values.

    journal=False leaves out the journal and the fault counters: they log requests, and a
    fault's `first: N` counts every request it meets, safe ones too (a flaky gateway fails
    a GET as readily as a POST). A HEAD changes neither.
    """
    sessions = [
        (
            s.id,
            s.token,
            s.phase,
            s.decision,
            s.polls_after_consent,
            s.otp_attempts,
            s.final,
            tuple(s.events),
        )
        for s in state.sessions.all()
    ]
    found: dict[str, Any] = {
        "tokens": [(t.value, t.licence, t.expires_at, t.namespace) for t in state.tokens.all()],
        "sessions": sessions,
        "generation": state.registry.generation,
        "runtime": {n: state.registry.runtime(n) for n in state.registry.namespaces()},
        "now": state.clock.now(),
        "clock keys": state.clock.keys(),
    }
    if journal:
        found["journal"] = [e.id for e in state.journal.entries()]
        found["faults"] = state.faults.counts()
    return found


async def prepared(dqe: DqeClient, http: ClientSession, server: TestServer) -> dict[str, str]:
    """State worth protecting: a session awaiting consent, one pending, runtime scenarios,
    counted faults, a per-token clock offset. Returns what the paths and queries need."""
    async with http.post(server.make_url("/__admin/scenarios"), data=RUNTIME) as reply:
        assert reply.status == 201, await reply.text()
    waiting = await dqe.token()
    started = await dqe.idmobile(waiting, ORANGE, "formfilling", redirect_uri="https://p.example/")
    assert started.body["status"] == "success", started.body
    pending = await dqe.token()
    assert (await dqe.idmobile(pending, PENDING, "numVerify")).body["status"] == "success"
    assert (await dqe.get(pending, "numVerify")).body["status"] == "pending"
    advance = {"seconds": 1, "token": pending}
    async with http.post(server.make_url("/__admin/clock/advance"), json=advance) as reply:
        assert reply.status == 200
    session_id = str(started.body["url"]).rsplit("/", 1)[1]
    return {"waiting": waiting, "pending": pending, "session_id": session_id}


def paths_and_queries(known: dict[str, str]) -> list[tuple[str, dict[str, str]]]:
    """Every route path of the table, filled in, with a query that would act if obeyed."""
    values = {
        "operator": "orange",
        "session_id": known["session_id"],
        "scenario_id": "runtime-one",
        "token": known["pending"],
        "path": "requests/idmobile.schema.json",
    }
    queries = {
        "ACCESS_TOKEN": {"client_secret": "demo-secret", "grant_type": "client_idmobile",
                         "licence": "100001"},
        "IDMOBILE": {"number": ORANGE, "token": known["waiting"], "name": "ACME",
                     "licence": "100001", "scope": "formfilling", "mode": "2"},
        "GET": {"token": known["pending"], "Licence": "100001", "scope": "numVerify"},
    }  # fmt: skip
    found = []
    for template in sorted({route.path for route in ROUTES}):
        path = re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: values[m.group(1)], template)
        endpoint = ENDPOINTS.get(path.rstrip("/"))
        found.append((path, queries[endpoint] if endpoint else {}))
    return found


async def test_head_changes_nothing_on_any_route(
    dqe: DqeClient, server: TestServer, state: MockState
) -> None:
    async with ClientSession() as http:
        known = await prepared(dqe, http, server)
        tried = paths_and_queries(known)
        assert len(tried) == len({r.path for r in ROUTES})
        for path, query in [*tried, ("/NOT_A_ROUTE/", {})]:
            before = snapshot(state)
            async with http.head(server.make_url(path), params=query) as reply:
                status, ctype, body = reply.status, reply.content_type, await reply.read()
            assert snapshot(state) == before, path
            assert body == b"", path
            if path in DQE_PATHS:
                # Documented here and in docs/limits.md: 200, the JSON type, no body, no action.
                assert (status, ctype) == (200, "application/json"), path
    # A control: the same query by GET does act (so the HEADs above could have).
    before = snapshot(state)
    assert (await dqe.get(known["pending"], "numVerify")).body["status"] == "pending"
    assert snapshot(state) != before


async def test_head_answers_as_get_would_on_the_reads(
    dqe: DqeClient, server: TestServer, state: MockState
) -> None:
    """On the consent page and the admin reads HEAD gives GET's status and type, unsent body."""
    async with ClientSession() as http:
        known = await prepared(dqe, http, server)
        reads = [
            path
            for route in ROUTES
            if route.method == "GET"
            for path, _ in paths_and_queries(known)
            if re.fullmatch(re.sub(r"\{\w+(?::[^}]*)?\}", ".+", route.path), path)
            and path not in DQE_PATHS
        ]
        assert {"/__admin/health", "/__admin/sessions"} <= set(reads)
        for path in reads:
            async with http.head(server.make_url(path)) as head:
                pass
            async with http.get(server.make_url(path)) as get:
                await get.read()
            assert (head.status, head.content_type) == (get.status, get.content_type), path


async def test_get_of_the_consent_page_and_admin_reads_changes_nothing(
    dqe: DqeClient, server: TestServer, state: MockState
) -> None:
    """GET is safe where the mock owns the method's meaning (not DQE's own GET endpoints, which
    the vendor defines as acting). The journal logs the consent page visit and a fault on it
    counts the visit (see snapshot): logs and the fault schedule, not the resource's state."""
    async with ClientSession() as http:
        known = await prepared(dqe, http, server)
        gets = {r.path for r in ROUTES if r.method == "GET"}
        checked = 0
        for path, _ in paths_and_queries(known):
            template = next(
                (t for t in gets if re.fullmatch(re.sub(r"\{\w+(?::[^}]*)?\}", ".+", t), path)),
                None,
            )
            if template is None or path in DQE_PATHS:
                continue
            before = snapshot(state, journal=False)
            async with http.get(server.make_url(path)) as reply:
                assert reply.status == 200, (path, await reply.text())
            assert snapshot(state, journal=False) == before, path
            checked += 1
        assert checked == len({t for t in gets if t.rstrip("/") not in ENDPOINTS})


async def test_head_through_the_proxy_reaches_no_upstream(
    dqe: DqeClient, server: TestServer, state: MockState
) -> None:
    """The proxy answers HEAD itself: forwarded, a HEAD could act on the upstream (a real
    DQE server may run its GET handler for it). Every route of the proxy's table is tried."""
    settings = ProxySettings(upstream=str(server.make_url("/")))
    async with (
        TestServer(create_proxy_app(settings), host="127.0.0.1") as proxy,
        ClientSession() as http,
    ):
        known = await prepared(dqe, http, server)
        queries = dict(paths_and_queries(known))
        paths = sorted({route.path for route in PROXY_ROUTES})
        before = snapshot(state)
        for path in paths:
            async with http.head(proxy.make_url(path), params=queries.get(path, {})) as reply:
                assert reply.status == 200, path
                assert await reply.read() == b"", path
        assert snapshot(state) == before
        async with http.get(proxy.make_url("/__proxy/report")) as reply:
            assert (await reply.json())["exchanges"] == 0
    assert {p for p in paths if p.rstrip("/") in ENDPOINTS} == DQE_PATHS
