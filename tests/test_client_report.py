"""The client report: each behaviour rule, broken by one client and followed by another.

The app runs in-process on a frozen clock (tests/conftest.py): time moves only when a test
advances it, so intervals are exact and nothing sleeps. The rules and their defaults are
docs/client-report.md; the expected seq numbers are read from the journal (the request
each finding must name), never from the report's own code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.contract import contract
from mockserver.domain import client_report
from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.http.keys import NAMESPACE_HEADER
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient

# The same tests on the memory store and on a real Redis (issue 16).
pytestmark = pytest.mark.both_stores
# The conftest's `advance` fixture: moves the clock through the admin API (every store).
Advance = Callable[..., Awaitable[float]]

PENDING_3 = "+33639984003"  # pending-3-polls: consent automatic, 3 pending polls, success
DENIED = "+33639983001"  # consent-denied: /GET/ answers 21 after the refusal
ONE_SECOND = 1.0  # docs/client-report.md: the default minimum poll interval
HALF_SECOND = 0.5  # docs/client-report.md: the default minimum backoff after a 5xx


async def report(server: TestServer, namespace: str | None = None) -> dict[str, Any]:
    params = {"namespace": namespace} if namespace else {}
    async with (
        ClientSession() as session,
        session.get(server.make_url("/__admin/report"), params=params) as reply,
    ):
        assert reply.status == 200
        body: dict[str, Any] = await reply.json()
    assert [str(v) for v in contract().validate_document("admin/report.schema.json", body)] == []
    return body


async def journal_ids(server: TestServer, endpoint: str) -> list[int]:
    async with (
        ClientSession() as session,
        session.get(server.make_url("/__admin/journal")) as reply,
    ):
        entries = (await reply.json())["entries"]
    return [e["id"] for e in entries if e["endpoint"] == endpoint]


def rules_of(body: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in body["findings"] if f["rule"] == rule]


async def start(dqe: DqeClient, number: str = PENDING_3) -> tuple[str, str]:
    token = await dqe.token()
    started = await dqe.idmobile(token, number, "formfilling")
    assert started.body["status"] == "success", started.body
    return token, started.body["url"].rsplit("/", 1)[1]


async def test_polling_in_a_tight_loop_is_a_finding(
    dqe: DqeClient, server: TestServer, state: MockState
) -> None:
    token, session_id = await start(dqe)
    for _ in range(4):  # no wait at all
        await dqe.get(token, "formfilling")
    body = await report(server)
    [finding] = rules_of(body, "poll-interval")
    polls = await journal_ids(server, "GET")
    assert finding["session"] == session_id
    assert finding["requests"] == polls[:2]
    assert "polled /GET/ sooner than 1 s" in finding["message"]
    [session] = body["sessions"]
    assert (session["polls"], session["shortest_interval_s"], session["final"]) == (4, 0, "success")


async def test_polling_once_a_second_is_no_finding(
    dqe: DqeClient,
    server: TestServer,
    state: MockState,
    advance: Advance,
) -> None:
    token, _ = await start(dqe)
    for _ in range(4):
        await advance(ONE_SECOND)
        await dqe.get(token, "formfilling")
    body = await report(server)
    assert body["findings"] == []
    [session] = body["sessions"]
    assert session["shortest_interval_s"] == session["median_interval_s"] == ONE_SECOND
    assert session["consent_to_first_poll_s"] == ONE_SECOND  # the consent is automatic


async def test_polling_after_the_final_answer_is_a_finding(
    dqe: DqeClient,
    server: TestServer,
    state: MockState,
    advance: Advance,
) -> None:
    token = await dqe.token()
    started_url = (await dqe.idmobile(token, DENIED, "formfilling")).body["url"]
    session_id = started_url.rsplit("/", 1)[1]
    await dqe.visit(started_url)  # the scenario's user refuses
    for _ in range(3):
        await advance(ONE_SECOND)
        reply = await dqe.get(token, "formfilling")
        assert reply.error_id == "21"
    body = await report(server)
    [finding] = rules_of(body, "poll-after-final")
    polls = await journal_ids(server, "GET")
    assert finding["session"] == session_id
    assert finding["requests"] == polls[:2]
    assert "2 times after its final answer" in finding["message"]
    assert body["sessions"][-1]["polls_after_final"] == 2


async def test_stopping_at_the_final_answer_is_no_finding(
    dqe: DqeClient,
    server: TestServer,
    state: MockState,
    advance: Advance,
) -> None:
    token = await dqe.token()
    await dqe.visit((await dqe.idmobile(token, DENIED, "formfilling")).body["url"])
    await advance(ONE_SECOND)
    assert (await dqe.get(token, "formfilling")).error_id == "21"
    body = await report(server)
    assert body["findings"] == []
    assert body["sessions"][-1]["final"] == "error"
    assert body["coverage"]["GET"]["formfilling"] == {"21": 1}


async def test_reusing_a_token_after_error_30_is_a_finding(
    dqe: DqeClient,
    server: TestServer,
    state: MockState,
    settings: Settings,
    advance: Advance,
) -> None:
    token, session_id = await start(dqe)
    await advance(settings.token_ttl + 1)
    for _ in range(2):
        assert (await dqe.get(token, "formfilling")).error_id == "30"
    body = await report(server)
    [finding] = rules_of(body, "new-token-after-30")
    assert finding["session"] == session_id
    assert finding["requests"] == await journal_ids(server, "GET")
    assert "fetch a new token" in finding["message"]
    assert body["tokens_used_after_expiry"] == 2


async def test_a_new_token_after_error_30_is_no_finding(
    dqe: DqeClient,
    server: TestServer,
    state: MockState,
    settings: Settings,
    advance: Advance,
) -> None:
    token, _ = await start(dqe)
    await advance(settings.token_ttl + 1)
    assert (await dqe.get(token, "formfilling")).error_id == "30"
    await start(dqe)  # a new token, a new check
    body = await report(server)
    assert body["findings"] == []
    assert body["tokens_used_after_expiry"] == 1


FAULT = {
    "version": 1,
    "faults": [
        {"id": "token-down", "endpoint": "ACCESS_TOKEN", "kind": "http_error", "status": 503,
         "first": 1},
    ],
}  # fmt: skip


async def add_fault(server: TestServer) -> None:
    async with (
        ClientSession() as session,
        session.post(server.make_url("/__admin/scenarios"), json=FAULT) as reply,
    ):
        assert reply.status == 201


async def token_reply(dqe: DqeClient) -> int:
    params = {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": "100001"}
    return (await dqe.call("ACCESS_TOKEN", params)).status


async def test_retrying_a_503_at_once_is_a_finding(
    dqe: DqeClient, server: TestServer, state: MockState
) -> None:
    await add_fault(server)
    assert await token_reply(dqe) == 503
    assert await token_reply(dqe) == 200  # no wait
    body = await report(server)
    [finding] = rules_of(body, "backoff-after-5xx")
    assert finding["requests"] == await journal_ids(server, "ACCESS_TOKEN")
    assert "wait at least 0.5 s" in finding["message"]
    [fault] = body["fault_retries"]
    assert (fault["fault"], fault["retries"], fault["first_retry_after_s"]) == ("token-down", 1, 0)


async def test_never_retrying_a_503_is_a_finding(dqe: DqeClient, server: TestServer) -> None:
    await add_fault(server)
    assert await token_reply(dqe) == 503
    body = await report(server)
    [finding] = rules_of(body, "backoff-after-5xx")
    assert finding["requests"] == await journal_ids(server, "ACCESS_TOKEN")
    assert "never retried" in finding["message"]


async def test_retrying_a_503_after_a_backoff_is_no_finding(
    dqe: DqeClient,
    server: TestServer,
    state: MockState,
    advance: Advance,
) -> None:
    await add_fault(server)
    assert await token_reply(dqe) == 503
    await advance(HALF_SECOND)
    assert await token_reply(dqe) == 200
    body = await report(server)
    assert body["findings"] == []
    assert body["fault_retries"][0]["first_retry_after_s"] == HALF_SECOND


async def test_the_counters_outlive_the_journal() -> None:
    settings = Settings(seed=7, frozen_clock=True, journal_limit=5)  # a journal of 5 entries
    async with TestServer(create_app(settings), host="127.0.0.1") as server:
        async with ClientSession() as session:
            dqe = DqeClient(session, server.make_url("/"))
            for _ in range(30):
                await dqe.token()
            async with session.get(server.make_url("/NOT_AN_ENDPOINT/")) as reply:
                assert reply.status == 404
        body = await report(server)
        assert len(await journal_ids(server, "ACCESS_TOKEN")) == 4
    assert body["totals"]["requests"] == 31
    assert body["coverage"]["ACCESS_TOKEN"] == {"-": {"success": 30}}
    assert body["conformance"]["violations"] == {"unknown-endpoint": 1}


async def test_namespaces_are_counted_apart_and_reset_clears(
    dqe: DqeClient, server: TestServer
) -> None:
    await dqe.token()
    async with ClientSession(headers={NAMESPACE_HEADER: "team-a"}) as session:
        await DqeClient(session, server.make_url("/")).token()
        await DqeClient(session, server.make_url("/")).token()
    assert (await report(server, "team-a"))["totals"]["requests"] == 2
    assert (await report(server))["totals"]["requests"] == 3
    async with ClientSession() as session:
        await session.post(server.make_url("/__admin/reset"), params={"namespace": "team-a"})
    assert (await report(server, "team-a"))["totals"]["requests"] == 0
    assert (await report(server))["totals"]["requests"] == 1
    async with ClientSession() as session:
        await session.post(server.make_url("/__admin/reset"))
    body = await report(server)
    assert body["totals"] == {
        "requests": 0,
        "sessions": 0,
        "findings": 0,
        "sessions_left_pending": 0,
        "sessions_listed": 0,
        "findings_listed": 0,
    }


async def test_rules_follow_the_settings() -> None:
    settings = Settings(
        seed=7,
        frozen_clock=True,
        min_poll_interval=0,
        forbid_poll_after_final=False,
        require_backoff_after_5xx=False,
    )
    async with TestServer(create_app(settings), host="127.0.0.1") as server:
        async with ClientSession() as session:
            dqe = DqeClient(session, server.make_url("/"))
            token, _ = await start(dqe)
            for _ in range(6):  # a tight loop, and polls after the final answer
                await dqe.get(token, "formfilling")
            await add_fault(server)
            assert await token_reply(dqe) == 503
        body = await report(server)
    assert body["findings"] == []
    assert body["rules"]["min_poll_interval_s"] == 0
    assert body["sessions"][0]["polls_after_final"] == 2


async def test_a_scope_answered_04_is_counted_as_other(dqe: DqeClient, server: TestServer) -> None:
    token = await dqe.token()
    for scope in ("numVerify,formfilling", "matching,matching"):  # the tester's two inputs
        assert (await dqe.idmobile(token, PENDING_3, scope)).error_id == "04"
    # However many scopes a client invents, they are one key (a bounded report).
    for index in range(100):
        assert (await dqe.idmobile(token, PENDING_3, f"invented-{index}")).error_id == "04"
    body = await report(server)
    assert body["coverage"]["IDMOBILE"] == {"(other)": {"04": 102}}
    assert body["missing"]["scopes"] == ["matching_notp", "numVerify", "formfilling", "matching"]


async def test_polls_after_the_final_answer_are_not_poll_interval_findings(
    dqe: DqeClient,
    server: TestServer,
    state: MockState,
    advance: Advance,
) -> None:
    token = await dqe.token()
    await dqe.visit((await dqe.idmobile(token, DENIED, "formfilling")).body["url"])
    await advance(ONE_SECOND)
    assert (await dqe.get(token, "formfilling")).error_id == "21"  # the final answer
    for _ in range(3):  # no wait, but the answer is no longer pending
        await dqe.get(token, "formfilling")
    body = await report(server)
    assert rules_of(body, "poll-interval") == []
    assert [f["rule"] for f in body["findings"]] == ["poll-after-final"]
    assert body["sessions"][-1]["short_intervals"] == 0


def test_the_plugin_coverage_reads_the_report_s_scopes() -> None:
    from mockserver.testing.coverage import Coverage

    coverage = Coverage()
    # The report's coverage as the server sends it (see the test above), by hand.
    coverage.add_counts({"IDMOBILE": {"(other)": {"04": 2}}, "ACCESS_TOKEN": {"-": {"success": 1}}})
    assert coverage.seen["IDMOBILE"] == {"(other)": {"04"}}
    assert coverage.seen["ACCESS_TOKEN"] == {"": {"success"}}
    assert coverage.report()["scopes"]["exercised"] == []


async def test_a_namespace_keeps_its_newest_session_records_only(
    dqe: DqeClient, server: TestServer, state: MockState, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by the 100,000-session RSS benchmark: a record past the namespace's bound was
    # dropped from the namespace but kept in the report's global order, so one namespace
    # held 100,000 records (~40 MB) instead of its 10,000.
    monkeypatch.setattr(client_report, "MAX_SESSIONS_PER_NAMESPACE", 3)
    tokens = [(await start(dqe))[0] for _ in range(5)]
    body = await report(server)
    assert [s["token"] for s in body["sessions"]] == tokens[2:]
    assert len(state.report._order) == 3  # the global order forgot the same two
