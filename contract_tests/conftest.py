"""The contract suite's target: any base url (--dqe-url), or an in-process mock by default.

    pytest contract_tests                                  # against an in-process mock
    pytest contract_tests --dqe-url https://dqe.example/   # against any server

Against a given url, tests marked mock_only (magic numbers, the admin API) are deselected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.target import Target
from mockserver.settings import Settings
from mockserver.testing.client import DEFAULT_LICENCE, DEFAULT_SECRET
from mockserver.testing.server import MockServer

HERE = Path(__file__).resolve().parent
MOCK_SEED = 20240607
# The mock's Orange happy path (+33 6 39 98 00 01, a number reserved for fiction).
DEFAULT_NUMBER = "+33639980001"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dqe", "DQE ID Mobile contract suite")
    group.addoption(
        "--dqe-url",
        default=os.environ.get("DQE_BASE_URL") or None,
        help="base url of the server under test (env DQE_BASE_URL); default: an in-process mock",
    )
    group.addoption(
        "--dqe-licence",
        default=os.environ.get("DQE_LICENCE") or DEFAULT_LICENCE,
        help=f"licence code used by the suite (env DQE_LICENCE, default {DEFAULT_LICENCE})",
    )
    group.addoption(
        "--dqe-secret",
        default=os.environ.get("DQE_CLIENT_SECRET") or DEFAULT_SECRET,
        help=f"client_secret of that licence (env DQE_CLIENT_SECRET, default {DEFAULT_SECRET})",
    )
    group.addoption(
        "--dqe-number",
        default=os.environ.get("DQE_TEST_NUMBER") or DEFAULT_NUMBER,
        help="E.164 mobile number the flows use (env DQE_TEST_NUMBER); on a real server, a "
        "line you own: it receives the operator's consent requests",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Against a given url, leave out the tests that need the mock."""
    if not config.getoption("--dqe-url"):
        return
    mine = [item for item in items if HERE in Path(str(item.path)).resolve().parents]
    deselected = [item for item in mine if item.get_closest_marker("mock_only")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The server under test, for the whole session."""
    config = request.config
    url = config.getoption("--dqe-url")
    mock = None
    if not url:
        settings = Settings(seed=MOCK_SEED, frozen_clock=False, check_responses=True)
        mock = MockServer(settings).start()
        url = mock.base_url
    yield Target(
        base_url=url,
        licence=config.getoption("--dqe-licence"),
        secret=config.getoption("--dqe-secret"),
        number=config.getoption("--dqe-number"),
        is_mock=mock is not None,
    )
    if mock is not None:
        mock.stop()


@pytest.fixture(scope="module", autouse=True)
def _fresh_mock(target: Target) -> None:
    """The in-process mock starts each module with no tokens, sessions or journal."""
    if target.is_mock:
        target.admin("reset", {})
