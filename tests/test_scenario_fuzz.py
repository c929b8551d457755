"""Generated hostile scenario documents at the admin API and `dqe-mock validate`.

YAML text with aliases and anchors, control characters, huge numbers, deep nesting, random
bytes, and valid documents mutated. Properties: never a 5xx, never a traceback (in answers,
in output or in the server's log), every refusal is `source:line: reason`, and after each
refused document the last good set is still served.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import logging
import re
import subprocess
import sys
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.cli import main
from mockserver.contract.errors import error_id_of
from mockserver.settings import Settings
from mockserver.testing.server import MockServer
from mockserver.testing.strategies import scenario_documents

NAMESPACE = "100001"
KEPT = "+33639987921"
GOOD = (
    "version: 1\nscenarios:\n  - id: kept-16\n"
    f'    match: {{numbers: ["{KEPT}"]}}\n    operator: Orange\n'
    '    outcome: {initiate_error: "16"}\n'
)
ROOT = Path(__file__).resolve().parent.parent


# -- documents ----------------------------------------------------------------------------

controls = st.characters(max_codepoint=0x1F) | st.sampled_from(["\x7f", "\ufffe", "\x85"])
yaml_bits = st.sampled_from(
    [":", "&a ", "*a", "*b", "&b [*b]", "<<: *a", "[", "]", "{", "}", "- ", "\n", "  ", "? ",
     "!!python/object:os.system ", "!!binary ", "---\n", "...\n", '"', "'", "|", ">", "#", "%YAML 1.1\n",
     "2024-13-45", ".nan", ".inf", "-.inf", "0x" + "f" * 40, "0b" + "1" * 80, "1" * 400,
     "1.0e+400", "9" * 5000, "~", "null", "true", "1:2:3",
     '"\\ud800"', '"A\\udfffB"', '"\\ud83d\\ude00"', "version: 1\n", "{uniform: [5, 1]}",
     "{uniform: [1, 5]}", '"' + "x{1,9}" * 60 + '"', "(?=6)", "\\pN", "[[:digit:]]"]
)  # fmt: skip
printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF), max_size=5)
# Control characters are one kind of edit among several, not most of them.
insertions = st.lists(st.one_of(yaml_bits, printable, controls), min_size=1, max_size=3).map(
    "".join
)


def alias_bomb(levels: int, width: int) -> str:
    lines = ["version: 1", "l0: &l0 [" + ", ".join(["xxxx"] * width) + "]"]
    lines += [
        f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * width) + "]" for n in range(1, levels + 1)
    ]
    return "\n".join(lines) + "\n"


def nested(depth: int, flow: bool) -> str:
    if flow:
        return "version: 1\ndescription: " + "[" * depth + "]" * depth + "\n"
    depth = min(depth, 200)  # indentation grows with depth: 200 levels are 40 KB
    return "version: 1\nx:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, depth))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid document (as YAML text) with a few random edits (or none)."""
    text = yaml.safe_dump(draw(scenario_documents()), sort_keys=False, allow_unicode=True)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if kind == "insert":
            text = text[:at] + draw(insertions) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        else:
            text = text[:at] + text[at : at + draw(st.integers(1, 40))] * 2 + text[at:]
    return text


# Patterns slow to compile, valid RE2 that Python's re refuses, RE2 errors, too long.
patterns = st.sampled_from(
    ["x{1,1000}" * 3, "x{1,300}" * 9, "((x{1,30}){1,30}){1,30}", "(" * 499 + ")" * 499,
     "x{1,9}" * 8000, "^\\+\\pN+$", "\\z", "(?U)x", "[[:digit:]]+", "(?=6)9$", "\\1"]
)  # fmt: skip


def with_pattern(pattern: str, count: int) -> str:
    scenarios = "".join(
        f"  - id: p{k}\n    match: {{pattern: '{pattern}'}}\n    operator: Orange\n"
        for k in range(count)
    )
    return "version: 1\nscenarios:\n" + scenarios


documents: st.SearchStrategy[str | bytes] = st.one_of(
    mutated(),
    st.builds(with_pattern, patterns, st.integers(1, 8)),
    st.builds(alias_bomb, st.integers(1, 9), st.integers(2, 12)),
    st.builds(nested, st.integers(20, 3000), st.booleans()),
    st.lists(yaml_bits | printable, min_size=1, max_size=12).map(
        lambda parts: "version: 1\n" + "".join(parts)
    ),
    st.sampled_from(["", "\n", "# only a comment\n", "~\n", "[]\n", "{}\n", "version: 1\n"]),
    st.binary(max_size=300),
)


# -- the server under test ----------------------------------------------------------------


class Recorder(logging.Handler):
    """Every log record of the server, to find a traceback or a BUG line in."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[MockServer, Recorder]]:
    recorder = Recorder()
    logging.getLogger().addHandler(recorder)
    try:
        with MockServer(Settings(seed=5)) as server:
            yield server, recorder
    finally:
        logging.getLogger().removeHandler(recorder)


def request(
    mock: MockServer, method: str, target: str, body: bytes | None = None
) -> tuple[int, bytes]:
    host, port = mock.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, target, body=body)
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def put_document(mock: MockServer, method: str, body: bytes) -> tuple[int, dict[str, object]]:
    status, raw = request(mock, method, f"/__admin/scenarios?namespace={NAMESPACE}", body)
    assert status < 500, raw
    parsed = json.loads(raw)
    assert isinstance(parsed, dict), raw
    return status, parsed


def kept_error(mock: MockServer) -> str | None:
    query = urllib.parse.urlencode(
        {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": NAMESPACE}
    )
    status, raw = request(mock, "GET", f"/ACCESS_TOKEN/?{query}")
    assert status == 200, raw
    form = {
        "licence": NAMESPACE,
        "token": json.loads(raw)["access_token"],
        "name": "Acme",
        "scope": "numVerify",
        "number": KEPT,
    }
    status, raw = request(mock, "GET", f"/IDMOBILE/?{urllib.parse.urlencode(form)}")
    assert status == 200, raw
    return error_id_of(json.loads(raw))


def restore(mock: MockServer) -> None:
    status, body = put_document(mock, "PUT", GOOD.encode())
    assert status == 200, body


PROBLEM = re.compile(r"^<admin:100001>:\d+: ")


@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(document=documents)
def test_the_admin_api_refuses_with_lines_and_keeps_the_last_set(
    mock: tuple[MockServer, Recorder], document: str | bytes
) -> None:
    server, recorder = mock
    body = document.encode("utf-8", "surrogatepass") if isinstance(document, str) else document
    restore(server)
    for method in ("POST", "PUT"):
        status, answer = put_document(server, method, body)
        if status in (200, 201):
            restore(server)  # a valid document: put the good set back
            continue
        assert status in (400, 413), answer
        problems = answer.get("problems")
        if answer["error"] == "invalid scenario document":
            assert isinstance(problems, list)
            assert problems
            assert all(PROBLEM.match(p) for p in problems), problems
        assert kept_error(server) == "16"
    logged = [r for r in recorder.records if r.exc_info or "BUG" in r.getMessage()]
    assert not logged, [r.getMessage() for r in logged]


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(document=documents)
def test_validate_answers_with_lines_never_a_traceback(document: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzz.yaml"
        if isinstance(document, str):
            path.write_text(document, encoding="utf-8", errors="surrogatepass")
        else:
            path.write_bytes(document)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["validate", str(path)])
    assert status in (0, 1)
    text = out.getvalue() + err.getvalue()
    assert "Traceback" not in text
    assert "bug in dqe-mock" not in text
    if status == 1:
        lines = err.getvalue().splitlines()
        assert lines
        assert all(line.startswith(f"{path}:") for line in lines), lines
        assert all(re.match(rf"{re.escape(str(path))}:\d+: ", line) for line in lines), lines


def test_validate_as_a_real_process(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb(8, 10), encoding="utf-8")
    bell = tmp_path / "bell.yaml"
    bell.write_text('version: 1\ndescription: "\x07"\n', encoding="utf-8")
    for path, line in ((bomb, 6), (bell, 2)):
        done = subprocess.run(
            [sys.executable, "-m", "mockserver", "validate", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith(f"{path}:{line}: "), done.stderr
