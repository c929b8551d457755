"""The wheel ships the contract: installed in a fresh venv, mockserver reads its own data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Runs inside the fresh venv, from a directory outside the repository.
SNIPPET = r"""
import json, sysconfig
from pathlib import Path

import mockserver
from mockserver.contract import contract
from mockserver.resources import scenarios_dir, schemas_dir

site = Path(sysconfig.get_paths()["purelib"]).resolve()
assert Path(mockserver.__file__).resolve().is_relative_to(site), mockserver.__file__
schemas = Path(str(schemas_dir())).resolve()
assert schemas == site / "mockserver" / "_data" / "schemas", schemas
assert (schemas / "openapi.yaml").is_file()

c = contract()
ok = c.validate_request("IDMOBILE", {
    "number": "0612345678", "token": "TK1", "name": "ACME", "licence": "123456",
    "scope": "numVerify",
})
assert not ok, ok.summary()
empty_number = c.validate_request("IDMOBILE", {
    "number": "", "token": "TK1", "name": "ACME", "licence": "123456", "scope": "numVerify",
})
assert empty_number.error_id == "11", empty_number.summary()
good = {"status": "error", "error_type": "invalid phone number", "error_id": "10"}
assert c.validate_response("error", good) == []
bad = {"status": "error", "error_type": "invalid scope", "error_id": "10"}
assert [v.pointer for v in c.validate_response("error", bad)] == ["/error_type"]

try:
    scenarios = Path(str(scenarios_dir())).resolve()
    files = sorted(p.relative_to(scenarios).as_posix() for p in scenarios.rglob("*") if p.is_file())
    found = {"path": str(scenarios), "files": files}
except FileNotFoundError:
    found = None
# The served contract is built from the shipped files: the bundle and its HTML rendering.
from mockserver.contract.openapi import bundled
from mockserver.http.apidocs import render
document = bundled()
assert document["components"]["schemas"]["requests.idmobile"]
assert all(ref.startswith("#/") for ref in __import__("re").findall(r'"\$ref": "([^"]*)"', json.dumps(document)))
assert "/IDMOBILE/" in render(document)
# The dashboard page inlines its shipped script and style.
from mockserver.http.dashboard import asset, render_page
page = render_page(None, [], [], {})
assert asset("dashboard.js") in page and asset("dashboard.css") in page
assert "window.dqeDashboard" in page
print(json.dumps({"site": str(site), "scenarios": found}))
"""


def run(*args: str | Path, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def repo_scenario_files() -> list[str]:
    folder = ROOT / "scenarios"
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_wheel_installs_and_ships_the_contract(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, ROOT, cwd=tmp_path)
    (wheel,) = wheels.glob("dqe_mock-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for name in ("errors.json", "openapi.yaml", "requests/idmobile.schema.json"):
        assert f"mockserver/_data/schemas/{name}" in names, name
    assert "mockserver/py.typed" in names
    # The dashboard's script and style are package data (no CDN): docs/dashboard.md.
    for name in ("dashboard.js", "dashboard.css"):
        assert f"mockserver/http/assets/{name}" in names, name

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # The outer pip installs into the fresh venv (with the wheel's dependencies), reusing its
    # cache; this saves bootstrapping a second pip.
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", wheel, cwd=tmp_path)

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    report = json.loads(run(python, "-c", SNIPPET, cwd=outside))

    expected = repo_scenario_files()
    if expected:
        scenarios = report["scenarios"]
        site = Path(report["site"])
        if scenarios is None or not Path(scenarios["path"]).is_relative_to(site):
            pytest.fail(f"scenarios/ has {expected} but the wheel ships no scenario pack")
        assert scenarios["files"] == expected
