"""Fixtures for the mock's own tests: an in-process server with a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.http.keys import STATE
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient


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
