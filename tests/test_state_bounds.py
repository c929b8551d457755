"""Everything that grows with traffic has a count bound and a stated eviction order.

The expected evictions are tables written by hand from the documented rule (docs/limits.md, "State,
stopping and safe methods"): sessions, the one that finished first, else the oldest; tokens,
the one that expired first, else the oldest; clock offsets, fault counters and the proxy's
violations, the oldest. Pagination: the pages of a listing cover every item exactly once, in
order, whatever arrives or leaves between two pages.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.contract.bounds import MAX_PARAMS, MAX_VALUE
from mockserver.domain.clock import Clock
from mockserver.domain.faults import Fault, FaultBook, FaultTarget
from mockserver.domain.journal import redact
from mockserver.domain.pseudonymise import RECORDED_CAPACITY
from mockserver.domain.recorder import MAX_FLOWS_PER_NUMBER, MAX_OPEN_FLOWS, Exchange, Recorder
from mockserver.domain.registry import ScenarioRegistry
from mockserver.domain.scenarios import Outcome, ScenarioSet
from mockserver.domain.sessions import Phase, Session, SessionStore
from mockserver.domain.tokens import TokenStore
from mockserver.http.admin import MAX_PAGE
from mockserver.http.app import create_app
from mockserver.http.keys import STATE
from mockserver.http.proxy import Finding, ProxyReport
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient

ORANGE = "+33639980001"


def session(name: str, namespace: str = "default") -> Session:
    return Session(
        id=name, token=f"T{name}", licence="100001", scope="numVerify", number=ORANGE,
        operator="Orange", scenario_id="orange-happy", outcome=Outcome(), subscriber={},
        created_at=0.0, namespace=namespace,
    )  # fmt: skip


def finish(store: SessionStore, name: str) -> None:
    found = store.by_id(name)
    assert found is not None
    found.phase = Phase.DONE
    store.finished(found)


# (step, expected ids stored after it), limit 3. "+x" stores session x, "done x" finishes it.
SESSION_STEPS = [
    ("+a", "a"),
    ("+b", "a b"),
    ("+c", "a b c"),
    ("+d", "b c d"),  # none finished: the oldest, a
    ("done c", "b c d"),
    ("+e", "b d e"),  # c finished: it goes before the older b
    ("done e", "b d e"),
    ("done b", "b d e"),
    ("+f", "b d f"),  # e finished before b: e goes first
    ("+g", "d f g"),  # then b
    ("+h", "f g h"),  # none finished again: the oldest, d
]


def test_sessions_past_the_limit_finished_first_then_oldest() -> None:
    store = SessionStore(seed=1, limit=3)
    for step, expected in SESSION_STEPS:
        if step.startswith("+"):
            store.put(session(step[1:]))
        else:
            finish(store, step.split()[1])
        assert [s.id for s in store.all()] == expected.split(), step
        assert all(store.by_token(f"T{s.id}") is s for s in store.all())
    assert store.evicted == 5
    assert store.by_token("Ta") is None


def test_a_new_session_of_the_same_token_replaces_without_evicting() -> None:
    store = SessionStore(seed=1, limit=2)
    store.put(session("a"))
    store.put(session("b"))
    again = session("a2")
    again.token = "Ta"
    store.put(again)
    assert [s.id for s in store.all()] == ["b", "a2"]
    assert store.evicted == 0


# (now, lifetime) of each token issued, limit 3; then the tokens left after it.
TOKEN_STEPS = [
    (0, 100, "t1"),
    (1, 10, "t1 t2"),
    (2, 100, "t1 t2 t3"),
    (5, 100, "t2 t3 t4"),  # nothing expired (t2 lives until 11): the oldest, t1
    (20, 100, "t3 t4 t5"),  # t2 expired at 11: it goes, not the older t3
    (200, 100, "t4 t5 t6"),  # t3 (102), t4 (105), t5 (120) expired: t3 expired first
    (201, 1000, "t5 t6 t7"),  # t4 (105) next
]


def test_tokens_past_the_limit_expired_first_then_oldest() -> None:
    store = TokenStore(seed=1, limit=3)
    names: dict[str, str] = {}
    for index, (now, ttl, expected) in enumerate(TOKEN_STEPS, 1):
        token, _, gone = store.issue("100001", float(now), ttl)
        names[token.value] = f"t{index}"
        assert [names[t.value] for t in store.all()] == expected.split(), now
        assert all(store.get(value) is None for value in gone)
    assert store.evicted == 4


async def test_a_forgotten_token_takes_its_session_and_clock_offset() -> None:
    settings = Settings(seed=7, frozen_clock=True, max_tokens=2)
    async with TestServer(create_app(settings), host="127.0.0.1") as server, ClientSession() as s:
        dqe = DqeClient(s, server.make_url("/"))
        first = await dqe.token()
        assert (await dqe.idmobile(first, ORANGE, "numVerify")).body["status"] == "success"
        async with s.post(
            server.make_url("/__admin/clock/advance"), json={"seconds": 1, "token": first}
        ):
            pass
        await dqe.token()
        await dqe.token()  # the third: `first` (the oldest, none expired) goes
        assert (await dqe.get(first, "numVerify")).error_id == "30"
        async with s.get(server.make_url(f"/__admin/sessions/{first}")) as reply:
            assert reply.status == 404
        async with s.get(server.make_url("/__admin/health")) as reply:
            health = await reply.json()
        assert (health["tokens"], health["sessions"]) == (2, 0)
        assert server.app[STATE].clock.keys() == 0


def test_clock_offsets_are_bounded_oldest_advanced_first() -> None:
    clock = Clock(source=lambda: 100.0, max_keys=2)
    for key in ("a", "b", "a", "c"):  # a advanced again: b is now the oldest
        clock.advance(5, key)
    assert (clock.now("a"), clock.now("b"), clock.now("c")) == (110.0, 100.0, 105.0)
    assert clock.keys() == 2


def test_fault_counters_are_bounded_oldest_first() -> None:
    book = FaultBook(seed=1, max_counters=2)
    fault = Fault(id="f", kind="reset", first=1)
    target = FaultTarget("GET")
    picks = [book.pick([fault], target, ns) is fault for ns in ("n1", "n2", "n1", "n3")]
    assert picks == [True, True, False, True]
    # n1's count was the oldest when n3 came: forgotten, so `first: 1` starts over there.
    assert (book.hits("n1", "f"), book.hits("n2", "f"), book.hits("n3", "f")) == (0, 1, 1)
    assert book.pick([fault], target, "n1") is fault


def test_invented_namespaces_share_the_default_view() -> None:
    registry = ScenarioRegistry(ScenarioSet())
    views = {id(registry.view(f"ns-{i}")) for i in range(1000)}
    assert len(views) == 1
    assert len(registry._views) == 1


def test_journal_entries_are_bounded_in_size() -> None:
    params = {f"k{i}": "x" * (MAX_VALUE + 5) for i in range(MAX_PARAMS + 10)}
    params = {"client_secret": "s3cret", **params}
    kept = redact(params)
    assert len(kept) == MAX_PARAMS
    assert kept["client_secret"] == "***"
    assert kept["k0"] == "x" * MAX_VALUE + "…[+5 chars]"
    assert redact({"scope": "numVerify"}) == {"scope": "numVerify"}


def test_the_proxy_report_keeps_the_latest_findings() -> None:
    report = ProxyReport(limit=2)
    for i in range(5):
        report.add("request", [Finding("GET", "", "rule", f"m{i}")], "GET /GET/")
    report.add("response", [Finding("GET", "", "rule", "r")], "GET /GET/")
    data = report.as_json()
    assert [f["message"] for f in data["request_violations"]] == ["m3", "m4"]
    assert data["dropped_violations"] == {"request": 3, "response": 0}
    report.reset()
    assert report.as_json()["dropped_violations"] == {"request": 0, "response": 0}


@pytest.mark.parametrize(("count", "limit"), [(0, 1), (1, 1), (5, 2), (10, 5), (11, 5), (7, 100)])
def test_session_pages_cover_every_session_once_in_order(count: int, limit: int) -> None:
    store = SessionStore(seed=1)
    for i in range(count):
        store.put(session(f"s{i:02d}", namespace="odd" if i % 2 else "even"))
    for namespace in (None, "odd"):
        seen: list[str] = []
        cursor: int | None = 0
        while cursor is not None:
            page, cursor = store.page(cursor, limit, namespace)
            assert len(page) <= limit
            seen += [s.id for s in page]
        wanted = [s.id for s in store.all() if namespace is None or s.namespace == namespace]
        assert seen == wanted


def test_pages_neither_repeat_nor_skip_across_changes() -> None:
    store = SessionStore(seed=1, limit=6)
    for name in "abcdef":
        store.put(session(name))
    page, cursor = store.page(0, 2)
    assert [s.id for s in page] == ["a", "b"]
    finish(store, "c")
    store.put(session("g"))  # c (finished) is forgotten; g arrives at the end
    seen = [s.id for s in page]
    while cursor is not None:
        page, cursor = store.page(cursor, 2)
        seen += [s.id for s in page]
    assert seen == ["a", "b", "d", "e", "f", "g"]


async def collect_pages(http: ClientSession, server: TestServer, first: str) -> list[Any]:
    pages = []
    link: str | None = first
    while link is not None:
        async with http.get(server.make_url(link)) as reply:
            assert reply.status == 200, await reply.text()
            body = await reply.json()
        pages.append(body["sessions"])
        link = body["next"]
    return pages


async def test_admin_sessions_are_paginated_with_next_links(
    dqe: DqeClient, server: TestServer
) -> None:
    tokens = [await dqe.token() for _ in range(5)]
    for token in tokens:
        assert (await dqe.idmobile(token, ORANGE, "numVerify")).body["status"] == "success"
    async with ClientSession() as http:
        pages = await collect_pages(http, server, "/__admin/sessions?limit=2")
        assert [len(p) for p in pages] == [2, 2, 1]
        assert [s["token"] for p in pages for s in p] == tokens
        whole = await collect_pages(http, server, "/__admin/sessions")
        assert [s["token"] for p in whole for s in p] == tokens
        other = await collect_pages(http, server, "/__admin/sessions?namespace=nobody&limit=1")
        assert other == [[]]
        for bad in ("0", str(MAX_PAGE + 1), "x", "-1"):
            async with http.get(server.make_url(f"/__admin/sessions?limit={bad}")) as reply:
                assert reply.status == 400
                assert "limit" in (await reply.json())["error"]
        async with http.get(server.make_url("/__admin/sessions?cursor=abc")) as reply:
            assert reply.status == 400


def test_a_session_timeline_keeps_its_first_events_and_the_latest() -> None:
    kept = session("a")
    for i in range(100):
        kept.record(float(i), "poll", str(i))
    details = [e.detail for e in kept.events]
    # MAX_EVENTS is 64: initiate, the first 62 polls (0..61), and the latest (99).
    assert len(details) == 64
    assert kept.events[0].kind == "initiate"
    assert details[1:] == [str(i) for i in range(62)] + ["99"]


def test_token_eviction_order_holds_after_a_namespace_reset() -> None:
    store = TokenStore(seed=1, limit=3)
    names: dict[str, str] = {}

    def issue(name: str, now: float, ttl: int, namespace: str = "b") -> None:
        token, _, _ = store.issue("100001", now, ttl, namespace)
        names[token.value] = name

    def left() -> list[str]:
        return [names[t.value] for t in store.all()]

    issue("t1", 0, 100, "a")
    issue("t2", 1, 10)
    issue("t3", 2, 100, "a")
    assert [names[v] for v in store.reset("a")] == ["t1", "t3"]
    issue("t4", 3, 100)
    issue("t5", 4, 100)
    assert left() == ["t2", "t4", "t5"]
    issue("t6", 20, 100)  # t2 expired at 11
    assert left() == ["t4", "t5", "t6"]
    issue("t7", 30, 100)  # none expired: the oldest, t4
    assert left() == ["t5", "t6", "t7"]


def idmobile_exchange(number: str, token: str, scope: str = "numVerify") -> Exchange:
    consent = {"status": "success", "operator": "Orange", "url": "http://op/consent/1"}
    return Exchange("IDMOBILE", {"number": number, "token": token, "scope": scope}, 200, consent)


def test_a_recording_holds_as_many_numbers_as_it_has_fakes_for() -> None:
    recorder = Recorder()
    for i in range(RECORDED_CAPACITY + 5):
        recorder.observe(idmobile_exchange(f"+336{10_000_000 + i:08d}", f"T{i}"))
    assert len(recorder.numbers) == RECORDED_CAPACITY
    assert recorder.unrecorded == 5
    assert "+33610000000" in recorder.numbers  # the first ones are kept
    document = recorder.document(seed=1)  # renders: no number past the range
    assert len(document["scenarios"]) == RECORDED_CAPACITY
    assert "5 requests on numbers past the 1000" in document["description"]


def test_a_number_keeps_its_latest_flows_and_waiting_flows_are_bounded() -> None:
    recorder = Recorder()
    for i in range(MAX_FLOWS_PER_NUMBER + 8):
        recorder.observe(idmobile_exchange(ORANGE, f"T{i}"))
    flows = recorder.numbers[ORANGE]
    assert len(flows) == MAX_FLOWS_PER_NUMBER
    assert recorder._by_token["T39"] is flows[-1]
    for i in range(MAX_OPEN_FLOWS + 3):
        recorder.observe(idmobile_exchange("+33639980002", f"U{i}"))
    assert len(recorder._by_token) == MAX_OPEN_FLOWS
    assert "T0" not in recorder._by_token  # the oldest waiting flows went first
    assert f"U{MAX_OPEN_FLOWS + 2}" in recorder._by_token
