"""A session becomes a scenario: `GET /__admin/sessions/{token}/scenario` and
`dqe-mock export-session` (docs/client-report.md).

The replay tests drive flows on a server A serving ORIGINAL, export each session with the CLI,
check the file with `dqe-mock validate`, start a fresh server B on the exported file alone (over
the built-in pack), send the same requests, and compare both sequences of answers with the
sequence written by hand below from ORIGINAL (not from the code): what each request gets.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.cli import main
from mockserver.domain.service import MockState
from mockserver.domain.session_export import SECRET_PLACEHOLDER
from mockserver.http.app import create_app
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient
from tests.served import serve_cli

SLOW = "+33639987501"  # consent by itself; /GET/ faulted once, pending twice, then 18
FORM = "+33639987502"  # formfilling; /IDMOBILE/ faulted once; pending 30 s after consent
ORIGINAL = f"""\
version: 1
licences:
  - licence: L77
    client_secret: seventy-seven-secret
operators:
  - name: Export Telecom
scenarios:
  - id: slow-then-18
    match: {{numbers: ["{SLOW}"]}}
    operator: Orange
    outcome:
      consent: {{auto: true}}
      pending: {{polls: 2}}
      result_error: "18"
    faults:
      - {{id: get-cut, endpoint: GET, kind: http_error, status: 503, first: 1}}
  - id: form-slow
    match: {{numbers: ["{FORM}"]}}
    operator: Export Telecom
    subscriber: {{given_name: Lina, family_name: Moreau, email: lina.moreau@example.com}}
    outcome:
      pending: {{seconds: 30}}
    faults:
      - {{id: init-down, endpoint: IDMOBILE, kind: http_error, status: 502, first: 1}}
faults:
  - id: token-down
    endpoint: ACCESS_TOKEN
    kind: http_error
    status: 504
    first: 1
    licences: ["100001"]
"""
TOKEN_FORM = {"licence": "100001", "client_secret": "demo-secret", "grant_type": "client_idmobile"}


@dataclass(frozen=True)
class Answer:
    """What a request got: HTTP status, DQE status (pending, success, error), error id."""

    status: int
    dqe_status: str | None = None
    error_id: str | None = None

    def __repr__(self) -> str:
        return f"{self.status}/{self.dqe_status}/{self.error_id}"


def call(method: str, url: str, form: dict[str, str] | None = None) -> tuple[Answer, Any]:
    """One request, redirects not followed; the answer and the decoded JSON body (or None)."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as reply:
            status, raw, ctype = reply.status, reply.read(), reply.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        status, raw, ctype = exc.code, exc.read(), exc.headers.get_content_type()
    body = json.loads(raw) if ctype == "application/json" else None
    if not isinstance(body, dict):
        return Answer(status), body
    return Answer(status, body.get("status"), body.get("error_id")), body


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def token_of(url: str) -> tuple[list[Answer], str]:
    """/ACCESS_TOKEN/ until it gives a token (a faulted answer is retried, at most 3 tries)."""
    answers = []
    for _ in range(3):
        answer, body = call("POST", f"{url}/ACCESS_TOKEN/", TOKEN_FORM)
        answers.append(answer)
        if answer.status == 200 and isinstance(body, dict):
            return answers, str(body["access_token"])
    raise AssertionError(f"no token after {answers}")


def slow_flow(url: str, advance: bool) -> tuple[list[Answer], str]:
    """Token, /IDMOBILE/ numVerify on SLOW, then five polls."""
    answers, token = token_of(url)
    initiate = {"licence": "100001", "token": token, "name": "ACME", "scope": "numVerify"}
    answers.append(call("POST", f"{url}/IDMOBILE/", {**initiate, "number": "0639987501"})[0])
    query = urllib.parse.urlencode({"token": token, "Licence": "100001", "scope": "numVerify"})
    answers += [call("GET", f"{url}/GET/?{query}")[0] for _ in range(5)]
    return answers, token


def form_flow(url: str, advance: bool) -> tuple[list[Answer], str]:
    """Token, /IDMOBILE/ formfilling on FORM (retried once), a poll before consent, the
    consent form as a browser posts it, two polls, (on A only: 31 s of the token's clock),
    a poll with the result."""
    answers, token = token_of(url)
    initiate = {
        "licence": "100001",
        "token": token,
        "name": "ACME",
        "scope": "formfilling",
        "mode": "2",
        "number": "0639987502",
        "redirect_uri": "https://shop.example/back",
    }
    answers.append(call("POST", f"{url}/IDMOBILE/", initiate)[0])
    answer, body = call("POST", f"{url}/IDMOBILE/", initiate)
    answers.append(answer)
    consent_url = str(body["url"])
    query = urllib.parse.urlencode({"token": token, "Licence": "100001", "scope": "formfilling"})
    answers.append(call("GET", f"{url}/GET/?{query}")[0])
    answers.append(call("POST", consent_url, {"otp": "123456", "decision": "approve"})[0])
    answers += [call("GET", f"{url}/GET/?{query}")[0] for _ in range(2)]
    if advance:
        moved = {"seconds": 31, "token": token}
        request = urllib.request.Request(
            f"{url}/__admin/clock/advance",
            data=json.dumps(moved).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=30).close()
    answer, body = call("GET", f"{url}/GET/?{query}")
    assert body["formfilling"]["family_name"] == "Moreau", body  # ORIGINAL's subscriber
    answers.append(answer)
    return answers, token


OK = Answer(200)
PENDING = Answer(200, "pending")
# By hand, from ORIGINAL and the README's tables: the first token request meets token-down (504),
# the retry gets a token; SLOW's /IDMOBILE/ answers a url (consent by itself); its first
# /GET/ meets get-cut (503); two polls are pending; then error 18 (HTTP 200 on /GET/, as
# schemas/errors.json says), and a finished session stays finished.
SLOW_EXPECTED = [
    Answer(504),
    OK,
    Answer(200, "success"),
    Answer(503),
    PENDING,
    PENDING,
    Answer(200, "error", "18"),
    Answer(200, "error", "18"),
]
# FORM: the token fault was used up by the first flow on A (its count is the namespace's), so
# the token comes at once; /IDMOBILE/ meets init-down (502), the retry answers a url; /GET/ is
# pending before consent; the form redirects (302); pending during the 30 s; then success. On B
# the 30 s are replayed as the two pending polls the session met, without moving the clock.
FORM_EXPECTED = [OK, Answer(502), Answer(200, "success"), PENDING, Answer(302), PENDING, PENDING]
FORM_EXPECTED.append(Answer(200, "success"))


def export(url: str, token: str, path: Path) -> str:
    status = main(["export-session", token, "--url", url, "--output", str(path)])
    assert status == 0
    assert main(["validate", str(path)]) == 0
    return path.read_text(encoding="utf-8")


def test_an_exported_session_replays_to_the_same_answers(tmp_path: Path) -> None:
    original = tmp_path / "original.yaml"
    original.write_text(ORIGINAL, encoding="utf-8")
    with serve_cli(tmp_path / "a.log", "--scenarios", str(original), "--no-watch") as url_a:
        slow_a, slow_token = slow_flow(url_a, advance=True)
        form_a, form_token = form_flow(url_a, advance=True)
        slow_text = export(url_a, slow_token, tmp_path / "slow.yaml")
        form_text = export(url_a, form_token, tmp_path / "form.yaml")
    assert slow_a == SLOW_EXPECTED
    assert form_a == FORM_EXPECTED
    # No secret: neither token value, nor the licence L77's secret (not used, not written).
    for text, token in ((slow_text, slow_token), (form_text, form_token)):
        assert token not in text
        assert "seventy-seven-secret" not in text
        assert text.startswith("# Exported by dqe-mock")
    with serve_cli(tmp_path / "b1.log", "--scenarios", str(tmp_path / "slow.yaml")) as url_b:
        assert slow_flow(url_b, advance=False)[0] == SLOW_EXPECTED
    with serve_cli(tmp_path / "b2.log", "--scenarios", str(tmp_path / "form.yaml")) as url_b:
        # The token fault was not met by this session: the file has none.
        assert form_flow(url_b, advance=False)[0] == FORM_EXPECTED


def test_the_exported_file_says_what_the_session_met(tmp_path: Path) -> None:
    original = tmp_path / "original.yaml"
    original.write_text(ORIGINAL, encoding="utf-8")
    with serve_cli(tmp_path / "a.log", "--scenarios", str(original), "--no-watch") as url_a:
        _, token = form_flow(url_a, advance=True)
        document = yaml.safe_load(export(url_a, token, tmp_path / "form.yaml"))
    (scenario,) = document["scenarios"]
    assert scenario["match"] == {"numbers": [FORM]}
    assert scenario["operator"] == "Export Telecom"
    assert document["operators"] == [{"name": "Export Telecom"}]  # not in the built-in pack
    assert "licences" not in document  # 100001 is the built-in pack's, unchanged
    assert scenario["outcome"] == {"pending": {"polls": 2}}  # 30 s met as two pending polls
    assert scenario["subscriber"]["family_name"] == "Moreau"
    (fault,) = scenario["faults"]
    assert {k: fault[k] for k in ("endpoint", "kind", "status", "first")} == {
        "endpoint": "IDMOBILE",
        "kind": "http_error",
        "status": 502,
        "first": 1,
    }


# --- the admin call's answers, in-process --------------------------------------------------

RUNTIME = f"""\
version: 1
licences:
  - licence: L9
    client_secret: nine-secret
    token_ttl: 120
scenarios:
  - id: denied
    match: {{numbers: ["{SLOW}"]}}
    operator: Orange
    outcome: {{consent: {{decision: deny}}}}
"""


async def _denied_session(http: ClientSession, server: TestServer) -> str:
    async with http.post(server.make_url("/__admin/scenarios?namespace=L9"), data=RUNTIME) as r:
        assert r.status == 201
    dqe = DqeClient(http, server.make_url("/"))
    token = await dqe.token("L9", "nine-secret")
    reply = await dqe.idmobile(token, SLOW, "formfilling", licence="L9")
    assert reply.status == 200
    assert (await dqe.visit(reply.body["url"]))[0] == 200  # no redirect_uri: a page
    assert (await dqe.get(token, "formfilling", licence="L9")).error_id == "21"
    return token


async def test_the_answer_is_a_yaml_download_without_secrets(server: TestServer) -> None:
    async with ClientSession() as http:
        token = await _denied_session(http, server)
        async with http.get(server.make_url(f"/__admin/sessions/{token}/scenario")) as reply:
            assert reply.status == 200
            assert reply.content_type == "application/yaml"
            disposition = reply.headers["Content-Disposition"]
            assert disposition.startswith('attachment; filename="session-s')
            text = await reply.text()
    assert token not in text
    assert "nine-secret" not in text
    document = yaml.safe_load(text)
    assert document["licences"] == [
        {"licence": "L9", "client_secret": SECRET_PLACEHOLDER, "token_ttl": 120}
    ]
    assert document["scenarios"][0]["outcome"] == {"consent": {"decision": "deny"}}
    assert "client_secret is not written" in text.split("version: 1")[0]


async def test_another_namespace_is_a_404(server: TestServer) -> None:
    async with ClientSession() as http:
        token = await _denied_session(http, server)
        url = server.make_url(f"/__admin/sessions/{token}/scenario?namespace=other")
        async with http.get(url) as reply:
            assert reply.status == 404
            assert "namespace other" in (await reply.json())["error"]


@pytest.mark.parametrize(
    ("token", "status"),
    [
        ("TK00000000000000000000000000000000000000ff", 404),
        ("short", 404),
        ("a b", 400),
        ("é", 400),
        ("x" * 129, 400),
        ("<script>", 400),
    ],
)
async def test_unknown_and_bad_tokens(server: TestServer, token: str, status: int) -> None:
    quoted = urllib.parse.quote(token, safe="")
    url = server.make_url(f"/__admin/sessions/{quoted}/scenario")
    async with ClientSession() as http, http.get(url) as reply:
        assert reply.status == status
        assert reply.content_type == "application/json"
        said = (await reply.json())["error"]
    if status == 404:
        # Named, but a long token only by its ends: the 404's log line holds no credential.
        shown = token if len(token) <= 16 else f"{token[:8]}…{token[-4:]}"
        assert said == f"no session for token {shown}"


async def test_a_session_whose_initiation_left_the_journal_says_so(
    server: TestServer, state: MockState
) -> None:
    async with ClientSession() as http:
        token = await _denied_session(http, server)
        state.journal.reset()
        async with http.get(server.make_url(f"/__admin/sessions/{token}/scenario")) as reply:
            text = await reply.text()
    assert "the journal no longer holds this session's /IDMOBILE/ answer" in text


def test_the_cli_says_why_it_cannot_export(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export-session", "TKx", "--url", "http://127.0.0.1:9"]) == 2
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err


# --- what ties faults to a session, in-process -------------------------------------------

TWO = "+33639987511"  # no fault
THREE = "+33639987512"  # /IDMOBILE/ faulted once, the consent page faulted once
NOTP = "+33639987513"  # matching_notp asks for consent
TIES = f"""\
version: 1
scenarios:
  - id: plain
    match: {{numbers: ["{TWO}"]}}
    operator: Orange
  - id: faulted
    match: {{numbers: ["{THREE}"]}}
    operator: Orange
    outcome: {{pending: {{seconds: 30}}}}
    faults:
      - {{id: init, endpoint: IDMOBILE, kind: http_error, status: 500, first: 1}}
      - {{id: page, endpoint: consent, kind: http_error, status: 502, first: 1}}
  - id: notp
    match: {{numbers: ["{NOTP}"]}}
    operator: Orange
    scopes:
      matching_notp: {{consent_required: true}}
"""


async def _post_doc(http: ClientSession, server: TestServer, text: str) -> None:
    async with http.post(server.make_url("/__admin/scenarios"), data=text) as reply:
        assert reply.status == 201, await reply.text()


async def _exported(http: ClientSession, server: TestServer, token: str) -> str:
    async with http.get(server.make_url(f"/__admin/sessions/{token}/scenario")) as reply:
        assert reply.status == 200
        return await reply.text()


async def _consent_flow(dqe: DqeClient, token: str) -> list[tuple[int, str | None]]:
    """/IDMOBILE/ formfilling on THREE (retried after a 5xx), the consent form (retried after
    a 5xx): (HTTP status, DQE status or None) of each answer."""
    answers = []
    for _ in range(2):
        reply = await dqe.idmobile(token, THREE, "formfilling", redirect_uri="https://a.example/")
        answers.append((reply.status, reply.body.get("status") if reply.status == 200 else None))
    url = reply.body["url"]
    for _ in range(2):
        status, _, _ = await dqe.visit(url, otp="123456", decision="approve")
        answers.append((status, None))
    answers.append((200, (await dqe.get(token, "formfilling")).body["status"]))
    return answers


# By hand, from TIES: the first /IDMOBILE/ meets `init` (500), the retry answers a url; the
# first consent POST meets `page` (502), the retry redirects (302); /GET/ is pending (30 s).
CONSENT_FLOW = [(500, None), (200, "success"), (502, None), (302, None), (200, "pending")]


async def test_faults_are_tied_to_the_session_and_a_token_s_earlier_flow_is_not(
    server: TestServer,
) -> None:
    async with ClientSession() as http:
        await _post_doc(http, server, TIES)
        dqe = DqeClient(http, server.make_url("/"))
        token = await dqe.token()
        # An earlier flow of the same token, on a number without faults.
        assert (await dqe.idmobile(token, TWO, "numVerify")).status == 200
        assert await _consent_flow(dqe, token) == CONSENT_FLOW
        text = await _exported(http, server, token)
    document = yaml.safe_load(text)
    (scenario,) = document["scenarios"]
    assert scenario["match"] == {"numbers": [THREE]}
    # Not finished: the scenario's pending as it is (30 s), not a count of polls.
    assert scenario["outcome"] == {"pending": {"seconds": 30.0}}
    assert [(f["endpoint"], f["status"], f["first"]) for f in scenario["faults"]] == [
        ("IDMOBILE", 500, 1),
        ("consent", 502, 1),
    ]
    # Replayed on a fresh mock (the document added at runtime): the same answers.
    async with (
        TestServer(create_app(Settings(seed=8, frozen_clock=True)), host="127.0.0.1") as fresh,
        ClientSession() as http,
    ):
        await _post_doc(http, fresh, text)
        dqe = DqeClient(http, fresh.make_url("/"))
        assert await _consent_flow(dqe, await dqe.token()) == CONSENT_FLOW


async def test_matching_notp_keeps_asking_for_consent(server: TestServer) -> None:
    async with ClientSession() as http:
        await _post_doc(http, server, TIES)
        dqe = DqeClient(http, server.make_url("/"))
        token = await dqe.token()
        started = await dqe.idmobile(token, NOTP, "matching_notp")
        assert "url" in started.body  # docs/scenarios.md: the consent variant (with a url)
        text = await _exported(http, server, token)
    outcome = yaml.safe_load(text)["scenarios"][0]["outcome"]
    assert outcome == {"consent_required": True}
    async with (
        TestServer(create_app(Settings(seed=8, frozen_clock=True)), host="127.0.0.1") as fresh,
        ClientSession() as http,
    ):
        await _post_doc(http, fresh, text)
        dqe = DqeClient(http, fresh.make_url("/"))
        replayed = await dqe.idmobile(await dqe.token(), NOTP, "matching_notp")
        assert replayed.status == 200
        assert "url" in replayed.body


def test_an_unwritable_output_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "export-session",
        "TKx",
        "--url",
        "http://127.0.0.1:9",
        "--output",
        "/nonexistent/x.yaml",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "dqe-mock export-session: cannot write /nonexistent/x.yaml: no such directory /nonexistent\n"
    )
