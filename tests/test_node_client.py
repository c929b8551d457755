"""The Node example client (examples/node/) against a real `dqe-mock serve`.

`run-flows.mjs` runs its flows and prints one JSON line per flow; the expected answers below
are README's magic-number table and licences table (the built-in pack), written by hand.
Its requests go in a namespace of its own (DQE_NAMESPACE, else node-example-<random>), which
the report gate names (`dqe-mock report --namespace NS --format junit --fail-on-findings`):
run for real against the mock, and its exact call checked through a stand-in command.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tests.served import serve_cli

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "node" / "run-flows.mjs"
RUN_WITHIN = 120  # seconds; the flows take about 10 (polls at least 1 s apart)
# The rules the client honours (docs/node-client.md): polls at least 1 s apart (the
# report's minimum poll interval), a retry after a 5xx at least 0.5 s later.
MIN_POLL_INTERVAL = 1.0
MIN_BACKOFF = 0.5

# By hand, from README's magic-number table: what each flow must report.
EXPECTED = {
    # +33 6 39 98 00 01 orange-happy (Orange); the walkthrough's formfilling gives Dupont.
    "formfilling-success": {
        "ok": True,
        "operator": "Orange",
        "redirect": "success",
        "status": "success",
        "error_id": None,
        "family_name": "Dupont",
    },
    # +33 6 39 98 60 16 operator-unreachable: error 16.
    "operator-unreachable": {"ok": True, "error_id": "16"},
    # +33 6 39 98 40 03 pending-3-polls: consent by itself, 3 pending, then success.
    "pending-then-success": {
        "ok": True,
        "redirect": None,
        "status": "success",
        "pending": 3,
        "numVerify": True,
    },
    # +33 6 39 98 30 01 consent-denied: the redirect says error, /GET/ answers 21.
    "consent-refused": {"ok": True, "redirect": "error", "error_id": "21"},
    # A 503 on the first /IDMOBILE/ and the first /GET/ (the script's own scenario): two
    # retries, then success.
    "retry-after-503": {"ok": True, "status": "success", "retries": 2},
    # Licence 100004 (README's licences table: tokens live 5 s), its token's clock moved 6 s:
    # /IDMOBILE/ answers 30, a second token is fetched, and the check succeeds.
    "new-token-after-30": {"ok": True, "status": "success", "tokens": 2, "new_token": True},
}


# The dqe-mock command of the environment running the tests (the gate calls it).
DQE_MOCK = str(Path(sys.executable).with_name("dqe-mock"))


def node() -> str:
    found = shutil.which("node")
    assert found, "node is missing: scripts/test installs Debian's nodejs"
    return found


def run_flows(url: str, **env: str) -> tuple[int, dict[str, dict[str, Any]], str]:
    done = subprocess.run(
        [node(), str(SCRIPT), url],
        capture_output=True,
        text=True,
        timeout=RUN_WITHIN,
        env={**os.environ, **env},
        check=False,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, {line.pop("flow"): line for line in lines}, done.stdout + done.stderr


# The namespace the script's requests are sent in (DQE_NAMESPACE; X-Dqe-Namespace).
NAMESPACE = "node-ci-test"


def journal(url: str, namespace: str | None = None) -> list[dict[str, Any]]:
    query = f"?namespace={namespace}" if namespace else ""
    with urllib.request.urlopen(f"{url}/__admin/journal{query}", timeout=30) as reply:
        entries: list[dict[str, Any]] = json.loads(reply.read())["entries"]
    return entries


def test_the_node_client_runs_its_flows_and_behaves(tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    with serve_cli(tmp_path / "serve.log") as url:
        status, flows, output = run_flows(
            url, DQE_MOCK_CLI=DQE_MOCK, DQE_REPORT=str(report), DQE_NAMESPACE=NAMESPACE
        )
        entries = journal(url, NAMESPACE)
        everything = journal(url)
    gate = flows.pop("report-gate")
    assert flows == EXPECTED, output
    assert gate == {"ok": True, "exit": 0, "report": str(report)}, output
    assert status == 0, output
    suites = ET.parse(report).getroot()
    assert sum(int(s.get("failures", "0")) for s in suites.iter("testsuite")) == 0, output
    # Every request of the run is in its namespace: the token, /IDMOBILE/ and /GET/ by the
    # header, the consent page by its session's namespace (docs/admin-api.md).
    assert everything == entries, output
    assert {e["endpoint"] for e in entries} >= {"ACCESS_TOKEN", "IDMOBILE", "GET", "consent"}
    # How it polled, read from the mock's journal (its clock): per token, polls at least
    # MIN_POLL_INTERVAL apart (MIN_BACKOFF after a 5xx), none after the final answer.
    polls: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if entry["endpoint"] == "GET":
            polls.setdefault(entry["params"]["token"], []).append(entry)
    assert len(polls) == 5, polls.keys()  # the flows that reach /GET/
    for token, seen in polls.items():
        for before, after in itertools.pairwise(seen):
            least = MIN_BACKOFF if before["status"] >= 500 else MIN_POLL_INTERVAL
            assert after["at"] - before["at"] >= least - 0.01, (token, before, after)
        final = [i for i, e in enumerate(seen) if _final(e)]
        assert final == [len(seen) - 1], (token, seen)  # one final answer, the last poll
    assert max(len(seen) for seen in polls.values()) == 4  # pending-3-polls: 3, then success


def _final(entry: dict[str, Any]) -> bool:
    response = entry["response"]
    return isinstance(response, dict) and response.get("status") in ("success", "error")


def test_a_wrong_answer_fails_the_script(tmp_path: Path) -> None:
    # Without the built-in pack, licence 100001 is unknown: every flow fails, and so does
    # the script.
    empty = tmp_path / "empty.yaml"
    empty.write_text("version: 1\n", encoding="utf-8")
    options = ("--no-default-pack", "--scenarios", str(empty))
    with serve_cli(tmp_path / "serve.log", *options) as url:
        report = str(tmp_path / "report.xml")
        status, flows, output = run_flows(url, DQE_MOCK_CLI=DQE_MOCK, DQE_REPORT=report)
    assert status == 1, output
    assert set(flows) == {*EXPECTED, "report-gate"}
    assert not any(flows[name]["ok"] for name in EXPECTED), output


def test_the_gate_calls_the_report_and_its_exit_status_decides(tmp_path: Path) -> None:
    calls = tmp_path / "calls.txt"
    stand_in = tmp_path / "dqe-mock-stand-in"
    stand_in.write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{calls}"\nexit "${{GATE_EXIT:-0}}"\n',
        encoding="utf-8",
    )
    stand_in.chmod(0o755)
    with serve_cli(tmp_path / "serve.log") as url:
        passed, flows, output = run_flows(url, DQE_MOCK_CLI=str(stand_in), DQE_NAMESPACE="n-1")
        failed, _, _ = run_flows(url, DQE_MOCK_CLI=str(stand_in), GATE_EXIT="1")
    assert passed == 0, output
    assert failed == 1
    assert flows["report-gate"] == {"ok": True, "exit": 0, "report": "report.xml"}
    first = ["report", "--url", url, "--namespace", "n-1", "--format", "junit"]
    first += ["--output", "report.xml", "--fail-on-findings"]
    lines = calls.read_text(encoding="utf-8").splitlines()
    assert lines[: len(first)] == first
    # Without DQE_NAMESPACE: a namespace of its own, node-example-<12 hex digits>.
    second = lines[len(first) :]
    assert second[:3] == ["report", "--url", url]
    assert second[3] == "--namespace"
    assert re.fullmatch(r"node-example-[0-9a-f]{12}", second[4]), second
    assert second[5:] == first[5:]
