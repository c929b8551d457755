"""The journal's verdicts, from tables written by hand: every kind of error answer is a
violation with its reason, every lenient acceptance a note (a violation in strict mode).

The expected statuses, error ids and sentences come from the vendor pages in
shared/dqe-docs/ (the Error tables, the parameter tables, "POST request: ... using
x-www-form-urlencoded"), docs/limits.md's "Reading requests" and "Unknown paths and methods"
(the HTTP layer's answers) and the built-in pack's magic-number table; never from the mock.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from yarl import URL

from mockserver.cli import _parser, _settings
from mockserver.contract.conformance import Note
from mockserver.domain.journal import MAX_TEXT_RESPONSE, JournalEntry, redact
from mockserver.http.app import create_app
from mockserver.http.keys import STATE
from mockserver.settings import Settings

FORM = "application/x-www-form-urlencoded"
TOKEN_QUERY = "client_secret=demo-secret&grant_type=client_idmobile&licence=100001"
TOKEN_PAGE = "ID Mobile — Token"
STEP1_PAGE = "ID Mobile — Matching without OTP / numVerify / formfilling (Step 1)"
STEP2_PAGE = "numVerify / formfilling (Step 2)"
NUMVERIFY = "token={token}&name=ACME&licence=100001&scope=numVerify"
BOUNDARY = "dqe-mock-boundary"


@dataclass(frozen=True)
class Req:
    """A request as sent: `path` holds its raw query ({token}: a fresh token of 100001);
    `session`: start a numVerify session with that token first."""

    method: str
    path: str
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    session: bool = False


def form(text: str, method: str = "POST", path: str = "/IDMOBILE/") -> Req:
    return Req(method, path, text.encode(), FORM)


def multipart(fields: dict[str, str]) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


@dataclass(frozen=True)
class ErrorRow:
    """An error answer: HTTP status, whether the client broke a rule of the contract (then the
    plugin fails the test) and a fragment of the reason the journal must give."""

    name: str
    request: Req
    status: int
    clients_fault: bool
    reason: str


ERROR_ROWS = [
    # Business errors, /IDMOBILE/ (numVerify page, Step 1: parameters and Error table).
    ErrorRow(
        "missing-name-01",
        form("number=%2B33639980001&token={token}&licence=100001&scope=numVerify"),
        200,
        True,
        "/name: 'name' is required but missing",
    ),
    ErrorRow(
        "malformed-json-01",
        Req("POST", "/IDMOBILE/", b'{"number": ', "application/json"),
        200,
        True,
        "the request cannot be read: the JSON body does not parse",
    ),
    ErrorRow(
        "text-plain-01",
        Req("POST", "/IDMOBILE/", b"number=%2B33639980001", "text/plain"),
        200,
        True,
        "the request cannot be read: unsupported Content-Type 'text/plain'",
    ),
    ErrorRow(
        "not-utf8-01",
        Req("POST", "/IDMOBILE/", b"name=Dup\xf6nt&" + NUMVERIFY.encode(), FORM),
        200,
        True,
        "the form body is not valid utf-8",
    ),
    ErrorRow(
        "not-gzip-01",
        Req("POST", "/IDMOBILE/", b"name=ACME", FORM, (("Content-Encoding", "gzip"),)),
        200,
        True,
        "the body is not valid gzip data",
    ),
    # redirect_uri "must be an absolute http or https URI as RFC 3986 writes it"
    # (docs/contract-notes.md): checked by the mock, not the schema, and still the client's
    # fault (errors.json: the redirect_uri rule is a request rule). Found by an outside tester.
    *(
        ErrorRow(
            f"redirect-uri-{name}-01",
            form(f"number=%2B33639980001&{NUMVERIFY}&redirect_uri={uri}"),
            200,
            True,
            "redirect_uri: redirect_uri",
        )
        for name, uri in (
            ("space", "https%3A%2F%2Fpartner.example%2Fa%20b%3Fq%3D%C3%A9"),
            ("port-0", "https%3A%2F%2Fpartner.example%3A0%2F"),
            ("broken-ipv6", "https%3A%2F%2F%5B%3A%3A1%2F"),
            ("quotes", "https%3A%2F%2Fpartner.example%2F%3Fq%3D%22%3C%3E"),
        )
    ),
    ErrorRow(
        "unknown-licence-02",
        Req(
            "GET",
            "/IDMOBILE/?number=%2B33639980001&token={token}&name=A&licence=999999&scope=numVerify",
        ),
        200,
        False,
        "error 02 (invalid licence key): licence '999999' is not configured",
    ),
    ErrorRow(
        "fixed-line-09",
        Req("GET", "/IDMOBILE/?number=%2B33140000000&" + NUMVERIFY),
        200,
        False,
        "error 09 (ineligible phone number): +33140000000 is a fixed line, not a mobile",
    ),
    ErrorRow(
        "not-a-number-10",
        Req("GET", "/IDMOBILE/?number=abc&" + NUMVERIFY),
        200,
        False,
        "error 10 (invalid phone number): 'abc' is not a phone number",
    ),
    ErrorRow(
        "magic-number-15",  # README magic numbers: +33 6 39 98 10 15, idmobile-error-15
        Req("GET", "/IDMOBILE/?number=%2B33639981015&" + NUMVERIFY),
        200,
        False,
        "error 15 (operator Orange not supported yet): scenario idmobile-error-15",
    ),
    # /GET/ (Step 2): a scope not in the list is 04; a token that started nothing is 30.
    ErrorRow(
        "unknown-scope-04",
        Req("GET", "/GET/?token={token}&Licence=100001&scope=bogus", session=True),
        200,
        True,
        "/scope: 'bogus' is not one of",
    ),
    ErrorRow(
        "no-session-30",
        Req("GET", "/GET/?token={token}&Licence=100001&scope=numVerify"),
        200,
        False,
        "error 30 (invalid or expired token): no /IDMOBILE/ request was made with this token",
    ),
    # Token errors (token page: 400 Invalid Request / Invalid Client).
    ErrorRow(
        "token-malformed-json",
        Req("POST", "/ACCESS_TOKEN/", b"[", "application/json"),
        400,
        True,
        "the request cannot be read: the JSON body does not parse",
    ),
    ErrorRow(
        "token-no-grant-type",
        Req("GET", "/ACCESS_TOKEN/?client_secret=demo-secret&licence=100001"),
        400,
        True,
        "/grant_type: 'grant_type' is required but missing",
    ),
    ErrorRow(
        "token-wrong-secret",
        Req("GET", "/ACCESS_TOKEN/?client_secret=nope&grant_type=client_idmobile&licence=100001"),
        400,
        False,
        "the client_secret does not match the licence",
    ),
    # The HTTP layer (docs/limits.md: Unknown paths and methods, Reading requests, namespaces).
    ErrorRow(
        "method-405",
        Req("DELETE", "/IDMOBILE/"),
        405,
        True,
        "HTTP 405 method_not_allowed: DELETE is not allowed here; allowed: GET,HEAD,POST",
    ),
    ErrorRow(
        "unknown-path-404",
        Req("GET", "/IDMOBIL/"),
        404,
        True,
        "HTTP 404 not_found: no such path; the ID Mobile endpoints are",
    ),
    ErrorRow(
        "case-slip-404",
        Req("GET", "/idmobile/"),
        404,
        True,
        "HTTP 404 not_found: no such path: did you mean /IDMOBILE/?",
    ),
    ErrorRow(
        "too-large-413",
        Req("POST", "/IDMOBILE/", b"name=" + b"A" * 70_000, FORM),
        413,
        True,
        "HTTP 413 request_too_large: request body over the limit of 65536 bytes",
    ),
    ErrorRow(
        "bad-namespace-400",
        Req("GET", "/ACCESS_TOKEN/?" + TOKEN_QUERY, headers=(("X-Dqe-Namespace", "a b"),)),
        400,
        True,
        "HTTP 400 invalid_namespace: the X-Dqe-Namespace header must match",
    ),
    ErrorRow(
        "consent-bad-decision-400",
        Req("POST", "/operator/orange/consent/nope", b"decision=maybe", FORM),
        400,
        True,
        "HTTP 400 invalid_request: decision must be one of approve, deny",
    ),
    ErrorRow(
        "consent-unknown-404",
        Req("GET", "/operator/orange/consent/nope"),
        404,
        True,
        "HTTP 404: Unknown consent request",
    ),
]


@dataclass(frozen=True)
class NoteRow:
    """A request the mock accepts leniently: the note ids it must carry, in order, the page of
    the first, and a fragment of its sentence."""

    request: Req
    ids: tuple[str, ...]
    page: str
    fragment: str


NOTE_ROWS = [
    NoteRow(
        Req(
            "POST",
            "/ACCESS_TOKEN/",
            json.dumps(
                dict(client_secret="demo-secret", grant_type="client_idmobile", licence="100001")
            ).encode(),
            "application/json",
        ),
        ("json-body",),
        TOKEN_PAGE,
        "POST body is application/json",
    ),
    NoteRow(
        Req(
            "POST",
            "/ACCESS_TOKEN/",
            multipart(
                {
                    "client_secret": "demo-secret",
                    "grant_type": "client_idmobile",
                    "licence": "100001",
                }
            ),
            f"multipart/form-data; boundary={BOUNDARY}",
        ),
        ("multipart-body",),
        TOKEN_PAGE,
        "POST body is multipart/form-data",
    ),
    NoteRow(
        Req("POST", "/ACCESS_TOKEN/?" + TOKEN_QUERY, b" ", "text/plain"),
        ("other-body-type", "query-on-post"),
        TOKEN_PAGE,
        "POST body is text/plain",
    ),
    NoteRow(
        form(
            "client_secret=demo-secret&grant_type=client_idmobile",
            "POST",
            "/ACCESS_TOKEN/?licence=100001",
        ),
        ("query-on-post",),
        TOKEN_PAGE,
        "POST carries query parameters (licence)",
    ),
    NoteRow(
        Req("POST", "/ACCESS_TOKEN/", TOKEN_QUERY.encode(), f"{FORM}; charset=ISO-8859-1"),
        ("charset",),
        TOKEN_PAGE,
        "the form body is in ISO-8859-1",
    ),
    NoteRow(
        Req(
            "POST",
            "/ACCESS_TOKEN/",
            gzip.compress(TOKEN_QUERY.encode()),
            FORM,
            (("Content-Encoding", "gzip"),),
        ),
        ("compressed-body",),
        TOKEN_PAGE,
        "the body is gzip-compressed",
    ),
    NoteRow(
        Req("GET", "/IDMOBILE/?number=+33639980001&" + NUMVERIFY),
        ("plus-as-space",),
        STEP1_PAGE,
        "/number: starts with a space",
    ),
    NoteRow(
        Req("GET", "/GET/?token={token}&licence=100001&scope=numVerify", session=True),
        ("licence-spelling",),
        STEP2_PAGE,
        "/licence: the docs spell it 'Licence' on /GET/",
    ),
    NoteRow(
        Req(
            "GET",
            "/IDMOBILE/?number=%2B33639980001&token={token}&name=A&Licence=100001&scope=numVerify",
        ),
        ("licence-spelling",),
        STEP1_PAGE,
        "/Licence: the docs spell it 'licence' on /IDMOBILE/",
    ),
    NoteRow(
        Req(
            "GET", "/GET/?token={token}&Licence=100001&licence=100001&scope=numVerify", session=True
        ),
        ("licence-spelling",),
        STEP2_PAGE,
        "both spellings sent; the mock read 'licence'",
    ),
    NoteRow(
        Req("GET", "/ACCESS_TOKEN/?" + TOKEN_QUERY + "&shop=42"),
        ("undocumented-parameter",),
        TOKEN_PAGE,
        "/shop: parameter 'shop' is not documented for /ACCESS_TOKEN/",
    ),
    NoteRow(
        Req("GET", "/IDMOBILE/?number=%2B33639980001&mode=2&" + NUMVERIFY),
        ("mode-ignored",),
        STEP1_PAGE,
        "/mode: numVerify takes no mode",
    ),
    NoteRow(
        Req("GET", "/ACCESS_TOKEN/?" + TOKEN_QUERY + "&licence=100002"),
        ("repeated-parameter",),
        TOKEN_PAGE,
        "/licence: sent more than once; the mock used the first value",
    ),
    NoteRow(
        Req("GET", "/ACCESS_TOKEN?" + TOKEN_QUERY),
        ("no-trailing-slash",),
        TOKEN_PAGE,
        "/ACCESS_TOKEN has no trailing slash",
    ),
]


async def served(strict: bool) -> AsyncIterator[tuple[TestServer, ClientSession]]:
    settings = Settings(seed=7, frozen_clock=True, check_responses=True, strict=strict)
    server = TestServer(create_app(settings), host="127.0.0.1")
    async with server, ClientSession() as http:
        yield server, http


@pytest.fixture
async def lenient() -> AsyncIterator[tuple[TestServer, ClientSession]]:
    async for pair in served(strict=False):
        yield pair


@pytest.fixture
async def strict() -> AsyncIterator[tuple[TestServer, ClientSession]]:
    async for pair in served(strict=True):
        yield pair


async def entry_of(server: TestServer, http: ClientSession, req: Req) -> dict[str, Any]:
    """Send `req` (after a token, and a session when asked); its journal entry, as JSON."""
    base = str(server.make_url("/")).rstrip("/")
    async with http.get(URL(f"{base}/ACCESS_TOKEN/?{TOKEN_QUERY}", encoded=True)) as reply:
        token = (await reply.json())["access_token"]
    if req.session:
        start = f"{base}/IDMOBILE/?number=%2B33639980001&" + NUMVERIFY.replace("{token}", token)
        async with http.get(URL(start, encoded=True)) as reply:
            assert (await reply.json())["status"] == "success"
    url = URL(base + req.path.replace("{token}", token), encoded=True)
    headers = dict(req.headers)
    if req.content_type:
        headers["Content-Type"] = req.content_type
    body = req.body.replace(b"{token}", token.encode())
    async with http.request(req.method, url, data=body, headers=headers) as reply:
        await reply.read()
        status = reply.status
    entry = server.app[STATE].journal.entries()[-1].as_json()
    assert entry["status"] == status
    return entry


@pytest.mark.parametrize("row", ERROR_ROWS, ids=[r.name for r in ERROR_ROWS])
async def test_every_error_answer_is_a_violation_with_its_reason(
    lenient: tuple[TestServer, ClientSession], row: ErrorRow
) -> None:
    entry = await entry_of(*lenient, row.request)
    assert entry["status"] == row.status
    assert entry["verdict"] == "violations"
    assert entry["reasons"], entry
    assert entry["error_reason"], entry
    assert any(row.reason in r for r in entry["reasons"]), entry["reasons"]
    # The client's own breaches are request violations (the plugin fails on those); an error
    # a well-formed request provoked is not.
    assert bool(entry["request_violations"]) is row.clients_fault, entry
    assert entry["response_violations"] == [], entry


@pytest.mark.parametrize("row", NOTE_ROWS, ids=[r.ids[0] for r in NOTE_ROWS])
async def test_lenient_acceptance_is_a_note_in_the_default_mode(
    lenient: tuple[TestServer, ClientSession], row: NoteRow
) -> None:
    entry = await entry_of(*lenient, row.request)
    assert entry["status"] == 200
    assert entry["error_reason"] is None
    assert entry["verdict"] == "notes"
    assert entry["request_violations"] == []
    assert tuple(n["id"] for n in entry["notes"]) == row.ids
    first = entry["notes"][0]
    assert first["page"] == row.page
    assert row.fragment in first["message"]
    assert f"(note {row.ids[0]})" in first["message"]
    assert entry["reasons"] == [n["message"] for n in entry["notes"]]


@pytest.mark.parametrize("row", NOTE_ROWS, ids=[r.ids[0] for r in NOTE_ROWS])
async def test_strict_serve_fails_on_notes(
    strict: tuple[TestServer, ClientSession], row: NoteRow
) -> None:
    entry = await entry_of(*strict, row.request)
    assert entry["verdict"] == "violations"
    assert tuple(n["id"] for n in entry["notes"]) == row.ids
    assert entry["request_violations"] == [n["message"] for n in entry["notes"]]
    assert row.fragment in entry["reasons"][0]


async def test_a_conforming_request_has_no_reasons(
    lenient: tuple[TestServer, ClientSession],
) -> None:
    """A control: the token request every row starts with conforms, with nothing to say."""
    server, http = lenient
    entry = await entry_of(server, http, Req("GET", "/ACCESS_TOKEN/?" + TOKEN_QUERY))
    assert (entry["verdict"], entry["reasons"], entry["notes"]) == ("conforms", [], [])
    assert entry["error_reason"] is None


def test_an_entry_with_every_list_full_stays_within_the_readme_bound() -> None:
    """docs/limits.md: under 60,000 characters of JSON besides the mock's own answer and its
    response violations, however much a request says (each list full, each line too long)."""
    long = "é" * 5_000
    entry = JournalEntry(
        id=1,
        at=0.0,
        namespace="n" * 64,
        method="POST",
        path="/IDMOBILE/",
        endpoint="unmatched",  # no response violations: not counted by the bound
        params=redact({f"{i:02}" + "n" * 100: long for i in range(40)}),
        status=404,
        response="x" * MAX_TEXT_RESPONSE,
        scenario_id="s" * 64,
        request_violations=(long,) * 50,
        error_reason=long,
        notes=(Note("undocumented-parameter", long, STEP1_PAGE),) * 50,
    )
    data = entry.as_json()
    assert (len(data["request_violations"]), len(data["notes"]), len(data["reasons"])) == (
        21,
        20,
        21,
    )
    assert len(json.dumps(data, ensure_ascii=False)) < 60_000


def test_serve_strict_is_the_strict_mode_of_these_tests() -> None:
    """`dqe-mock serve --strict` builds the Settings(strict=True) the strict rows run with."""
    assert _settings(_parser().parse_args(["serve", "--strict"])).strict is True
    assert _settings(_parser().parse_args(["serve"])).strict is False


async def test_the_notes_memo_tells_apart_requests_that_differ_only_in_how_they_arrived(
    lenient: tuple[TestServer, ClientSession],
) -> None:
    # The notes are memoised on how a request arrived (http/dqe.py): the same query and body
    # bytes sent with another path, charset or method must not get the first one's notes. Each
    # variant is sent twice, interleaved, so the second sending of each hits the memo. The
    # notes by hand, from NOTE_KINDS' rules (docs/contract-notes.md "Lenient decoding").
    server, http = lenient
    base = str(server.make_url("/")).rstrip("/")
    async with http.get(URL(f"{base}/ACCESS_TOKEN/?{TOKEN_QUERY}", encoded=True)) as reply:
        token = (await reply.json())["access_token"]
    query = f"number=%2B33639980001&{NUMVERIFY.replace('{token}', token)}"
    variants: list[tuple[str, str, str, bytes, dict[str, str], tuple[str, ...]]] = [
        ("slash", "GET", f"/IDMOBILE/?{query}", b"", {}, ()),
        ("no slash", "GET", f"/IDMOBILE?{query}", b"", {}, ("no-trailing-slash",)),
        ("form", "POST", "/IDMOBILE/", query.encode(), {"Content-Type": FORM}, ()),
        ("form latin-1", "POST", "/IDMOBILE/", query.encode(),
         {"Content-Type": f"{FORM}; charset=ISO-8859-1"}, ("charset",)),
    ]  # fmt: skip
    seen: dict[str, list[tuple[str, ...]]] = {}
    for _ in range(2):
        for name, method, path, body, headers, _expected in variants:
            url = URL(base + path, encoded=True)
            async with http.request(method, url, data=body or None, headers=headers) as reply:
                assert reply.status == 200, name
                await reply.read()
            entry = server.app[STATE].journal.entries()[-1].as_json()
            seen.setdefault(name, []).append(tuple(n["id"] for n in entry["notes"]))
    assert seen == {name: [expected, expected] for name, *_, expected in variants}
