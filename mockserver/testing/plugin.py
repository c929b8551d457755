"""pytest plugin: the `dqe_mock` fixture, client-conformance failures and a coverage report.

- `dqe_mock_server` (session): one strict dqe-mock on 127.0.0.1, a free port.
- `dqe_mock` (function): that server, reset before the test; at teardown the test fails if the
  client sent a request that breaks the contract (a schema rule, a body the mock cannot read,
  an HTTP 4xx such as a 405 or an unknown path) or that the mock accepted only leniently (a
  journal note). An error the test provoked on purpose from a well-formed request (a magic
  number, a scenario, an expired token, a wrong secret) is journaled with its reason but does
  not fail the test.
- `--dqe-mock-report PATH`: write which scopes, outcomes and error ids the tests exercised,
  read from the server's client report counters (GET /__admin/report) after each test.
- `--dqe-mock-fail-on-findings`: a test also fails on the client report's findings.
- `--dqe-mock-coverage` (or `dqe_mock_coverage = true` in the ini file, or `--dqe-mock-report`):
  print that summary at the end. Only when asked: in a session whose tests use the fixture in
  passing (a project's own example client), "never exercised" would read as missing coverage.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mockserver.settings import Settings
from mockserver.testing.coverage import Coverage
from mockserver.testing.server import MockServer

COVERAGE = pytest.StashKey[Coverage]()
COVERAGE_INI = "dqe_mock_coverage"
LABEL = (
    "dqe-mock coverage of this test session's requests to the mock: what the tests using the "
    'dqe_mock fixture exercised ("never": no test of this session did)'
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """dqe-mock's options."""
    group = parser.getgroup("dqe-mock")
    group.addoption(
        "--dqe-mock-scenarios",
        action="append",
        default=[],
        metavar="PATH",
        help="scenario files or directories layered over the built-in pack",
    )
    group.addoption(
        "--dqe-mock-report",
        metavar="PATH",
        help="write a JSON report of the scopes, outcomes and error ids exercised",
    )
    group.addoption(
        "--dqe-mock-lenient",
        action="store_true",
        help="do not fail tests whose client requests break the contract",
    )
    group.addoption("--dqe-mock-seed", type=int, default=None, help="seed of the mock")
    group.addoption(
        "--dqe-mock-fail-on-findings",
        action="store_true",
        help="also fail a test whose client broke a behaviour rule of the client report "
        "(polling too fast or after the final answer, a token reused after error 30, a 5xx "
        "never retried or retried at once)",
    )
    group.addoption(
        "--dqe-mock-coverage",
        action="store_true",
        help="print which scopes, outcomes and error ids this session's tests exercised",
    )
    parser.addini(
        COVERAGE_INI,
        type="bool",
        default=False,
        help="print the dqe-mock coverage summary (as --dqe-mock-coverage)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Start collecting coverage for this session."""
    config.stash[COVERAGE] = Coverage()


@pytest.fixture(scope="session")
def dqe_mock_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """One strict dqe-mock for the whole session."""
    paths = tuple(Path(p) for p in pytestconfig.getoption("--dqe-mock-scenarios"))
    settings = Settings(
        strict=True, scenario_paths=paths, seed=pytestconfig.getoption("--dqe-mock-seed")
    )
    with MockServer(settings) as server:
        yield server


class DqeMock:
    """What a test gets: the server's url and its controls."""

    def __init__(self, server: MockServer) -> None:
        self.server = server
        self.url = server.base_url

    def add_scenarios(self, document: str | dict[str, Any]) -> Any:
        """Add scenarios for this test (YAML text or a dict in the scenario file format)."""
        return self.server.add_scenarios(document)

    def journal(self) -> list[dict[str, Any]]:
        """Every request the client sent during this test, with the mock's verdict."""
        return self.server.journal()

    def advance_clock(self, seconds: float, token: str | None = None) -> float:
        """Move the mock's time forward (token expiry, time-based pending)."""
        return self.server.advance_clock(seconds, token)

    def report(self) -> dict[str, Any]:
        """The client report of this test (GET /__admin/report): coverage, conformance,
        polling behaviour and findings (docs/client-report.md)."""
        found: dict[str, Any] = self.server.admin("GET", "report")
        return found

    def findings(self) -> list[str]:
        """The report's findings of this test, as `rule: sentence`."""
        return [f"{f['rule']}: {f['message']}" for f in self.report()["findings"]]

    def violations(self) -> list[str]:
        """Each way a request of this test broke the contract or was accepted only leniently,
        as `METHOD path: sentence` (what fails the test at teardown)."""
        return problems(self.journal())


def problems(entries: list[dict[str, Any]]) -> list[str]:
    """`METHOD path: sentence` for each request violation and each note of journal entries
    (a note the strict server already listed as a violation is not repeated)."""
    found = []
    for entry in entries:
        said = list(entry["request_violations"])
        said += [n["message"] for n in entry.get("notes", []) if n["message"] not in said]
        found += [f"{entry['method']} {entry['path']}: {sentence}" for sentence in said]
    return found


@pytest.fixture
def dqe_mock(dqe_mock_server: MockServer, request: pytest.FixtureRequest) -> Iterator[DqeMock]:
    """The mock, reset for this test; non-conforming client requests fail it at teardown."""
    dqe_mock_server.reset()
    handle = DqeMock(dqe_mock_server)
    yield handle
    entries = handle.journal()
    report = handle.report()
    # The server's counters, not the journal (which keeps its latest entries only).
    request.config.stash[COVERAGE].add_counts(report["coverage"])
    found = problems(entries)
    if request.config.getoption("--dqe-mock-fail-on-findings"):
        found += [f"{f['rule']}: {f['message']}" for f in report["findings"]]
    if found and not request.config.getoption("--dqe-mock-lenient"):
        listed = "\n  ".join(found)
        pytest.fail(
            f"the client sent requests that break the DQE contract or its rules:\n  {listed}",
            pytrace=False,
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under xdist, a worker hands its observations to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    coverage = session.config.stash.get(COVERAGE, None)
    if workeroutput is not None and coverage is not None:
        workeroutput["dqe_mock_coverage"] = json.dumps(coverage.as_json())


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """Under xdist, the controller merges each worker's observations."""
    data = getattr(node, "workeroutput", {}).get("dqe_mock_coverage")
    coverage = node.config.stash.get(COVERAGE, None)
    if data and coverage is not None:
        coverage.merge(json.loads(data))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print (and write, with --dqe-mock-report) what the tests exercised, when asked."""
    coverage = config.stash.get(COVERAGE, None)
    if coverage is None or not any(coverage.seen.values()) or not _coverage_asked(config):
        return
    terminalreporter.section("dqe-mock coverage")
    terminalreporter.write_line(LABEL)
    for line in coverage.lines():
        terminalreporter.write_line(line)
    target = config.getoption("--dqe-mock-report")
    if target:
        Path(target).write_text(json.dumps(coverage.report(), indent=2) + "\n", encoding="utf-8")
        terminalreporter.write_line(f"report written to {target}")


def _coverage_asked(config: pytest.Config) -> bool:
    """Did the user ask for the summary: --dqe-mock-coverage, the ini's dqe_mock_coverage, or
    --dqe-mock-report?"""
    return bool(
        config.getoption("--dqe-mock-coverage")
        or config.getini(COVERAGE_INI)
        or config.getoption("--dqe-mock-report")
    )
