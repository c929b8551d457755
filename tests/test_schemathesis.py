"""A judge nobody here wrote: Schemathesis against the running mock, from its own document.

`dqe-mock serve` runs as a subprocess on a free loopback port; Schemathesis (pinned in
pyproject.toml's test extra) reads the contract twice, as an integrator would: from the
served /openapi.json, and from schemas/openapi.yaml on disk with the base URL given. Both
use every phase (examples, coverage, fuzzing, stateful), positive and negative data, the
checks of tests/schemathesis.toml, deterministic generation, a bounded number of examples
and a time budget. A run passes with no failure, no error and no warning at all (warnings
fail it: an unresolvable reference, missing test data, a validation mismatch).

Each source is judged in two runs against the same server, one after the other: first every
operation but the admin API's writes, then the admin API alone (but for a session's
timeline, which needs the sessions of the first run). The admin writes change what
every other request meets: a scenario document may carry faults (HTML 5xx pages, resets,
truncated bodies, hangs: the mock's fault injection, on purpose), the clock may move a
century, a reset ends every session. Mixed into one run, the judge would be judging faults it
had ordered itself, and the stateful phase would lose its sessions.

Every bug it found is also a plain test of its own: tests/test_schemathesis_findings.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.served import serve_cli

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tests" / "schemathesis.toml"
SOURCE = ROOT / "schemas" / "openapi.yaml"
PHASES = ("examples", "coverage", "fuzzing", "stateful")
# The work of each run is bounded by counts (max-examples here, the stateful phase's in
# schemathesis.toml), never by time: a time budget made the verdict depend on the machine's
# load (fewer cases, a phase cut short). TIMEOUT only stops a run that hangs.
TIMEOUT = 600
# The admin API's operations that change the mock's state (its reads stay in the first run:
# the stateful phase follows /IDMOBILE/ to the session's timeline and on to the consent page).
ADMIN_WRITES = (
    "adminAddScenarios", "adminReplaceScenarios", "adminRemoveScenario", "adminReset",
    "adminReload", "adminClearJournal", "adminAdvanceClock",
)  # fmt: skip
# The dashboard (GET /__admin/ui) answers an HTML page for people, which Schemathesis cannot
# validate (a missing-deserializer warning, which fails the run): it is left out of both runs
# and judged by tests/test_dashboard_http.py and tests/browser/test_dashboard.py.
NOT_JUDGED = ("adminDashboard",)
# A session's timeline and its scenario file need a session: they are judged in the first run,
# after /IDMOBILE/.
NEED_A_SESSION = ("adminSession", "adminSessionScenario")
PARTS: dict[str, list[str]] = {
    "api": [
        arg for op in (*ADMIN_WRITES, *NOT_JUDGED) for arg in ("--exclude-operation-id", op)
    ],
    "admin": [
        "--include-tag", "admin",
        *(arg for op in (*NEED_A_SESSION, *NOT_JUDGED) for arg in ("--exclude-operation-id", op)),
    ],
}  # fmt: skip
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def st_command(location: str, part: str, report: Path, *extra: str) -> list[str]:
    """The exact `st run` the judge runs."""
    return [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG),
        "run", location, *extra, *PARTS[part],
        "--phases", ",".join(PHASES), "--mode", "all", "--generation-deterministic",
        "--max-examples", "10",
        "--no-color", "--report", "json", "--report-json-path", str(report),
    ]  # fmt: skip


def operation_count(part: str) -> int:
    """How many operations of the source document a run of `part` selects."""
    document = yaml.safe_load(SOURCE.read_text("utf-8"))
    operations = [item[m] for item in document["paths"].values() for m in HTTP_METHODS if m in item]
    judged = [op for op in operations if op["operationId"] not in NOT_JUDGED]
    if part == "admin":
        return sum(1 for op in judged if "admin" in op["tags"]) - len(NEED_A_SESSION)
    return sum(1 for op in judged if op["operationId"] not in ADMIN_WRITES)


def judge(command: list[str]) -> tuple[dict[str, Any], str]:
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    output = done.stdout + done.stderr
    report = Path(command[command.index("--report-json-path") + 1])
    assert report.is_file(), output
    summary: dict[str, Any] = json.loads(report.read_text("utf-8"))
    assert done.returncode == 0, output
    return summary, output


def assert_clean(summary: dict[str, Any], output: str, operations_expected: int, part: str) -> None:
    """0 failures, 0 errors, 0 warnings; every operation tested, every phase run."""
    assert summary["schemathesis_version"] == "4.32.5"
    assert summary["exit_code"] == 0, output
    assert summary["failures"] == [], output
    assert summary["errors"] == [], output
    warnings = {kind: ops for kind, ops in summary["warnings"].items() if ops}
    assert warnings == {}, output
    operations = summary["operations"]
    assert operations["selected"] == operations["tested"] == operations_expected, operations
    assert operations["errored"] == operations["skipped"] == 0, operations
    statuses = {phase: summary["phases"][phase]["status"] for phase in PHASES}
    assert statuses == dict.fromkeys(PHASES, "success"), statuses
    cases = summary["test_cases"]
    assert cases["generated"] >= 200, cases
    assert cases["with_failures"] == cases["errored"] == 0, cases
    for phrase in ("nresolvable", "Missing test data", "could not be resolved"):
        assert phrase not in output, output
    # The stateful phase walks the document's links (token -> /IDMOBILE/ -> /GET/, ...).
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", output)
    assert links, output
    minimum = {"api": (14, 10), "admin": (1, 1)}[part]
    assert int(links.group(2)) >= minimum[0], links.group(0)
    assert int(links.group(1)) >= minimum[1], links.group(0)


@pytest.mark.parametrize("source", ["served", "file"])
def test_schemathesis_finds_nothing(source: str, tmp_path: Path) -> None:
    with serve_cli(tmp_path / "dqe-mock.log", "--seed", "1") as url:
        results = []
        for part in PARTS:
            report = tmp_path / f"schemathesis-{part}.json"
            if source == "served":
                command = st_command(f"{url}/openapi.json", part, report)
            else:
                command = st_command(str(SOURCE), part, report, "--url", url)
            results.append((part, *judge(command)))
    for part, summary, output in results:
        # Loaded from a URL, Schemathesis leaves out the operation that serves the document.
        expected = operation_count(part) - (1 if source == "served" and part == "api" else 0)
        assert_clean(summary, output, expected, part)
        print(output[output.index("SUMMARY") - 40 :])  # the figures, for pytest -rA
