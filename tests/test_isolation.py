"""Parallel CI jobs against ONE mock: tests/isolation_suite runs under xdist with two workers,
each test scripting the same number its own way in its own namespace (see check_isolation.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.served import serve_cli

ROOT = Path(__file__).resolve().parents[1]
SUITE = "tests/isolation_suite"
SUITE_TESTS = 6
WORKERS = 2
RUN_WITHIN = 300.0
SUMMARY = re.compile(r"=+ (.+) in [\d.]+s(?: \([^)]*\))? =+")


@pytest.fixture
def shared_server(tmp_path: Path) -> Iterator[str]:
    """`python -m mockserver serve --port 0 --seed 3` in a subprocess; its base url."""
    with serve_cli(tmp_path / "server.log", "--seed", "3") as url:
        yield url


def admin_get(base_url: str, path: str) -> Any:
    with urllib.request.urlopen(f"{base_url}/__admin{path}", timeout=10) as reply:
        assert reply.status == 200
        return json.load(reply)


def inner_environment(base_url: str, report: Path) -> dict[str, str]:
    """This process's environment without any outer xdist or pytest state, plus the url."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_XDIST_", "PYTEST_CURRENT_TEST")) and k != "PYTEST_ADDOPTS"
    }
    env["DQE_BASE_URL"] = base_url
    env["DQE_ISOLATION_REPORT"] = str(report)
    return env


def test_parallel_suites_share_one_server_without_seeing_each_other(
    shared_server: str, tmp_path: Path
) -> None:
    assert admin_get(shared_server, "/health")["status"] == "ok"
    report = tmp_path / "workers"
    report.mkdir()
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-n",
        str(WORKERS),
        "-p",
        "no:cacheprovider",
        "-o",
        "python_files=check_*.py",
        SUITE,
    ]
    run = subprocess.run(
        command,
        cwd=ROOT,
        env=inner_environment(shared_server, report),
        capture_output=True,
        text=True,
        timeout=RUN_WITHIN,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    summaries = [line for line in run.stdout.splitlines() if SUMMARY.fullmatch(line)]
    assert summaries, f"no summary line:\n{output}"
    counts = SUMMARY.fullmatch(summaries[-1])
    assert counts is not None
    # Nothing but passes: no failed, error, skipped, xfailed or deselected part.
    assert counts.group(1) == f"{SUITE_TESTS} passed", output
    assert f"{WORKERS} workers [{SUITE_TESTS} items]" in output, output

    # Every test ran on one of the two workers, and both took part.
    traces = sorted(report.glob("*.worker"))
    assert len(traces) == SUITE_TESTS
    assert {t.read_text() for t in traces} == {f"gw{i}" for i in range(WORKERS)}
    assert all(t.name.startswith(t.read_text() + "-") for t in traces)

    # Each test reset its own namespace on the way out: nothing is left behind.
    health = admin_get(shared_server, "/health")
    assert health["status"] == "ok"
    assert health["namespaces"] == []
    assert admin_get(shared_server, "/journal")["entries"] == []
    assert admin_get(shared_server, "/sessions")["sessions"] == []


def test_the_isolation_suite_is_not_collected_by_the_main_run() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", SUITE],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        capture_output=True,
        text=True,
        timeout=RUN_WITHIN,
        check=False,
    )
    # pytest's "no tests collected" exit status: the check_*.py files are left alone.
    assert run.returncode == 5, run.stdout + run.stderr
    assert "check_isolation" not in run.stdout
