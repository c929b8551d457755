"""The README and docs/ keep their promises: generated blocks current, walkthrough runs,
example loads, the OpenAPI page's Schemathesis block runs.

The Docker image's promises (docs/docker.md) are kept by tests/test_dockerfile.py and
tests/test_container.py; the links between the pages by tests/test_docs_links.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mockserver import cli, docs
from mockserver.domain.loading import load_all, load_default
from mockserver.http.routes import ROUTES
from tests.served import serve_cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
OPENAPI_PAGE = ROOT / "docs" / "openapi.md"
EXAMPLE = ROOT / "scenarios" / "examples" / "example.yaml"
WALKTHROUGH = "Walkthrough with curl"
WALKTHROUGH_TIMEOUT = 120.0
MARKER = "@@readme-block@@"


def section(title: str, page: Path = README) -> str:
    """The body of the README's `## title` section, up to the next `## ` heading; for a page of
    docs/, titled `# title`, the whole page after its title."""
    text = page.read_text(encoding="utf-8")
    if page.parent.name == "docs":
        first, _, rest = text.partition("\n")
        assert first == f"# {title}", f"{page.name} is not titled '# {title}'"
        return rest
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


@dataclass(frozen=True)
class Block:
    """One ```bash block of the walkthrough, under its ### heading."""

    heading: str
    code: str

    def expected(self) -> list[str]:
        """The `# => ...` lines: what the block prints, `…` standing for anything."""
        return re.findall(r"^# => (.*)$", self.code, re.M)


def bash_blocks(text: str) -> list[Block]:
    """Every ```bash block of `text`, with the ### heading it sits under."""
    blocks, heading = [], ""
    for match in re.finditer(r"^### ([^\n]+)$|^```bash\n(.*?)^```$", text, re.M | re.S):
        if match.group(1) is not None:
            heading = match.group(1).strip()
        else:
            blocks.append(Block(heading, match.group(2)))
    return blocks


def matches_in_order(expected: list[str], output: list[str]) -> list[str]:
    """The expected lines that no output line matches, in order (`…` matches anything)."""
    missing, lines = [], iter(output)
    for line in expected:
        pattern = re.compile(".*".join(re.escape(part) for part in line.split("…")))
        if not any(pattern.fullmatch(out) for out in lines):
            missing.append(line)
            lines = iter(output)
    return missing


# -- generated blocks ---------------------------------------------------------------------------


def test_generated_blocks_are_current() -> None:
    """Every block, in README.md and docs/*.md (`check` without a path), and the README alone
    (the command the gates run)."""
    for paths in ([], [str(README)]):
        done = subprocess.run(
            [sys.executable, "-m", "mockserver.docs", "check", *paths],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr


def test_every_block_lives_in_one_page_and_check_finds_a_lost_or_doubled_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where each block lives, by hand (README "Where to go next" names these pages).
    homes = {
        "magic-table": README,
        "licences-table": README,
        "notes-table": ROOT / "docs" / "admin-api.md",
        "precedence-table": ROOT / "docs" / "contract-notes.md",
        "example-scenarios": ROOT / "docs" / "scenarios.md",
    }
    assert set(homes) == set(docs.BLOCKS)
    for name, page in homes.items():
        assert f"<!-- {name}:start -->" in page.read_text(encoding="utf-8"), (name, page)
    assert docs.default_files(ROOT)[0] == README
    assert set(homes.values()) <= set(docs.default_files(ROOT))
    (tmp_path / "docs").mkdir()
    for page in set(homes.values()):
        (tmp_path / page.relative_to(ROOT)).write_text(page.read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    assert docs.check() == 0
    notes = tmp_path / "docs" / "admin-api.md"
    kept = notes.read_text(encoding="utf-8")
    block = re.search(r"<!-- notes-table:start -->.*?<!-- notes-table:end -->", kept, re.S)
    assert block
    notes.write_text(kept.replace(block.group(0), ""))  # lost
    assert docs.check() == 1
    assert docs.check(tmp_path / "README.md") == 0  # the README alone still holds its own
    notes.write_text(kept)
    with (tmp_path / "README.md").open("a", encoding="utf-8") as readme:
        readme.write(block.group(0) + "\n")  # doubled
    assert docs.check() == 1
    assert docs.update() == 1


def test_check_of_a_named_file_without_a_block_fails(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# A page\n\nNo generated block here.\n")
    assert docs.check(page) == 1


def test_check_fails_on_a_stale_or_missing_block_and_update_mends_it(tmp_path: Path) -> None:
    copy = tmp_path / "README.md"
    fresh = README.read_text(encoding="utf-8")
    row = "| +33 6 39 98 30 01 | `consent-denied` |"
    assert row in fresh
    copy.write_text(fresh.replace(row, "| +33 6 39 98 30 09 | `consent-denied` |"))
    assert docs.check(copy) == 1
    assert docs.update(copy) == 0
    assert copy.read_text(encoding="utf-8") == fresh
    assert docs.check(copy) == 0

    copy.write_text(fresh.replace("<!-- licences-table:end -->", ""))
    assert docs.check(copy) == 1
    assert docs.update(copy) == 1


def test_magic_table_covers_the_pack_with_catalogue_labels() -> None:
    table = docs.magic_table()
    pack = load_default()
    for scenario in pack.scenarios:
        assert f"`{scenario.id}`" in table
    assert "| +33 6 39 98 30 01 | `consent-denied` | Orange |" in table
    assert "error 21 — access denied" in table
    assert "error 16 — operator Nimbus Telecom unreachable" in table
    assert "| any other mobile | `any-mobile` |" in table


# -- the walkthrough, executed ------------------------------------------------------------------


@pytest.fixture(scope="module")
def dqe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real CLI server, as a subprocess on the free port it binds."""
    with serve_cli(tmp_path_factory.mktemp("server") / "dqe-mock.log", "--seed", "1") as url:
        yield url


@pytest.fixture(scope="module")
def walkthrough(dqe_url: str) -> list[tuple[Block, list[str]]]:
    """Run every bash block of the walkthrough in one bash; each block with its output lines."""
    for tool in ("bash", "curl", "jq"):
        assert shutil.which(tool), f"{tool} is missing: `bash scripts/test` installs it"
    blocks = bash_blocks(section(WALKTHROUGH))
    assert blocks, "the walkthrough has no ```bash blocks"
    script = "set -euo pipefail\n" + "".join(
        f"printf '\\n{MARKER}\\n'\n{block.code}" for block in blocks
    )
    env = {**os.environ, "DQE": dqe_url, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    done = subprocess.run(
        ["bash", "-c", script],
        env=env,
        capture_output=True,
        text=True,
        timeout=WALKTHROUGH_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    outputs = done.stdout.split(f"\n{MARKER}\n")[1:]
    assert len(outputs) == len(blocks), done.stdout
    return [
        (block, [line.strip() for line in out.splitlines() if line.strip()])
        for block, out in zip(blocks, outputs, strict=True)
    ]


def outputs_under(walkthrough: list[tuple[Block, list[str]]], heading: str) -> list[str]:
    lines = [line for block, out in walkthrough if block.heading == heading for line in out]
    assert lines, f"no output under '### {heading}'"
    return lines


def test_walkthrough_prints_what_the_readme_says(
    walkthrough: list[tuple[Block, list[str]]],
) -> None:
    for block, output in walkthrough:
        assert block.expected(), f"a block under '{block.heading}' shows no expected output"
        missing = matches_in_order(block.expected(), output)
        assert not missing, (
            f"under '### {block.heading}', expected {missing}\nbut the block printed:\n"
            + "\n".join(output)
        )


def test_walkthrough_flows_end_in_success_with_a_redirect(
    walkthrough: list[tuple[Block, list[str]]],
) -> None:
    (token,) = outputs_under(walkthrough, "Token")
    assert re.fullmatch(r"TK[0-9a-f]+", token)
    scores = json.loads(outputs_under(walkthrough, "matching_notp: one call, scores")[-1])
    assert set(scores) == {"family_name", "gender", "birthdate", "given_name", "address", "email"}
    for scope in ("numVerify", "formfilling", "matching", "matching,formfilling"):
        output = outputs_under(walkthrough, scope)
        redirects = [line for line in output if line.startswith("https://partner.example/")]
        assert len(redirects) == 1, output
        assert f"token={token}" in redirects[0]
        assert redirects[0].endswith("&status=success")
        first, last = json.loads(output[-3]), json.loads(output[-1])
        assert first == {"status": "pending", "scope": scope}
        assert last["status"] == "success"
        assert last["scope"] == scope


def test_walkthrough_reproduces_errors(walkthrough: list[tuple[Block, list[str]]]) -> None:
    output = outputs_under(walkthrough, "Errors on demand")
    assert any(line.endswith("&status=error") for line in output), output
    bodies = [json.loads(re.sub(r"^\d+: ", "", line)) for line in output if "{" in line]
    assert {"status": "error", "error_type": "access denied", "error_id": "21"} in bodies
    statuses = [body["status"] for body in bodies if body.get("scope") == "numVerify"]
    assert statuses == ["pending", "pending", "pending", "success"]
    assert bodies[-1]["error_id"] == "16"


def test_walkthrough_covers_every_scope() -> None:
    code = "".join(block.code for block in bash_blocks(section(WALKTHROUGH)))
    for scope in ("matching_notp", "numVerify", "formfilling", "matching"):
        assert f"-d scope={scope} " in code, scope
    assert "scope=matching,formfilling" in code
    assert "$DQE" in code


def test_walkthrough_runs_nothing_in_the_background() -> None:
    # An unquoted & (a url with a query, say) would background a command: set -e never sees
    # it fail and its output lands anywhere.
    for block in bash_blocks(section(WALKTHROUGH)):
        unquoted = re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", "", block.code)
        code = "\n".join(line for line in unquoted.splitlines() if not line.startswith("#"))
        assert not re.search(r"(?<!&)&(?!&)", code), block.code


def post(opener: urllib.request.OpenerDirector, url: str, **form: str) -> dict[str, Any]:
    data = urllib.parse.urlencode(form).encode()
    with opener.open(url, data=data, timeout=10) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


def test_magic_table_errors_are_what_the_server_answers(dqe_url: str) -> None:
    """Each error the table promises for a number is the first error the server gives it."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    licence = {"licence": "100001"}
    token = post(
        opener,
        f"{dqe_url}/ACCESS_TOKEN/",
        client_secret="demo-secret",
        grant_type="client_idmobile",
        **licence,
    )["access_token"]
    pack = load_default()
    checked = set()
    for scenario in pack.scenarios:
        errors = [e for e, condition in docs.scenario_errors(scenario, pack) if not condition]
        if not errors or not scenario.match.numbers or errors[0] == docs.ABANDON_ERROR:
            continue
        number = min(scenario.match.numbers)
        form = {**licence, "token": token, "mode": "2", "name": "Acme", "scope": "formfilling"}
        answer = post(opener, f"{dqe_url}/IDMOBILE/", number=number, **form)
        if answer["status"] == "success":
            with opener.open(answer["url"], data=b"", timeout=10):  # the consent form, empty
                pass
            for _poll in range(20):
                answer = post(
                    opener, f"{dqe_url}/GET/", token=token, scope="formfilling", **licence
                )
                if answer["status"] != "pending":
                    break
        assert answer.get("error_id") == errors[0], (scenario.id, answer)
        checked.add(scenario.id)
    assert {
        "idmobile-error-10",
        "get-error-99",
        "consent-denied",
        "operator-unreachable",
    } <= checked


# -- the OpenAPI document, for your tools (docs/openapi.md) -------------------------------------

OPENAPI_SECTION = "The OpenAPI document, for your tools"
SCHEMATHESIS_TIMEOUT = 120.0


def test_the_schemathesis_command_of_the_readme_runs_clean(tmp_path: Path) -> None:
    """The section's bash block (it writes schemathesis.toml, then runs `st run` against the
    served /openapi.json) runs in a scratch directory against a mock of its own, and prints
    what docs/openapi.md says. `st` is the pinned Schemathesis of the test extra."""
    blocks = bash_blocks(section(OPENAPI_SECTION, OPENAPI_PAGE))
    assert len(blocks) == 1, "the section's Prism and generator lines are ```sh, not run"
    (block,) = blocks
    assert 'st --config-file schemathesis.toml run "$DQE/openapi.json"' in block.code
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "st").is_file(), "schemathesis is missing: `pip install -e '.[test]'`"
    with serve_cli(tmp_path / "dqe-mock.log", "--seed", "1") as url:
        env = {**os.environ, "DQE": url, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}  # fmt: skip
        done = subprocess.run(
            ["bash", "-c", "set -euo pipefail\n" + block.code],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=SCHEMATHESIS_TIMEOUT,
            check=False,
        )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    output = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    assert block.expected(), "the block shows no expected output"
    assert not matches_in_order(block.expected(), output), output
    assert (tmp_path / "schemathesis.toml").is_file()


def test_the_served_urls_of_the_readme_are_routes() -> None:
    text = section(OPENAPI_SECTION, OPENAPI_PAGE)
    paths = {route.path for route in ROUTES}
    for url in ("/openapi.json", "/openapi.yaml", "/docs"):
        assert f"`{url}`" in text
        assert url in paths, url
    assert any(p.startswith("/schemas/") for p in paths)


# -- quick start --------------------------------------------------------------------------------


def test_quick_start_gives_the_two_commands_and_the_cli_defaults() -> None:
    quick = section("Quick start")
    commands = [block.code.strip() for block in bash_blocks(quick)]
    assert "pip install . && dqe-mock serve" in commands
    assert "bash scripts/test" in commands
    defaults = cli._parser().parse_args(["serve"])
    assert f"http://{defaults.host}:{defaults.port}" in quick
    assert "exec bash scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["scripts"]["dqe-mock"] == "mockserver.cli:main"


# -- the example scenario file ------------------------------------------------------------------


def test_example_scenario_file_loads_over_the_pack() -> None:
    pack = load_all([EXAMPLE])
    ids = {s.id for s in pack.scenarios}
    assert {"shop-customer", "shop-slow-operator", "shop-denied", "shop-garbage"} <= ids
    assert "orange-happy" in ids
    assert pack.licences["200001"].token_ttl == 60
    customer = pack.scenario("shop-customer")
    assert customer is not None
    assert customer.outcome_for("numVerify").numverify is False
    assert customer.outcome_for("numVerify").consent.otp == "4321"
    assert customer.outcome_for("formfilling").pending.polls == 0
    assert customer.outcome_for("matching").pending.polls == 2
    assert pack.find("+33639987150", "+33639987150", "100001", "numVerify") is not None
    faults = {f.id: f for f in pack.faults}
    assert faults["shop-slow-token"].kind == "latency"
    assert faults["shop-customer/flaky-get"].first == 1
    assert cli.main(["validate", str(EXAMPLE)]) == 0
