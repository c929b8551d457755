"""Issue 10 follow-up: what a hostile client can make the mock keep, print or accept.

Each test replays one input of the hostile review (clock offsets for invented tokens, a
strict journal entry of 994 violations, a 60 KB scope quoted in a message, a 1 MB parameter
name through the proxy, `Client_Secret` in clear, 8,000-byte and non-ASCII namespaces, odd
`limit` parameters). The expected values are the documented bounds (docs/limits.md) and rules
(contract/bounds.py holds the numbers once); nothing is computed by the code under test.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.contract.bounds import MAX_MESSAGE, MAX_VIOLATIONS, cut, is_secret
from mockserver.domain.service import MockState
from mockserver.http.admin import JOURNAL_PAGE_CHARS
from mockserver.http.app import create_app
from mockserver.http.keys import STATE
from mockserver.http.proxy import Finding, ProxyReport, check_request
from mockserver.settings import Settings
from tests.guarded import body_of, exchange, guarded, port_of, status_of
from tests.table import Rows

TOKEN = {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": "100001"}
CUT_TAIL = re.compile(r"…\[\+[0-9]+ chars\]$")
# The longest a cut message may be: MAX_MESSAGE characters and its `…[+N chars]` tail.
LONGEST_MESSAGE = MAX_MESSAGE + len("…[+9999999 chars]")


@pytest.fixture
def settings() -> Settings:
    return Settings(seed=7, frozen_clock=True, strict=True)


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


async def call(
    http: ClientSession, server: TestServer, method: str, path: str, **kwargs: Any
) -> tuple[int, Any]:
    async with http.request(method, server.make_url(path), **kwargs) as reply:
        return reply.status, await reply.json(content_type=None)


async def a_token(http: ClientSession, server: TestServer) -> str:
    status, body = await call(http, server, "GET", "/ACCESS_TOKEN/", params=TOKEN)
    assert status == 200
    return str(body["access_token"])


# --- 3. clock offsets only for tokens the mock holds -------------------------------------


async def test_a_clock_offset_for_an_unknown_token_is_a_404(
    http: ClientSession, server: TestServer, state: MockState
) -> None:
    invented = "T" * 60_000
    body = {"seconds": 1, "token": invented}
    status, answer = await call(http, server, "POST", "/__admin/clock/advance", json=body)
    assert status == 404
    assert "token" in answer["error"]
    assert state.clock.keys() == 0
    known = await a_token(http, server)
    body = {"seconds": 1, "token": known}
    status, answer = await call(http, server, "POST", "/__admin/clock/advance", json=body)
    assert status == 200
    assert answer["token"] == known
    assert state.clock.keys() == 1


# --- 4. a journal entry is bounded, the listing paginated ---------------------------------


async def test_a_strict_entry_of_994_violations_keeps_20_and_counts_the_rest(
    http: ClientSession, server: TestServer, state: MockState
) -> None:
    token = await a_token(http, server)
    form = {f"p{i:03}": "v" * 50 for i in range(994)}
    form.update(token=token, licence="100001", scope="numVerify", number="0639980001")
    status, _ = await call(http, server, "POST", "/IDMOBILE/", data=form)
    assert status == 200
    entry = state.journal.entries()[-1].as_json()
    violations = entry["request_violations"]
    assert len(violations) == MAX_VIOLATIONS + 1
    more = re.fullmatch(r"…\[\+([0-9]+) more violations\]", violations[-1])
    assert more is not None, violations[-1]
    assert int(more.group(1)) >= 994 - MAX_VIOLATIONS  # each p### is undocumented
    # The bound of one entry (docs/limits.md), in characters of JSON.
    assert len(json.dumps(entry, ensure_ascii=False)) < 45_000


async def test_a_60_kb_scope_is_cut_in_its_violation_message(
    http: ClientSession, server: TestServer, state: MockState
) -> None:
    token = await a_token(http, server)
    params = {"token": token, "licence": "100001", "number": "0639980001", "scope": "s" * 60_000}
    await call(http, server, "POST", "/IDMOBILE/", data=params)
    entry = state.journal.entries()[-1]
    assert entry.request_violations
    assert all(len(m) <= LONGEST_MESSAGE for m in entry.request_violations)
    assert len(entry.params["scope"]) < 1100


async def test_the_journal_listing_is_paged_and_covers_every_entry_once(
    http: ClientSession, server: TestServer
) -> None:
    big = {f"k{i:02}": "x" * 900 for i in range(30)}  # about 28 KB of JSON an entry
    for _ in range(60):  # about 1.7 MB in all: at least two pages
        await call(http, server, "POST", "/GET/", data=big)
    seen: list[int] = []
    status, page = await call(http, server, "GET", "/__admin/journal")
    pages = 1
    while True:
        assert status == 200
        assert len(json.dumps(page)) < JOURNAL_PAGE_CHARS + 45_000
        seen += [e["id"] for e in page["entries"]]
        if page["next"] is None:
            break
        status, page = await call(http, server, "GET", page["next"])
        pages += 1
    assert pages >= 2
    assert seen == list(range(1, 61))


@pytest.mark.parametrize(
    "query",
    ["limit=", "limit=5&limit=abc", "limit=5&limit=5", "cursor=", "cursor=1&cursor=2"],
)
@pytest.mark.parametrize("listing", ["/__admin/journal", "/__admin/sessions"])
async def test_empty_or_repeated_paging_parameters_are_a_400(
    http: ClientSession, server: TestServer, listing: str, query: str
) -> None:
    status, answer = await call(http, server, "GET", f"{listing}?{query}")
    assert status == 400
    assert "given once" in answer["error"]


# --- 5. the proxy's report: each message cut ----------------------------------------------


def test_a_1_mb_parameter_name_is_a_short_finding_and_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    name = "n" * 1_000_000
    findings, _ = check_request("IDMOBILE", "GET", "", {name: "1", "licence": "100001"})
    assert findings  # the undocumented parameter, at least
    report = ProxyReport()
    with caplog.at_level(logging.WARNING, logger="dqe_mock.proxy"):
        report.add("request", findings, "GET /IDMOBILE/")
    kept = report.as_json()["request_violations"]
    assert all(len(f["message"]) <= LONGEST_MESSAGE for f in kept)
    assert all(len(f["pointer"]) <= 100 for f in kept)
    assert caplog.records
    assert all(len(r.getMessage()) <= LONGEST_MESSAGE + 100 for r in caplog.records)


def test_past_20_findings_of_one_exchange_are_counted_not_kept() -> None:
    report = ProxyReport(limit=1000)
    findings = [Finding("GET", f"/p{i}", "strict", f"p{i}") for i in range(50)]
    report.add("request", findings, "GET /GET/")
    assert [f["message"] for f in report.as_json()["request_violations"]] == [
        f"p{i}" for i in range(MAX_VIOLATIONS)
    ]
    assert report.as_json()["dropped_violations"]["request"] == 50 - MAX_VIOLATIONS


def test_cut_marks_what_it_left_out() -> None:
    assert cut("abc", 3) == "abc"
    assert cut("abcdef", 3) == "abc…[+3 chars]"


# --- 8. secrets masked whatever their case --------------------------------------------------

# Written by hand: names a person would call secret, and names that are not.
SECRET_NAMES = ["client_secret", "Client_Secret", "CLIENT_SECRET", "password", "Api_Key",
                "access_token", "Refresh_Token", "my_secret_2", "Authorization"]  # fmt: skip
PLAIN_NAMES = ["token", "licence", "Licence", "scope", "number", "name", "grant_type"]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_a_secret_name_is_recognised_in_any_case(name: str) -> None:
    assert is_secret(name)


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_a_plain_name_is_not_masked(name: str) -> None:
    assert not is_secret(name)


async def test_client_secret_in_another_case_is_masked_in_the_journal(
    http: ClientSession, server: TestServer, state: MockState
) -> None:
    params = {"Client_Secret": "s3cr3t-C", "grant_type": "client_idmobile", "licence": "100001"}
    await call(http, server, "GET", "/ACCESS_TOKEN/", params=params)
    entry = state.journal.entries()[-1].as_json()
    assert entry["params"]["Client_Secret"] == "***"
    assert "s3cr3t-C" not in json.dumps(entry)


# --- 6. namespaces validated on every route -------------------------------------------------

# "": an unset $NS in a CI script; read as "no namespace", a reset wiped every worker's state.
BAD_NAMESPACES = ["n" * 8000, "-leading-dash", "has space", "a/b", "n" * 65, ""]
GOOD_NAMESPACES = ["team-a", "L9", "gw0:test_x.y", "n" * 64]
ROUTES = [
    ("GET", "/ACCESS_TOKEN/"),
    ("POST", "/IDMOBILE/"),
    ("GET", "/GET/"),
    ("GET", "/operator/orange/consent/nope"),
    ("GET", "/__admin/journal"),
    ("GET", "/__admin/sessions"),
    ("POST", "/__admin/reset"),
]


async def test_an_invalid_namespace_header_is_a_400_on_every_route(
    http: ClientSession, server: TestServer, state: MockState
) -> None:
    """Each bad namespace on each route: a JSON 400 invalid_namespace; no token kept. An API
    route journals it in the default namespace as the client's violation (the refused header
    is never a namespace); the admin API journals nothing."""
    rows = Rows()
    for namespace in BAD_NAMESPACES:
        for method, path in ROUTES:
            with rows.row(repr(namespace[:20]), len(namespace), method, path):
                before = len(state.journal.entries())
                headers = {"X-Dqe-Namespace": namespace}
                status, answer = await call(
                    http, server, method, path, headers=headers, params=TOKEN
                )
                assert status == 400
                assert answer["error"] == "invalid_namespace"
                assert "X-Dqe-Namespace" in answer["error_description"]
                assert len(state.tokens) == 0
                added = state.journal.entries()[before:]
                if path.startswith("/__admin"):
                    assert added == []
                    continue
                [entry] = added
                assert entry.namespace == "default"
                assert entry.verdict == "violations"
                violation = entry.request_violations[0]
                assert violation.startswith("HTTP 400 invalid_namespace: the X-Dqe-Namespace")
                assert entry.response_violations == ()
    rows.check(len(BAD_NAMESPACES) * len(ROUTES))


@pytest.mark.parametrize("namespace", GOOD_NAMESPACES)
async def test_a_valid_namespace_is_kept_as_sent(
    http: ClientSession, server: TestServer, state: MockState, namespace: str
) -> None:
    headers = {"X-Dqe-Namespace": namespace}
    status, _ = await call(http, server, "GET", "/ACCESS_TOKEN/", headers=headers, params=TOKEN)
    assert status == 200
    assert state.tokens.all()[0].namespace == namespace


@pytest.mark.parametrize("query", ["namespace=%FF", "namespace=%E9t%E9", "namespace=a%20b"])
async def test_an_admin_namespace_query_is_decoded_strictly(
    http: ClientSession, server: TestServer, query: str
) -> None:
    status, answer = await call(http, server, "GET", f"/__admin/journal?{query}")
    assert status == 400
    assert "error" in answer


async def test_a_non_ascii_byte_in_the_namespace_header_is_a_400(settings: Settings) -> None:
    request = (
        b"GET /ACCESS_TOKEN/?client_secret=demo-secret&grant_type=client_idmobile&licence=100001"
        b" HTTP/1.1\r\nHost: x\r\nX-Dqe-Namespace: caf\xe9\r\nConnection: close\r\n\r\n"
    )
    app = create_app(settings)
    async with guarded(app, 5.0) as runner:
        answer = await exchange(port_of(runner), request)
    assert status_of(answer) == 400
    assert json.loads(body_of(answer))["error"] == "invalid_namespace"
    assert len(app[STATE].tokens) == 0


@pytest.mark.parametrize("query", ["namespace=", "namespace"])
async def test_a_blank_namespace_query_resets_nothing(
    http: ClientSession, server: TestServer, state: MockState, query: str
) -> None:
    headers = {"X-Dqe-Namespace": "workerA"}
    status, _ = await call(http, server, "GET", "/ACCESS_TOKEN/", headers=headers, params=TOKEN)
    assert status == 200
    status, answer = await call(http, server, "POST", f"/__admin/reset?{query}")
    assert (status, answer["error"]) == (400, "invalid_namespace")
    assert [t.namespace for t in state.tokens.all()] == ["workerA"]
