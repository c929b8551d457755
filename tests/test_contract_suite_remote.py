"""The contract suite runs against any base url: here a separately started `dqe-mock serve`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.served import serve_cli

ROOT = Path(__file__).resolve().parent.parent
PYTEST = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """`python -m mockserver serve --port 0 --seed 5`; its url."""
    with serve_cli(tmp_path / "serve.log", "--seed", "5") as url:
        yield url


def suite_environment() -> dict[str, str]:
    """This environment without pytest's, xdist's or the suite's own settings."""
    prefixes = ("PYTEST_", "DQE_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def test_the_contract_suite_passes_against_a_separately_started_mock(served: str) -> None:
    run = subprocess.run(
        [*PYTEST, "contract_tests", "--dqe-url", served],
        cwd=ROOT,
        env=suite_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    counts = {word: int(n) for n, word in re.findall(r"([0-9]+) (\w+)", summary)}
    assert set(counts) == {"passed", "deselected"}, summary
    assert counts["passed"] >= 20, summary
    assert counts["deselected"] >= 10, summary
    with urllib.request.urlopen(f"{served}/__admin/journal", timeout=30) as reply:
        entries = json.loads(reply.read())["entries"]
    endpoints = {entry["endpoint"] for entry in entries}
    assert {"ACCESS_TOKEN", "IDMOBILE", "GET"} <= endpoints, "the suite did not call the server"
