"""Hostile scenario documents (issue 10, item 3): each input on each entry point.

Every input below is refused with `source:line: reason` (the line written by hand from the
document) by the file loader, `dqe-mock validate`, the admin API's POST and PUT, and hot
reload; the admin API answers 4xx and the last good set keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.cli import main
from mockserver.contract.schemas import contract
from mockserver.domain.loading import ScenarioFileError, load_path, load_text
from mockserver.domain.patterns import (
    MAX_DOCUMENT_PATTERN_INSTRUCTIONS,
    MAX_PATTERN_MEMORY,
    NumberPattern,
)
from mockserver.domain.yamldoc import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_NUMBER_CHARS,
    parse_document,
)
from mockserver.http.app import create_app
from mockserver.http.keys import RELOADS, STATE
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient
from tests.table import Rows

NAMESPACE = "100001"  # the namespace of the built-in licence's requests
KEPT = "+33639987901"  # a runtime scenario's number: error 16 while the good set serves
GOOD = (
    "version: 1\nscenarios:\n  - id: kept-16\n"
    f'    match: {{numbers: ["{KEPT}"]}}\n    operator: Orange\n'
    '    outcome: {initiate_error: "16"}\n'
)
WITHIN = 5.0


def alias_bomb(levels: int) -> str:
    """The issue's bomb: l0 lists 10 strings, each lN lists lN-1 ten times."""
    lines = ["version: 1", "l0: &l0 [" + ", ".join(["xxxx"] * 10) + "]"]
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


class Bad(NamedTuple):
    text: str
    line: int  # counted by hand in `text`
    words: str  # what the message must say
    status: int = 400  # the admin API's answer


def scenario_with(match: str, outcome: str = "{}") -> str:
    return (
        "version: 1\nscenarios:\n  - id: hostile\n"
        f"    match: {match}\n    operator: Orange\n    outcome: {outcome}\n"
    )


def many_patterns(pattern: str, count: int) -> str:
    """`count` scenarios with the same pattern; scenario k's pattern is on line 4 + 3k."""
    scenarios = "".join(
        f'  - id: p{k}\n    match: {{pattern: "{pattern}"}}\n    operator: Orange\n'
        for k in range(count)
    )
    return "version: 1\nscenarios:\n" + scenarios


# l3 expands to 10**3 * 10 strings of 4 characters (40 KB), l4 to 400 KB: over the 256 KiB
# cap, and l4 is on line 6.
BAD = {
    "control-character": Bad('version: 1\ndescription: "\x07"\n', 2, "U+0007"),
    "alias-bomb-8-levels": Bad(alias_bomb(8), 6, "aliases written out"),
    "alias-bomb-7-levels": Bad(alias_bomb(7), 6, "aliases written out"),
    "alias-cycle": Bad("version: 1\ndescription: &a [*a]\n", 2, "refers to the node that contains"),
    "token-ttl-1e20": Bad(
        'version: 1\nlicences:\n  - licence: "300001"\n    client_secret: s\n'
        "    token_ttl: 1.0e+20\n",
        5,
        "maximum of 86400",
    ),
    "token-ttl-1e20-plain": Bad(
        'version: 1\nlicences:\n  - licence: "300001"\n    client_secret: s\n    token_ttl: 1e20\n',
        5,
        "token_ttl",
    ),
    "pending-seconds-over-a-day": Bad(
        scenario_with('{numbers: ["+33639987902"]}', "{pending: {seconds: 86401}}"), 6, "86400"
    ),
    "polls-not-finite": Bad(
        scenario_with('{numbers: ["+33639987902"]}', "{pending: {seconds: .nan}}"),
        6,
        "not a finite number",
    ),
    "huge-integer": Bad(
        scenario_with('{numbers: ["+33639987902"]}', "{pending: {polls: " + "9" * 5000 + "}}"),
        6,
        "more than 32 characters",
    ),
    "pattern-re2-cannot-compile": Bad(scenario_with('{pattern: "(?=6)9$"}'), 4, "RE2"),
    "deep-nesting": Bad("version: 1\ndescription: " + "[" * 500 + "]" * 500 + "\n", 2, "nested"),
    "impossible-date": Bad("version: 1\ndescription: 2024-13-45\n", 2, "month must be in 1..12"),
    "empty": Bad("", 1, "the document is empty"),
    "only-comments": Bad("# nothing yet\n", 1, "the document is empty"),
    "too-large": Bad(
        "version: 1\ndescription: " + "x" * (300 * 1024) + "\n", 1, "over the limit", 413
    ),
    # A pattern's compile cost is bounded: its length (schema), its program (RE2's max_mem),
    # and the instructions of all the patterns of a document.
    "pattern-slow-to-compile-48kb": Bad(
        scenario_with('{pattern: "' + "x{1,9}" * 8000 + '"}'), 4, "over the maximum of 256"
    ),
    "pattern-program-too-large": Bad(
        scenario_with('{pattern: "' + "x{1,1000}" * 3 + '"}'), 4, "pattern too large"
    ),
    "patterns-of-a-document-over-budget": Bad(many_patterns("x{0,300}" * 9, 5), 16, "20000"),
    "pattern-499-nested-groups": Bad(
        scenario_with('{pattern: "' + "(" * 499 + ")" * 499 + '"}'), 4, "over the maximum of 256"
    ),
    "pattern-lookahead-with-re2-reason": Bad(
        scenario_with('{pattern: "(?=6)9$"}'), 4, "invalid perl operator: (?="
    ),
    # Every string, key or value, is Unicode text: no lone surrogate from a "\ud800" escape.
    "surrogate-in-operator-name": Bad(
        'version: 1\noperators:\n  - name: "Evil\\ud800Op"\n', 3, "U+D800"
    ),
    "surrogate-in-subscriber": Bad(
        scenario_with('{numbers: ["+33639987902"]}')
        + '    subscriber: {family_name: Lee, given_name: "A\\ud800"}\n',
        7,
        "U+D800",
    ),
    "surrogate-in-a-key": Bad('version: 1\n"\\udc00": 1\n', 2, "U+DC00"),
    "surrogate-pair-escaped": Bad('version: 1\ndescription: "\\ud83d\\ude00"\n', 2, "U+D83D"),
    # A key written twice is refused at its second line.
    "duplicate-version": Bad("version: 1\nversion: 1\n", 2, "duplicate key 'version'"),
    "duplicate-scenarios": Bad(
        GOOD.replace("version: 1\n", "version: 1\nscenarios: []\n"), 3, "duplicate key 'scenarios'"
    ),
    "duplicate-key-in-a-flow-mapping": Bad(
        scenario_with('{numbers: ["+33639987902"], numbers: ["+33639987903"]}'),
        4,
        "duplicate key 'numbers'",
    ),
    "duplicate-merge-keys": Bad(
        "version: 1\nx: &a {k: 1}\ny: {<<: *a, <<: *a}\n", 3, "duplicate key '<<'"
    ),
    # Every ordered pair is in order.
    "uniform-latency-reversed": Bad(
        "version: 1\nfaults:\n  - id: slow\n    kind: latency\n    latency: {uniform: [5, 1]}\n",
        5,
        "[5, 1] is not an ordered range",
    ),
    "uniform-latency-reversed-in-a-scenario": Bad(
        scenario_with('{numbers: ["+33639987902"]}')
        + "    faults:\n      - id: slow\n        kind: latency\n"
        + "        latency: {uniform: [2.5, 0.5]}\n",
        10,
        "not an ordered range",
    ),
    "number-range-reversed": Bad(
        scenario_with('{range: {from: "+33639987909", to: "+33639987900"}}'),
        4,
        "not an ordered range",
    ),
}


def first_problem(text: str) -> str:
    return text.splitlines()[0]


def assert_reported(problem: str, source: str, bad: Bad) -> None:
    assert problem.startswith(f"{source}:{bad.line}: "), problem
    assert bad.words in problem, problem


# -- the file loader ----------------------------------------------------------------------


def test_file_load(tmp_path: Path) -> None:
    """Each BAD document, loaded from a file: ScenarioFileError naming its file and line."""
    rows = Rows()
    for name, bad in BAD.items():
        with rows.row(name):
            path = tmp_path / f"{name}.yaml"
            path.write_text(bad.text, encoding="utf-8")
            with pytest.raises(ScenarioFileError) as refused:
                load_path(path)
            assert_reported(first_problem(str(refused.value)), str(path), bad)
    rows.check(len(BAD))


# -- dqe-mock validate --------------------------------------------------------------------


def test_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each BAD document through `dqe-mock validate`: status 1, file:line, no traceback."""
    rows = Rows()
    for name, bad in BAD.items():
        with rows.row(name):
            path = tmp_path / f"{name}.yaml"
            path.write_text(bad.text, encoding="utf-8")
            status = main(["validate", str(path)])
            out = capsys.readouterr()
            assert status == 1
            assert "Traceback" not in out.err + out.out
            assert_reported(first_problem(out.err), str(path), bad)
    rows.check(len(BAD))


# -- the admin API ------------------------------------------------------------------------


class Admin(NamedTuple):
    server: TestServer
    session: ClientSession
    dqe: DqeClient

    async def send(self, method: str, text: str | bytes) -> tuple[int, Any]:
        url = self.server.make_url("/__admin/scenarios")
        body = text.encode() if isinstance(text, str) else text
        async with self.session.request(
            method, url, params={"namespace": NAMESPACE}, data=body
        ) as reply:
            assert reply.content_type == "application/json"
            return reply.status, await reply.json()

    async def kept_error(self) -> str | None:
        reply = await self.dqe.idmobile(await self.dqe.token(), KEPT, "numVerify")
        return reply.error_id

    async def runtime_ids(self) -> list[str]:
        url = self.server.make_url("/__admin/scenarios")
        async with self.session.get(url, params={"namespace": NAMESPACE}) as reply:
            body = await reply.json()
        return [s["id"] for s in body["scenarios"] if s["layer"] == "runtime"]


@pytest.fixture
async def admin(server: TestServer) -> AsyncIterator[Admin]:
    async with ClientSession() as session:
        running = Admin(server, session, DqeClient(session, server.make_url("/")))
        assert await running.send("PUT", GOOD) == (
            200,
            {"namespace": NAMESPACE, "scenarios": ["kept-16"]},
        )
        assert await running.kept_error() == "16"
        yield running


async def test_admin_api(admin: Admin) -> None:
    """Each BAD document, POSTed (added) and PUT (replacing): a 4xx, and the good set serves."""
    rows = Rows()
    for name, bad in BAD.items():
        for method in ["POST", "PUT"]:
            with rows.row(name, method):
                status, body = await admin.send(method, bad.text)
                assert status == bad.status, body
                if status == 413:
                    assert body["error"] == "request_too_large"
                    assert "over the limit of 262144 bytes" in body["error_description"]
                else:
                    assert body["error"] == "invalid scenario document"
                    assert_reported(body["problems"][0], f"<admin:{NAMESPACE}>", bad)
                # The last good set keeps serving.
                assert await admin.kept_error() == "16"
                assert await admin.runtime_ids() == ["kept-16"]
    rows.check(2 * len(BAD))


async def test_admin_alias_bomb_answers_at_once_and_others_are_served(admin: Admin) -> None:
    started = time.monotonic()
    status, _ = await admin.send("POST", alias_bomb(7))
    assert status == 400
    assert await admin.kept_error() == "16"
    # It took ~10 s of a blocked event loop before; the bound is generous for a loaded CI.
    assert time.monotonic() - started < 3.0


async def test_admin_body_too_large_from_its_header_alone(admin: Admin) -> None:
    # A body that declares 10 MB and sends nothing more than a few bytes: 413 at once.
    reader, writer = await asyncio.open_connection(admin.server.host, admin.server.port)
    writer.write(
        b"POST /__admin/scenarios HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\nversion"
    )
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    assert status_line.split()[1] == b"413", status_line
    assert await admin.kept_error() == "16"


async def test_admin_body_not_utf8_is_400(admin: Admin) -> None:
    status, body = await admin.send("POST", b"version: 1\ndescription: \xff\n")
    assert status == 400
    assert "is not valid utf-8" in body["error"]
    assert await admin.kept_error() == "16"


# -- hot reload ---------------------------------------------------------------------------


@pytest.fixture
async def watched(tmp_path: Path) -> AsyncIterator[tuple[TestServer, DqeClient, Path]]:
    path = tmp_path / "team.yaml"
    path.write_text(GOOD, encoding="utf-8")
    app = create_app(Settings(seed=3, frozen_clock=True, scenario_paths=(path,), watch=True))
    async with TestServer(app, host="127.0.0.1") as server, ClientSession() as session:
        dqe = DqeClient(session, server.make_url("/"))
        reply = await dqe.idmobile(await dqe.token(), KEPT, "numVerify")
        assert reply.error_id == "16"
        yield server, dqe, path


def reports(problems: str, path: Path, bad: Bad) -> bool:
    """Does `problems` (a reload's errors) report `bad` at its line of `path`?"""
    problem = first_problem(problems) if problems else ""
    return problem.startswith(f"{path}:{bad.line}: ") and bad.words in problem


async def test_hot_reload(watched: tuple[TestServer, DqeClient, Path]) -> None:
    """Each BAD document written over the watched file: refused at its line, the set kept.

    The rows share one watched file; each waits for a reload that reports its own document,
    so a late event of the row before cannot stand in for it.
    """
    server, dqe, path = watched
    registry = server.app[STATE].registry
    generation = registry.generation
    signal = server.app[RELOADS]
    rows = Rows()
    for name, bad in BAD.items():
        with rows.row(name):
            attempts = signal.attempts
            path.write_text(bad.text, encoding="utf-8")
            with contextlib.suppress(TimeoutError):  # the assertions below say what came instead
                await signal.wait_until(
                    lambda s, bad=bad, attempts=attempts: (
                        s.attempts > attempts
                        and not registry.last_reload.ok
                        and reports(registry.last_reload.errors, path, bad)
                    ),
                    within=WITHIN,
                )
            assert signal.attempts > attempts
            assert not registry.last_reload.ok
            assert_reported(first_problem(registry.last_reload.errors), str(path), bad)
            assert registry.generation == generation
            reply = await dqe.idmobile(await dqe.token(), KEPT, "numVerify")
            assert reply.error_id == "16"
    rows.check(len(BAD))


# -- beyond the entry points --------------------------------------------------------------


def test_a_catastrophic_pattern_runs_in_linear_time() -> None:
    """`^(\\+?3+)+$` backtracks exponentially in Python's re; RE2 answers at once."""
    loaded = load_text(scenario_with('{pattern: "^(\\\\+?3+)+$"}'), "s.yaml")
    pattern = loaded.scenarios[0].match.pattern
    assert isinstance(pattern, NumberPattern)
    long_miss = "+" + "3" * 5000 + "4"
    started = time.monotonic()
    assert pattern.search(long_miss) is False
    assert pattern.search("+3333") is True
    assert time.monotonic() - started < 1.0


async def test_a_catastrophic_pattern_does_not_slow_idmobile(admin: Admin) -> None:
    status, _ = await admin.send("POST", scenario_with('{pattern: "^(\\\\+?3+)+$"}'))
    assert status == 201
    started = time.monotonic()
    for _ in range(5):
        assert await admin.kept_error() == "16"  # every request passes the pattern first
    assert time.monotonic() - started < 3.0


def test_the_line_index_never_expands_aliases() -> None:
    # Three levels: 10**3 * 10 strings once expanded (under the cap), 44 nodes as written.
    data, lines = parse_document(alias_bomb(3), "s.yaml")
    assert len(data["l3"]) == 10
    assert len(data["l3"][0][0]) == 10
    assert len(lines) <= 50, len(lines)


def test_anchors_and_merge_keys_still_load() -> None:
    text = (
        "version: 1\nscenarios:\n"
        '  - id: a\n    match: {numbers: ["+33639987903"]}\n    operator: Orange\n'
        "    subscriber: &who {given_name: Ann}\n"
        '  - id: b\n    match: {numbers: ["+33639987904"]}\n    operator: Orange\n'
        "    subscriber: {<<: *who, family_name: Lee}\n"
    )
    loaded = load_text(text, "s.yaml")
    assert dict(loaded.scenarios[1].subscriber) == {"given_name": "Ann", "family_name": "Lee"}


def test_a_smaller_cap_is_honoured(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert main(["validate", str(path), "--max-scenario-bytes", "100"]) == 1
    err = capsys.readouterr().err
    assert re.match(rf"{re.escape(str(path))}:1: the document is {len(GOOD)} bytes, over", err)
    assert main(["validate", str(path)]) == 0


def test_the_docs_state_the_limits_the_code_and_schema_apply() -> None:
    page = Path(__file__).resolve().parent.parent / "docs" / "limits.md"
    text = page.read_text(encoding="utf-8")
    section = text.split("## Scenario documents and hot reload", 1)[1].split("\n## ", 1)[0]
    assert f"| {MAX_DOCUMENT_BYTES} (256 KiB) |" in section
    assert f"{MAX_DEPTH} levels" in section
    assert f"| {MAX_NUMBER_CHARS} |" in section
    assert f"| {MAX_DOCUMENT_PATTERN_INSTRUCTIONS} (" in section
    assert f"| {MAX_PATTERN_MEMORY >> 10} KiB (" in section
    defs = contract().schemas["scenario.schema.json"]["$defs"]
    cap = defs["match"]["properties"]["pattern"]["maxLength"]
    assert f"| characters of a `match.pattern` | {cap} |" in section
    maxima = [
        defs["licence"]["properties"]["token_ttl"]["maximum"],
        defs["pending"]["properties"]["polls"]["maximum"],
        defs["pending"]["properties"]["seconds"]["maximum"],
        defs["consent"]["properties"]["max_attempts"]["maximum"],
        defs["latency"]["oneOf"][0]["properties"]["fixed"]["maximum"],
        defs["fault"]["properties"]["seconds"]["maximum"],
        defs["fault"]["properties"]["first"]["maximum"],
    ]
    for maximum in maxima:
        assert str(maximum) in section, maximum


@pytest.mark.parametrize(
    "document",
    [
        "version: 1\nscenarios:\n  - id: " + "y" * 65 + "\n    match: {any: true}\n",
        "version: 1\noperators:\n  - name: " + "O" * 65 + "\n",
        "version: 1\nlicences:\n  - {licence: '" + "1" * 65 + "', client_secret: s}\n",
    ],
    ids=["scenario-id", "operator-name", "licence"],
)
def test_names_copied_into_every_session_and_entry_are_at_most_64_characters(
    document: str,
) -> None:
    # A 250,000-character scenario id made every journal entry and session listing as large.
    with pytest.raises(ScenarioFileError) as refused:
        load_text(document, "long.yaml")
    assert "long.yaml:" in str(refused.value)
    assert "is too long" in str(refused.value) or "over the maximum of 64" in str(refused.value)
