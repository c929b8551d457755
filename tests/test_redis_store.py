"""Two `dqe-mock serve` processes sharing one real Redis (issue 16).

Expected answers come from the vendor pages and the hand-written table of magic numbers
(contract_tests/magic_numbers.yaml): pending-10-polls and pending-3-polls consent at once and
answer pending 10 (3) polls, then success; orange-happy waits for the user's consent, pending
until then (numverify.txt, Step 2: "pending" while the operator has not answered). The success
body of numVerify is numverify.txt's: {"status": "success", "scope": "numVerify",
"numVerify": true}.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, TCPConnector

from tests.redis_server import RedisServer
from tests.served import serve_cli

LICENCE, SECRET = "100001", "demo-secret"  # README, "Licences": may use every scope
PENDING_10 = "+33639984010"
PENDING_3 = "+33639984003"
ORANGE_HAPPY = "+33639980001"
NUMVERIFY_SUCCESS = {"status": "success", "scope": "numVerify", "numVerify": True}
PENDING = {"status": "pending", "scope": "numVerify"}


def call(base: str, path: str, data: dict[str, str] | None = None) -> tuple[int, Any]:
    """GET (data None) or form POST; the status and the JSON (or text) answered."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(base + path, data=body)
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def token_from(base: str) -> str:
    status, body = call(
        base,
        "/ACCESS_TOKEN/",
        {"licence": LICENCE, "client_secret": SECRET, "grant_type": "client_idmobile"},
    )
    assert status == 200, body
    return str(body["access_token"])


def initiate(base: str, token: str, number: str) -> str:
    """numVerify for `number`: the consent url's path."""
    status, body = call(
        base,
        "/IDMOBILE/",
        {
            "licence": LICENCE,
            "token": token,
            "name": "Acme",
            "scope": "numVerify",
            "number": number,
            "redirect_uri": "https://partner.example/callback",
        },
    )
    assert status == 200, body
    return urllib.parse.urlsplit(body["url"]).path


def poll(base: str, token: str) -> tuple[int, Any]:
    return call(base, f"/GET/?licence={LICENCE}&scope=numVerify&token={token}")


def test_one_flow_across_two_processes(redis_url: str, tmp_path: Path) -> None:
    """Token on A, initiation on B, consent on A, polls alternating; both journals agree."""
    state = ("--state", redis_url)
    with serve_cli(tmp_path / "a.log", *state) as a, serve_cli(tmp_path / "b.log", *state) as b:
        token = token_from(a)
        consent = initiate(b, token, ORANGE_HAPPY)
        assert poll(a, token) == (200, PENDING)  # the user has not answered yet
        assert poll(b, token) == (200, PENDING)
        request = urllib.request.Request(a + consent, data=b"decision=approve")
        opener = urllib.request.build_opener(NoRedirect())
        with pytest.raises(urllib.error.HTTPError) as redirected:
            opener.open(request, timeout=20)
        assert redirected.value.code == 302
        assert redirected.value.headers["Location"] == (
            f"https://partner.example/callback?token={token}&status=success"
        )
        for base in (b, a, b, a):
            assert poll(base, token) == (200, NUMVERIFY_SUCCESS)
        # Either process's journal holds the whole flow, in one order.
        paths = {}
        for name, base in (("a", a), ("b", b)):
            status, journal = call(base, "/__admin/journal")
            assert status == 200
            paths[name] = [(e["id"], e["method"], e["path"]) for e in journal["entries"]]
        assert paths["a"] == paths["b"]
        assert [p for _, _, p in paths["a"]] == [
            "/ACCESS_TOKEN/", "/IDMOBILE/", "/GET/", "/GET/", consent,
            "/GET/", "/GET/", "/GET/", "/GET/",
        ]  # fmt: skip
        ids = [i for i, _, _ in paths["a"]]
        assert ids == sorted(set(ids))
        # The session, listed by either process, is the same one.
        sessions = [call(base, f"/__admin/sessions/{token}")[1] for base in (a, b)]
        assert sessions[0] == sessions[1]
        assert (sessions[0]["phase"], sessions[0]["decision"]) == ("done", "approve")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Let a 302 through as an HTTPError, so its Location can be read."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


async def _polls(bases: list[str], token: str, count: int) -> list[tuple[int, Any]]:
    """`count` polls at once, alternating between `bases`, each on a connection of its own."""
    query = f"/GET/?licence={LICENCE}&scope=numVerify&token={token}"
    async with ClientSession(connector=TCPConnector(force_close=True, limit=0)) as http:

        async def one(i: int) -> tuple[int, Any]:
            async with http.get(bases[i % len(bases)] + query) as answer:
                return answer.status, await answer.json()

        return await asyncio.gather(*(one(i) for i in range(count)))


def test_fifty_concurrent_polls_over_two_processes_consume_exactly_the_pending_steps(
    redis_url: str, tmp_path: Path
) -> None:
    state = ("--state", redis_url)
    with serve_cli(tmp_path / "a.log", *state) as a, serve_cli(tmp_path / "b.log", *state) as b:
        token = token_from(a)
        initiate(b, token, PENDING_10)  # consent is given at once
        answers = asyncio.run(_polls([a, b], token, 50))
        seen = Counter(json.dumps(body, sort_keys=True) for status, body in answers)
        assert all(status == 200 for status, _ in answers), answers
        assert seen == {
            json.dumps(PENDING, sort_keys=True): 10,
            json.dumps(NUMVERIFY_SUCCESS, sort_keys=True): 40,
        }
        # Once more, after the race: finished stays finished.
        assert poll(a, token) == (200, NUMVERIFY_SUCCESS)


def test_redis_stopped_mid_flow_answers_503_then_the_flow_goes_on(
    redis_server: RedisServer, redis_url: str, tmp_path: Path
) -> None:
    """While Redis is down: 503 naming the store, never a wrong answer; once it is back (its
    saved data restored), the flow continues where it was, and new flows work."""
    with serve_cli(tmp_path / "a.log", "--state", redis_url) as a:
        token = token_from(a)
        initiate(a, token, PENDING_3)
        assert poll(a, token) == (200, PENDING)  # pending step 1 of 3
        redis_server.stop()  # saves, as a clean shutdown does
        try:
            for path in (
                f"/GET/?licence={LICENCE}&scope=numVerify&token={token}",
                "/ACCESS_TOKEN/",
            ):
                status, body = call(a, path)
                assert status == 503, body
                assert body["error"] == "state_store_unavailable"
                assert body["store"] == redis_url
                assert redis_url in body["error_description"]
            status, body = call(a, "/__admin/journal")
            assert (status, body["store"]) == (503, redis_url)
        finally:
            redis_server.start()
        assert poll(a, token) == (200, PENDING)  # step 2: the 503s consumed nothing
        assert poll(a, token) == (200, PENDING)  # step 3
        assert poll(a, token) == (200, NUMVERIFY_SUCCESS)
        fresh = token_from(a)
        initiate(a, fresh, ORANGE_HAPPY)
        assert poll(a, fresh) == (200, PENDING)
        status, journal = call(a, "/__admin/journal")  # followed again after the outage
        assert status == 200
        assert [e["path"] for e in journal["entries"]][-3:] == [
            "/ACCESS_TOKEN/", "/IDMOBILE/", "/GET/",
        ]  # fmt: skip


def test_redis_that_lost_its_data_answers_as_a_new_one(
    redis_server: RedisServer, redis_url: str, tmp_path: Path
) -> None:
    """Killed without saving and started again: what it held is gone, so a token issued
    before is unknown (error 30, numverify.txt: invalid or expired token); the journal starts
    over with the new requests; new flows work."""
    with serve_cli(tmp_path / "a.log", "--state", redis_url) as a:
        token = token_from(a)
        initiate(a, token, ORANGE_HAPPY)
        redis_server.kill()
        redis_server.start()
        status, body = poll(a, token)
        assert (body["status"], body["error_id"]) == ("error", "30"), (status, body)
        fresh = token_from(a)
        initiate(a, fresh, ORANGE_HAPPY)
        assert poll(a, fresh) == (200, PENDING)
        status, journal = call(a, "/__admin/journal")
        assert [(e["id"], e["path"]) for e in journal["entries"]] == [
            (1, "/GET/"), (2, "/ACCESS_TOKEN/"), (3, "/IDMOBILE/"), (4, "/GET/"),
        ]  # fmt: skip


def test_serve_refuses_to_start_without_redis(tmp_path: Path) -> None:
    """An unreachable store at start: exit 2 and one line naming it (no traceback)."""
    import subprocess
    import sys

    server = RedisServer(tmp_path / "gone")
    server.start()
    url = server.url
    server.stop()  # the port was free a moment ago and nothing listens on it now
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--state", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"dqe-mock: cannot start: the mock's state store {url} cannot be reached" in done.stderr
    assert "Traceback" not in done.stderr


# A runtime scenario: a new number whose consent succeeds, then /GET/ answers 18 (the catalogue:
# 18, no data after OTP) whatever the scope.
RUNTIME_NUMBER = "+33639987123"
RUNTIME_DOC = f"""\
version: 1
scenarios:
  - id: runtime-18
    match: {{numbers: ["{RUNTIME_NUMBER}"]}}
    operator: Orange
    outcome: {{consent: {{auto: true}}, result_error: "18"}}
"""


def admin(base: str, method: str, path: str, body: str = "") -> tuple[int, Any]:
    request = urllib.request.Request(
        base + path, data=body.encode() if body else None, method=method
    )
    request.add_header("Content-Type", "application/yaml")
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_runtime_scenarios_added_on_one_process_are_served_by_the_other(
    redis_url: str, tmp_path: Path
) -> None:
    state = ("--state", redis_url)
    with serve_cli(tmp_path / "a.log", *state) as a, serve_cli(tmp_path / "b.log", *state) as b:
        status, body = admin(a, "POST", "/__admin/scenarios", RUNTIME_DOC)
        assert status == 201, body
        status, listed = admin(b, "GET", "/__admin/scenarios")
        assert status == 200
        assert "runtime-18" in [s["id"] for s in listed["scenarios"]]
        token = token_from(b)
        initiate(b, token, RUNTIME_NUMBER)
        _, answer = poll(a, token)  # numverify.txt, Error: 18, no data after OTP validation
        assert (answer["status"], answer["error_id"]) == ("error", "18"), answer
        # Removed on B: A no longer knows the number (a fresh process started now neither).
        status, _ = admin(b, "DELETE", "/__admin/scenarios/runtime-18")
        assert status == 200
        status, listed = admin(a, "GET", "/__admin/scenarios")
        assert "runtime-18" not in [s["id"] for s in listed["scenarios"]]
        status, _ = admin(a, "POST", "/__admin/scenarios", RUNTIME_DOC)
        with serve_cli(tmp_path / "c.log", *state) as c:
            status, listed = admin(c, "GET", "/__admin/scenarios")
            assert "runtime-18" in [s["id"] for s in listed["scenarios"]]


# docs/admin-api.md, Faults: `first: 2` "only the first 2 matching requests: the 3rd try
# succeeds". Shared by the processes: two gateway errors in all, whichever answers.
FAULT_DOC = """\
version: 1
faults:
  - id: token-gateway-down
    endpoint: ACCESS_TOKEN
    kind: http_error
    status: 503
    first: 2
"""


def test_a_fault_s_first_n_counts_requests_over_every_process(
    redis_url: str, tmp_path: Path
) -> None:
    state = ("--state", redis_url)
    with serve_cli(tmp_path / "a.log", *state) as a, serve_cli(tmp_path / "b.log", *state) as b:
        status, body = admin(b, "POST", "/__admin/scenarios", FAULT_DOC)
        assert status == 201, body
        form = {"licence": LICENCE, "client_secret": SECRET, "grant_type": "client_idmobile"}
        statuses = [call(base, "/ACCESS_TOKEN/", form)[0] for base in (a, b, a, b)]
        assert statuses == [503, 503, 200, 200]


async def test_a_namespace_s_runtime_changes_are_bounded_on_redis(redis_url: str) -> None:
    """docs/state-stores.md: Redis keeps a namespace's changes (to replay them), at most 16
    documents' worth of --max-scenario-bytes; past it a 409 says to PUT or reset, and a PUT
    (which replaces them all) is accepted."""
    from aiohttp.test_utils import TestServer

    from mockserver.http.app import create_app
    from mockserver.settings import Settings

    limit = 4096
    padding = "#" * 3000 + "\n"  # a comment: ~3 KB a document, under the 4 KB limit
    settings = Settings(seed=7, frozen_clock=True, state=redis_url, max_document_bytes=limit)
    statuses = []
    async with (
        TestServer(create_app(settings), host="127.0.0.1") as server,
        ClientSession() as http,
    ):
        url = server.make_url("/__admin/scenarios")
        for _ in range(30):  # 30 x ~3 KB > 16 x 4 KB
            async with http.post(url, data=padding + RUNTIME_DOC) as answer:
                statuses.append(answer.status)
                body = await answer.json()
        assert statuses[0] == 201
        assert statuses[-1] == 409
        assert statuses == sorted(statuses)  # accepted, then refused: never accepted again
        assert "PUT a document" in body["error"]
        size = len((padding + RUNTIME_DOC).encode())  # as kept, give or take its JSON wrapping
        assert 16 * limit // (size + 64) <= statuses.count(201) <= 16 * limit // size
        async with http.put(url, data=RUNTIME_DOC) as answer:
            assert answer.status == 200
        async with http.post(url, data=RUNTIME_DOC) as answer:
            assert answer.status == 201
