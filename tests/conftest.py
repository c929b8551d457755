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

from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.http.keys import STATE
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient
from tests.redis_server import RedisServer, command


@pytest.fixture
def settings() -> Settings:
    """Seeded, frozen clock (time moves only when a test advances it), self-checking."""
    return Settings(seed=7, frozen_clock=True, check_responses=True)


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
