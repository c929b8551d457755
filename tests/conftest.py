"""Fixtures for the mock's own tests: an in-process server with a frozen clock.

Where expectations come from (tests/ and contract_tests/), the rule applied in issue 12:

- An expected value is a literal from the vendor pages (shared/dqe-docs/) or the
  Contract notes (docs/contract-notes.md), a table a person wrote citing its page (the negative
  strategies' `defects.py`, `contract_tests/magic_numbers.yaml`), or a property (round trips,
  invariants).
- Contract data (schemas/*.json read through `mockserver.contract`: the catalogue's labels,
  `label_for`, scopes, `retrieval_scope`, the consent decision -> error map) may give an
  expectation only where that data is itself pinned by a test against literals from the
  docs (`tests/test_contract_schemas.py` for labels and user_infos keys,
  `contract_tests/test_mock_flows.py` for the consent errors): it is the contract, not the
  code under test.
- The domain (`mockserver.domain`: service, scenarios' `outcome_for`, sessions, scoring,
  bodies) is never the oracle for an answer of the mock, and no test copies its logic. It may
  build a test's *input* (a subscriber's record to send as user_infos) or be the subject.
- `contract_tests/` and `mockserver/testing/strategies/` import nothing from the domain
  (`tests/test_layers.py`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.http.keys import STATE
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient
from tests.redis_server import RedisServer, command


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules marked `both_stores` run each test on the memory store and on a real Redis
    (issue 16: the same HTTP suite passes on both)."""
    if metafunc.definition.get_closest_marker("both_stores") and (
        "state_store" in metafunc.fixturenames
    ):
        metafunc.parametrize("state_store", ["memory", "redis"], indirect=True)


@pytest.fixture
def state_store(request: pytest.FixtureRequest) -> str:
    """The `--state` of the test's server: memory, or (both_stores, second run) the url of
    the session's real Redis, emptied for the test."""
    if getattr(request, "param", "memory") == "redis":
        url: str = request.getfixturevalue("redis_url")
        return url
    return "memory"


@pytest.fixture
def settings(state_store: str) -> Settings:
    """Seeded, frozen clock (time moves only when a test advances it), self-checking."""
    return Settings(seed=7, frozen_clock=True, check_responses=True, state=state_store)


@pytest.fixture
def advance(server: TestServer) -> Callable[..., Awaitable[float]]:
    """Move the mock's clock through the admin API (`await advance(seconds, token=None)`),
    so that every store sees it; the new now()."""

    async def move(seconds: float, token: str | None = None) -> float:
        body: dict[str, object] = {"seconds": seconds}
        if token is not None:
            body["token"] = token
        async with ClientSession() as http:
            url = server.make_url("/__admin/clock/advance")
            async with http.post(url, json=body) as answer:
                assert answer.status == 200, await answer.text()
                now: float = (await answer.json())["now"]
                return now

    return move


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[TestServer]:
    """The mock, listening on 127.0.0.1 on a free port."""
    async with TestServer(create_app(settings), host="127.0.0.1") as srv:
        yield srv


@pytest.fixture
def state(server: TestServer) -> MockState:
    """The running mock's state (clock, tokens, sessions, scenarios)."""
    return server.app[STATE]


@pytest.fixture
async def dqe(server: TestServer) -> AsyncIterator[DqeClient]:
    """A contract-checking client of the running mock."""
    async with ClientSession() as session:
        yield DqeClient(session, server.make_url("/"))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on 127.0.0.1 on a free port, one per test process (xdist worker),
    stopped at the end. Fails (never skips) when redis-server is missing."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """redis://127.0.0.1:PORT/0 of the session's server, running (a test before may have
    stopped it) and emptied (FLUSHALL) for this test."""
    redis_server.start()
    reply = command(redis_server.port, "FLUSHALL")
    assert reply == b"+OK", f"FLUSHALL answered {reply!r}"
    return redis_server.url
