"""What an outside tester found wrong with the Redis store, each kind a regression test.

Two in-process apps on one real Redis stand for two replicas (each has its own state and its
own store, as two processes do). Expected answers come from the vendor pages, the contract
notes (docs/contract-notes.md) and, where the question is "as a fresh replica would", from a
replica started afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.http.app import create_app
from mockserver.settings import Settings
from mockserver.store import redis as redis_store
from tests.redis_server import RedisServer, command
from tests.served import serve_cli
from tests.test_redis_store import (
    LICENCE,
    ORANGE_HAPPY,
    PENDING,
    RUNTIME_DOC,
    RUNTIME_NUMBER,
    SECRET,
    admin,
    call,
    initiate,
    poll,
    token_from,
)

CONSENT_ABANDONED = "+33639983003"  # magic_numbers.yaml: the user never answers (pending)


@contextlib.asynccontextmanager
async def replicas(redis_url: str, count: int = 2, **options: Any) -> AsyncIterator[list[str]]:
    settings = Settings(seed=7, frozen_clock=True, state=redis_url, **options)
    async with contextlib.AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(TestServer(create_app(settings), host="127.0.0.1"))
            for _ in range(count)
        ]
        yield [str(s.make_url("")).rstrip("/") for s in servers]


async def fetch(
    http: ClientSession, method: str, url: str, data: dict[str, str] | str | None = None
) -> tuple[int, Any]:
    async with http.request(method, url, data=data, allow_redirects=False) as answer:
        text = await answer.text()
        if answer.content_type == "application/json":
            return answer.status, await answer.json()
        return answer.status, text


async def token(http: ClientSession, base: str) -> str:
    form = {"licence": LICENCE, "client_secret": SECRET, "grant_type": "client_idmobile"}
    status, body = await fetch(http, "POST", f"{base}/ACCESS_TOKEN/", form)
    assert status == 200, body
    return str(body["access_token"])


async def start(http: ClientSession, base: str, tk: str, number: str, scope: str) -> str:
    form = {"licence": LICENCE, "token": tk, "name": "Acme", "scope": scope, "number": number}
    if scope != "numVerify":
        form["mode"] = "2"
    form["redirect_uri"] = "https://partner.example/cb"
    status, body = await fetch(http, "POST", f"{base}/IDMOBILE/", form)
    assert status == 200, body
    return urllib.parse.urlsplit(body["url"]).path


async def test_a_replaced_consent_link_answers_410_on_every_replica(redis_url: str) -> None:
    """docs/contract-notes.md, "Tokens and sessions": a later /IDMOBILE/ with the same token
    replaces the session; the first consent url answers 410 Gone, GET and POST alike, whichever
    replica the browser reaches (one had shown the page before)."""
    async with replicas(redis_url) as (a, b), ClientSession() as http:
        tk = await token(http, a)
        first = await start(http, a, tk, ORANGE_HAPPY, "formfilling")
        assert (await fetch(http, "GET", b + first))[0] == 200  # B holds a copy now
        await start(http, a, tk, ORANGE_HAPPY, "formfilling")  # the client starts again
        assert (await fetch(http, "POST", b + first, {"otp": "123456"}))[0] == 410
        assert (await fetch(http, "GET", b + first))[0] == 410
        assert (await fetch(http, "GET", a + first))[0] == 410


async def test_a_session_redis_no_longer_holds_is_not_served_from_a_copy(
    redis_url: str, redis_server: RedisServer
) -> None:
    async with replicas(redis_url) as (a, b), ClientSession() as http:
        tk = await token(http, a)
        page = await start(http, a, tk, ORANGE_HAPPY, "formfilling")
        assert (await fetch(http, "GET", b + page))[0] == 200
        session_id = page.rsplit("/", 1)[1]
        assert command(redis_server.port, "DEL", f"dqe:ss:{session_id}") == b":1"
        assert (await fetch(http, "GET", b + page))[0] == 404
        assert (await fetch(http, "POST", b + page, {"otp": "123456"}))[0] == 404


@pytest.mark.parametrize("namespace", ["gen", "names", "bytes", "versions", "ns:gen"])
async def test_any_namespace_name_leaves_the_store_s_bookkeeping_alone(
    redis_url: str, namespace: str
) -> None:
    """Namespaces follow NAMESPACE_RULE (docs/limits.md); none may break another's."""
    async with replicas(redis_url) as (a, b), ClientSession() as http:
        url = f"{a}/__admin/scenarios?namespace={urllib.parse.quote(namespace)}"
        assert (await fetch(http, "PUT", url, RUNTIME_DOC))[0] == 200
        assert (await fetch(http, "POST", f"{b}/__admin/scenarios", RUNTIME_DOC))[0] == 201
        tk = await token(http, b)
        await start(http, a, tk, ORANGE_HAPPY, "numVerify")
        reset = f"{b}/__admin/reset?namespace={urllib.parse.quote(namespace)}"
        assert (await fetch(http, "POST", reset))[0] == 200
        _, listed = await fetch(http, "GET", f"{a}/__admin/scenarios")
        assert "runtime-18" in [s["id"] for s in listed["scenarios"]]  # default's kept


@pytest.mark.parametrize(
    ("key", "value"), [("dqe:ck:off", "notanumber"), ("dqe:ck:off", "nan"), ("dqe:ck:off", "inf")]
)
async def test_an_unreadable_clock_value_is_no_500(
    redis_url: str, redis_server: RedisServer, key: str, value: str
) -> None:
    """Another program's value in the mock's keys: taken as no advance (and logged)."""
    async with replicas(redis_url, count=1) as (a,), ClientSession() as http:
        assert command(redis_server.port, "SET", key, value) == b"+OK"
        tk = await token(http, a)
        await start(http, a, tk, CONSENT_ABANDONED, "numVerify")
        status, body = await fetch(
            http, "GET", f"{a}/GET/?licence={LICENCE}&scope=numVerify&token={tk}"
        )
        assert (status, body) == (200, PENDING)


async def test_an_error_from_a_reachable_redis_says_so(
    redis_url: str, redis_server: RedisServer
) -> None:
    async with replicas(redis_url, count=1) as (a,), ClientSession() as http:
        assert command(redis_server.port, "SET", "dqe:ids", "not-a-counter") == b"+OK"
        form = {"licence": LICENCE, "client_secret": SECRET, "grant_type": "client_idmobile"}
        status, body = await fetch(http, "POST", f"{a}/ACCESS_TOKEN/", form)
        assert status == 503
        assert body["error"] == "state_store_unavailable"
        assert "answered an error" in body["error_description"]
        assert "cannot be reached" not in body["error_description"]


@pytest.mark.parametrize(("option", "kept"), [("max_tokens", 4), ("max_sessions", 3)])
async def test_max_tokens_and_sessions_bound_redis_too(
    redis_url: str, option: str, kept: int
) -> None:
    """docs/limits.md: past --max-tokens (--max-sessions) the oldest token (session) is
    forgotten; its /GET/ then answers as for an unknown token or session."""
    async with replicas(redis_url, **{option: kept}) as (a, b), ClientSession() as http:
        tokens = []
        for i in range(6):
            tk = await token(http, (a, b)[i % 2])
            await start(http, (b, a)[i % 2], tk, CONSENT_ABANDONED, "numVerify")
            tokens.append(tk)
        answers = [
            (await fetch(http, "GET", f"{a}/GET/?licence={LICENCE}&scope=numVerify&token={tk}"))[1]
            for tk in tokens
        ]
        evicted = [{"status": "error", "error_type": "invalid or expired token", "error_id": "30"}]
        assert answers == evicted * (6 - kept) + [PENDING] * kept
        _, health = await fetch(http, "GET", f"{b}/__admin/health")
        assert health["tokens" if option == "max_tokens" else "sessions"] == kept


async def test_runtime_changes_bound_holds_under_concurrent_posts(
    redis_url: str, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_store, "MAX_RUNTIME_CHANGES", 5)
    async with replicas(redis_url) as (a, b), ClientSession() as http:
        statuses = await asyncio.gather(
            *(
                fetch(
                    http, "POST", f"{(a, b)[i % 2]}/__admin/scenarios?namespace=race", RUNTIME_DOC
                )
                for i in range(20)
            )
        )
        codes = sorted(status for status, _ in statuses)
        assert codes == [201] * 5 + [409] * 15
        assert command(redis_server.port, "LLEN", "dqe:rt:ns:race") == b":5"


async def test_a_flushed_redis_leaves_no_replica_serving_runtime_scenarios(
    redis_url: str, redis_server: RedisServer
) -> None:
    """After FLUSHALL a replica answers as one started afterwards does (nothing remembered)."""
    async with replicas(redis_url) as (a, b), ClientSession() as http:
        assert (await fetch(http, "POST", f"{a}/__admin/scenarios", RUNTIME_DOC))[0] == 201
        tk = await token(http, b)
        await start(http, b, tk, RUNTIME_NUMBER, "numVerify")  # B serves the scenario
        assert command(redis_server.port, "FLUSHALL") == b"+OK"
        answers = []
        for base in (a, b):
            fresh = await token(http, base)
            form = {"licence": LICENCE, "token": fresh, "name": "Acme", "scope": "numVerify"}
            answers.append(
                await fetch(http, "POST", f"{base}/IDMOBILE/", {**form, "number": RUNTIME_NUMBER})
            )
        async with replicas(redis_url, count=1) as (c,):
            fresh = await token(http, c)
            form = {"licence": LICENCE, "token": fresh, "name": "Acme", "scope": "numVerify"}
            late = await fetch(http, "POST", f"{c}/IDMOBILE/", {**form, "number": RUNTIME_NUMBER})
        for status, body in answers:
            assert status == late[0]
            assert {k: v for k, v in body.items() if k != "url"} == {
                k: v for k, v in late[1].items() if k != "url"
            }


def test_a_replica_far_behind_the_stream_still_serves_every_runtime_change(
    redis_url: str, redis_server: RedisServer, tmp_path: Path
) -> None:
    """Stopped while another replica's changes and ~10,500 events went by (the stream keeps
    ~10,000): resumed, it serves the runtime scenario added meanwhile."""
    state = ("--state", redis_url)
    with serve_cli(tmp_path / "a.log", *state) as a, serve_cli(tmp_path / "b.log", *state) as b:
        pid = _pid_listening(b)
        os.kill(pid, signal.SIGSTOP)
        try:
            assert admin(a, "POST", "/__admin/scenarios", RUNTIME_DOC)[0] == 201
            script = (
                "for i=1,10500 do redis.call('XADD','dqe:events','MAXLEN','~','10000','*',"
                "'k','noop') end"
            )
            assert command(redis_server.port, "EVAL", script, "0", timeout=30) == b"$-1"
        finally:
            os.kill(pid, signal.SIGCONT)
        tk = token_from(b)
        initiate(b, tk, RUNTIME_NUMBER)
        _, answer = poll(b, tk)
        assert (answer["status"], answer["error_id"]) == ("error", "18"), answer


def _pid_listening(base: str) -> int:
    """The pid of the process listening on `base`'s port (its /__admin/health says it)."""
    status, health = call(base, "/__admin/health")
    assert status == 200
    pid = int(health["process"]["pid"])
    assert subprocess.run(["kill", "-0", str(pid)], check=False).returncode == 0
    return pid
