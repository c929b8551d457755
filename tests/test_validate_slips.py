"""Schema failures of scenario files in a newcomer's words (issue 17): an unknown key at its own
line with the closest known key, and the fix for common type slips; the same lines from
`dqe-mock validate`, from `serve` at start and from the admin API (one loader).

Every expected line is written here by hand, from the file text above it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.cli import main
from mockserver.http.app import create_app
from mockserver.settings import Settings

TYPO = """\
scenarios:
  - id: typo
    match:
      numbers: ["+33639987001"]
    opertor: Orange
    outcome:
      pendng: {polls: 2}
      initiate_error: 12
"""
TYPO_LINES = [
    ":5: /scenarios/0: unknown key 'opertor' (did you mean 'operator'?)",
    ":7: /scenarios/0/outcome: unknown key 'pendng' (did you mean 'pending'?)",
    ":8: /scenarios/0/outcome/initiate_error: 12 is read as a number and must be a string: "
    'write initiate_error: "12" (quoted) (A business error id of schemas/errors.json.)',
]

# (file body, the one expected line after the file name)
SLIPS = [
    (
        "scenarios:\n  - id: a\n    match: {numbers: ['+33639987001']}\n    Operator: Orange\n",
        ":4: /scenarios/0: unknown key 'Operator' (did you mean 'operator'?)",
    ),
    (
        "scenarios:\n  - id: a\n    match: {numbers: ['+33639987001']}\n    zzzzzz: 1\n",
        ":4: /scenarios/0: unknown key 'zzzzzz' (the keys here are: id, description, match, "
        "operator, subscriber, outcome, scopes, faults)",
    ),
    (
        "scenarios:\n  - id: a\n    match:\n      numbers: '+33639987001'\n",
        ":4: /scenarios/0/match/numbers: a list is expected, not a single value: write numbers: "
        '["+33639987001"] (or one `- value` line per item) (Exact numbers, in any format a '
        "client may send; compared in E.164.)",
    ),
    (
        "scenarios:\n  - id: a\n    match: {numbers: ['+33639987001']}\n    operator: no\n",
        ":4: /scenarios/0/operator: no is read as the boolean false (YAML 1.1 reads unquoted "
        'yes, no, on, off, true and false as booleans) and must be a string: write operator: "no"'
        " (The operator the number belongs to. Absent or not in the operators list: error 13.)",
    ),
    (
        "scenarios:\n  - id: a\n    match: {numbers: ['+33639987001']}\n"
        "    outcome:\n      pending: {polls: '2'}\n",
        ':5: /scenarios/0/outcome/pending/polls: "2" is a string (quoted) and must be a whole '
        "number: write polls: 2 (no quotes) (How long /GET/ answers pending after consent: a "
        "number of polls, or seconds (of the mock's clock).)",
    ),
    (
        "scenarios:\n  - id: a\n    match: {numbers: ['+33639987001']}\n"
        "    outcome:\n      initiate_error:\n",
        ":5: /scenarios/0/outcome/initiate_error: has no value (an empty `initiate_error:` is "
        "null); a string is expected (A business error id of schemas/errors.json.)",
    ),
    (
        "scenarios:\n  - id: a\n    match:\n      numbers: ['+33639987001']\n"
        "      scopes: [numverify]\n",
        ":5: /scenarios/0/match/scopes/0: 'numverify' is not one of ['matching_notp', "
        "'numVerify', 'formfilling', 'matching'] (did you mean 'numVerify'?) (A single ID "
        "Mobile scope.)",
    ),
]

SUBSCRIBER_HINT = (
    " (The operator's record of the line: what formfilling returns and matching compares against.)"
)
SCENARIO_KEYS = (
    "(the keys here are: id, description, match, operator, subscriber, outcome, scopes, faults)"
)
HEAD = "scenarios:\n  - id: a\n    match: {numbers: ['+33639987001']}\n"

# Values and keys of YAML's own types (dates, binary, null, booleans, numbers as keys): shown
# as YAML writes them, with the fix, each at its own line (issue: Python reprs at line 1).
YAML_TYPED = [
    (
        HEAD + "    subscriber:\n      birthdate: 1985-04-12\n",
        ":5: /scenarios/0/subscriber/birthdate: 1985-04-12 is read as a date: write birthdate: "
        '"1985-04-12"' + SUBSCRIBER_HINT,
    ),
    (
        HEAD + "    subscriber:\n      updated_at: 2024-01-01T10:00:00Z\n",
        ":5: /scenarios/0/subscriber/updated_at: 2024-01-01T10:00:00Z is read as a date and "
        'time: write updated_at: "2024-01-01T10:00:00Z"' + SUBSCRIBER_HINT,
    ),
    (
        HEAD + "    subscriber:\n      family_name: !!binary aGVsbG8=\n",
        ":5: /scenarios/0/subscriber/family_name: !!binary aGVsbG8= is read as binary data: "
        'write family_name: "aGVsbG8=" (no !!binary tag)' + SUBSCRIBER_HINT,
    ),
    (
        HEAD + "    subscriber:\n      gender: 1985-04-12\n",
        ":5: /scenarios/0/subscriber/gender: 1985-04-12 is not one of ['M', 'F', '']"
        + SUBSCRIBER_HINT,
    ),
    (
        HEAD + "null: 1\n",
        ":4: /: unknown key null (the keys here are: version, description, licences, "
        "operators, scenarios, faults)",
    ),
    (HEAD + "    ~: 1\n", f":4: /scenarios/0: unknown key null {SCENARIO_KEYS}"),
    (HEAD + "    7: 1\n", f":4: /scenarios/0: unknown key 7 {SCENARIO_KEYS}"),
    (HEAD + "    0x1f: 1\n", f":4: /scenarios/0: unknown key 31 {SCENARIO_KEYS}"),
    (HEAD + "    yes: 1\n", f":4: /scenarios/0: unknown key true {SCENARIO_KEYS}"),
    (HEAD + "    2024-01-01: 1\n", f":4: /scenarios/0: unknown key 2024-01-01 {SCENARIO_KEYS}"),
    (HEAD + "    a/b~c: 1\n", f":4: /scenarios/0: unknown key 'a/b~c' {SCENARIO_KEYS}"),
]


def validate(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    path = tmp_path / "typo.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    return [line.removeprefix(str(path)) for line in capsys.readouterr().err.splitlines()]


def test_validate_points_at_each_slip_and_says_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert validate(tmp_path, TYPO, capsys) == TYPO_LINES


@pytest.mark.parametrize(("text", "expected"), SLIPS)
def test_each_common_slip_has_its_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    assert validate(tmp_path, text, capsys) == [expected]


@pytest.mark.parametrize(("text", "expected"), YAML_TYPED)
def test_yaml_typed_values_and_keys_are_written_as_yaml_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    assert validate(tmp_path, text, capsys) == [expected]


def test_serve_says_the_same_at_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(TYPO, encoding="utf-8")
    assert main(["serve", "--scenarios", str(path), "--port", "0", "--no-watch"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["dqe-mock: cannot load scenarios:", *(f"{path}{line}" for line in TYPO_LINES)]


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    async with TestServer(create_app(Settings(seed=7, frozen_clock=True)), host="127.0.0.1") as srv:
        yield srv


async def test_the_admin_api_says_the_same(server: TestServer) -> None:
    async with (
        ClientSession() as session,
        session.post(
            server.make_url("/__admin/scenarios"),
            data=TYPO.encode(),
            headers={"Content-Type": "application/yaml"},
        ) as answer,
    ):
        assert answer.status == 400
        body = await answer.json()
    assert body["problems"] == [f"<admin:default>{line}" for line in TYPO_LINES]
