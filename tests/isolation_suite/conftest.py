"""Fixtures of the isolation suite: the shared server's url, a namespace of the test's own.

This suite is not collected by the main run (its files are check_*.py); test_isolation.py
runs it with `-o python_files=check_*.py -n 2` and DQE_BASE_URL pointing at one server.
Importing this module has no side effect, so the main run may load it harmlessly.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession
from yarl import URL

from mockserver.http.keys import NAMESPACE_HEADER

BASE_URL_VARIABLE = "DQE_BASE_URL"
REPORT_VARIABLE = "DQE_ISOLATION_REPORT"


@pytest.fixture
def base_url() -> URL:
    """The server every worker shares."""
    value = os.environ.get(BASE_URL_VARIABLE)
    if not value:
        pytest.fail(f"{BASE_URL_VARIABLE} is not set: run this suite through test_isolation.py")
    return URL(value)


@pytest.fixture
def worker() -> str:
    """xdist's worker id (gw0, gw1, ...); 'main' without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture
def namespace(worker: str, request: pytest.FixtureRequest) -> str:
    """A namespace no other test uses: the worker id and the test's name."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", f"{worker}-{request.node.name}").strip("-")


@pytest.fixture
async def http(namespace: str) -> AsyncIterator[ClientSession]:
    """A client whose every request carries the test's namespace."""
    async with ClientSession(headers={NAMESPACE_HEADER: namespace}) as session:
        yield session


@pytest.fixture(autouse=True)
def report_worker(worker: str, namespace: str) -> None:
    """Leave a trace of which worker ran which test, for test_isolation.py to check."""
    directory = os.environ.get(REPORT_VARIABLE)
    if directory:
        (Path(directory) / f"{namespace}.worker").write_text(worker)
