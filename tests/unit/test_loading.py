"""Scenario documents -> ScenarioSet, and the checks beyond the schema, with file:line.

Oracles: docs/scenarios.md (fields and defaults: licence operators/scopes all when
absent, operator status `available`, fault endpoint `any`, status 503, hang 300 s; a
scenario's faults only on its requests; numbers compared in E.164; layering of files and
directories in name order, *.yaml and *.yml only; only regular files read; error ids must be
errors the endpoint and scope can return, `result_error: "10"` being rejected; ranges
ordered, patterns compiled within 20000 RE2 instructions per document) and the vendor's
error table (docs: 10 only from /IDMOBILE/; 18 only from /GET/ for numVerify, formfilling
and matching; 05 only for the matching scopes).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mockserver.domain import loading
from mockserver.domain.faults import Fault
from mockserver.domain.loading import (
    directory_files,
    is_scenario_file,
    load_all,
    load_default,
    load_path,
    load_text,
    read_text,
)
from mockserver.domain.patterns import NumberPattern
from mockserver.domain.scenarios import Licence, Match, Operator
from mockserver.domain.yamldoc import MAX_DOCUMENT_BYTES, ScenarioFileError

FULL = """\
version: 1
licences:
  - licence: "L1"
    client_secret: s1
    operators: [Orange]
    scopes: [numVerify]
    token_ttl: 60
  - licence: "L2"
    client_secret: s2
operators:
  - name: Orange
    scopes: [numVerify]
    status: unreachable
    requires_phone: true
  - name: Free
scenarios:
  - id: a
    description: the first
    operator: Orange
    subscriber: {given_name: Ada}
    match:
      numbers: ["06 39 98 70 11"]
      range: {from: "+33639987100", to: "0639987199"}
      pattern: "^\\\\+3363998"
      raw: ["abc"]
      any: true
      licences: ["L1"]
      scopes: [numVerify]
    outcome: {numverify: false}
    scopes: {numVerify: {numverify: true}}
    faults:
      - {id: slow, kind: latency, latency: {fixed: 1}}
  - id: b
    match: {numbers: ["+33639987012"]}
faults:
  - id: boom
    kind: http_error
    endpoint: GET
    status: 502
    seconds: 5
    first: 2
    licences: ["L2"]
    numbers: ["0639987012"]
    description: a gateway
  - id: plain
    kind: reset
"""


def test_a_full_document_builds_every_part() -> None:
    built = load_text(FULL, "f.yaml")
    assert built.licences == {
        "L1": Licence("L1", "s1", frozenset({"Orange"}), frozenset({"numVerify"}), 60, "f.yaml:3"),
        "L2": Licence("L2", "s2", None, None, None, "f.yaml:8"),
    }
    assert built.operators == {
        "Orange": Operator("Orange", frozenset({"numVerify"}), "unreachable", True, "f.yaml:11"),
        "Free": Operator("Free", None, "available", False, "f.yaml:15"),
    }
    a, b = built.scenarios
    assert (a.id, a.operator, a.description, a.source) == ("a", "Orange", "the first", "f.yaml:17")
    assert a.subscriber == {"given_name": "Ada"}
    assert a.outcome_raw == {"numverify": False}
    assert a.scopes_raw == {"numVerify": {"numverify": True}}
    assert a.match.numbers == {"+33639987011"}
    assert a.match.range == ("+33639987100", "+33639987199")
    assert a.match.pattern is not None
    assert a.match.pattern.pattern == "^\\+3363998"
    assert (a.match.raw, a.match.any) == (frozenset({"abc"}), True)
    assert (a.match.licences, a.match.scopes) == (frozenset({"L1"}), frozenset({"numVerify"}))
    assert (b.operator, b.description, b.subscriber, b.outcome_raw, b.scopes_raw) == (
        None, "", {}, {}, {}
    )  # fmt: skip
    assert b.match == Match(numbers=frozenset({"+33639987012"}))
    assert built.sources == ("f.yaml",)
    assert built.faults == (
        Fault(
            "boom", "http_error", "GET", 502, None, 5, 2, frozenset({"L2"}),
            frozenset({"+33639987012"}), None, "a gateway",
        ),
        Fault("plain", "reset", "any", 503, None, 300.0, None, None, None, None, ""),
        Fault("a/slow", "latency", latency={"fixed": 1}, scenario="a"),
    )  # fmt: skip


def problems(text: str) -> list[tuple[int, str]]:
    with pytest.raises(ScenarioFileError) as caught:
        load_text(text, "f.yaml")
    return caught.value.problems


def test_a_schema_problem_has_its_pointer_and_line() -> None:
    assert problems("version: 1\nscenarios:\n  - id: a\n") == [
        (3, "/scenarios/0/match: 'match' is required but missing")
    ]


def test_a_number_that_does_not_parse_says_to_use_raw() -> None:
    [(line, message)] = problems(
        'version: 1\nscenarios:\n  - id: a\n    match:\n      numbers: ["+33", "0639987011"]\n'
    )
    assert line == 5
    assert message.startswith("/scenarios/0/match/numbers/0: ")
    assert message.endswith(" (use match.raw for texts that are not numbers)")


@pytest.mark.parametrize(
    ("low", "high"),
    [("+33639987199", "+33639987100"), ("+33639987100", "+447400123456")],
)
def test_a_range_must_be_ordered_and_of_one_length(low: str, high: str) -> None:
    text = f"version: 1\nscenarios:\n  - id: a\n    match:\n      range: {{from: '{low}', to: '{high}'}}\n"
    assert problems(text) == [
        (5, f"/scenarios/0/match/range: {low}..{high} is not an ordered range")
    ]


def test_a_range_of_one_number_is_ordered() -> None:
    text = "version: 1\nscenarios:\n  - id: a\n    match:\n      range: {from: '+33639987100', to: '+33639987100'}\n"
    assert load_text(text, "f.yaml").scenarios[0].match.range == ("+33639987100", "+33639987100")


def test_a_range_with_a_bad_bound_is_reported_once_and_dropped() -> None:
    text = "version: 1\nscenarios:\n  - id: a\n    match:\n      range: {from: '+33', to: '+33639987100'}\n"
    [(_, message)] = problems(text)
    assert message.startswith("/scenarios/0/match/range/from: ")


def test_a_pattern_re2_cannot_compile_is_refused_at_its_line() -> None:
    text = "version: 1\nscenarios:\n  - id: a\n    match:\n      pattern: '(3)\\1'\n"
    [(line, message)] = problems(text)
    assert line == 5
    assert message.startswith(
        "/scenarios/0/match/pattern: RE2, the linear-time engine patterns run on, cannot compile it: "
    )


def pattern_document(patterns: list[str]) -> str:
    items = "".join(
        f"  - id: p{i}\n    match: {{pattern: '{p}'}}\n" for i, p in enumerate(patterns)
    )
    return "version: 1\nscenarios:\n" + items


def test_the_patterns_of_a_document_share_a_budget_of_instructions() -> None:
    # Each refused pattern counts as 5,500 instructions: four use up the 20,000.
    refused = "x{1,1000}" * 3
    found = problems(pattern_document([refused] * 4 + ["^1", "^2"]))
    budget = (
        "not compiled: this document's patterns already need more than 20000 RE2 "
        "instructions in all"
    )
    assert [m.split(": ", 1)[1] for _, m in found[4:]] == [budget, budget]
    assert found[4] == (12, f"/scenarios/4/match/pattern: {budget}")
    # Three refused (16,500) leave room for one more attempt.
    assert len(problems(pattern_document([refused] * 3 + ["^1"]))) == 3


def test_small_patterns_fit_the_budget() -> None:
    assert len(load_text(pattern_document(["^1"] * 50), "f.yaml").scenarios) == 50


def test_a_reversed_uniform_latency_is_refused() -> None:
    text = "version: 1\nfaults:\n  - id: f\n    kind: latency\n    latency: {uniform: [5, 1]}\n"
    assert problems(text) == [
        (5, "/faults/0/latency/uniform: [5, 1] is not an ordered range: the low bound comes first")
    ]
    ok = text.replace("[5, 1]", "[1, 1]")
    assert load_text(ok, "f.yaml").faults[0].latency == {"uniform": [1, 1]}


def test_fault_numbers_are_normalised_and_bad_ones_reported() -> None:
    text = (
        "version: 1\nfaults:\n  - id: f\n    kind: reset\n    numbers: ['+33', '06 39 98 70 11']\n"
    )
    [(line, message)] = problems(text)
    assert (line, message.split(":")[0]) == (5, "/faults/0/numbers/0")


def test_ids_must_be_unique() -> None:
    text = (
        "version: 1\nscenarios:\n  - {id: a, match: {any: true}}\n  - {id: a, match: {any: true}}\n"
        "faults:\n  - {id: f, kind: reset}\n  - {id: f, kind: reset}\n"
    )
    assert problems(text) == [
        (4, "/scenarios/1: duplicate scenario id 'a'"),
        (7, "/faults/1: duplicate fault id 'f'"),
    ]


def outcome_doc(outcome: str, scopes: str = "", match_scopes: str = "") -> str:
    text = "version: 1\nscenarios:\n  - id: a\n    match: {any: true" + match_scopes + "}\n"
    text += f"    outcome: {outcome}\n"
    if scopes:
        text += f"    scopes: {scopes}\n"
    return text


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (
            "{result_error: '10'}",
            "/scenarios/0/outcome/result_error: error 10 cannot be returned by /GET/",
        ),
        (
            "{initiate_error: '18'}",
            "/scenarios/0/outcome/initiate_error: error 18 cannot be returned by /IDMOBILE/",
        ),
        (
            "{initiate_error: '05'}",
            "/scenarios/0/outcome/initiate_error: error 05 cannot be returned by /IDMOBILE/ for "
            "scope formfilling, numVerify (limit it under `scopes:` or `match.scopes`)",
        ),
    ],
)
def test_outcome_errors_must_be_returnable(outcome: str, expected: str) -> None:
    assert [m for _, m in problems(outcome_doc(outcome))] == [expected]


def test_matching_notp_results_are_retrieved_as_matching() -> None:
    # 18 comes from /GET/ for matching, which is how a matching_notp consent is retrieved.
    built = load_text(outcome_doc("{result_error: '18'}"), "f.yaml")
    assert built.scenarios[0].outcome_raw == {"result_error": "18"}


def test_an_error_id_not_in_the_catalogue_is_refused() -> None:
    assert [m for _, m in problems(outcome_doc("{initiate_error: '08'}"))] == [
        "/scenarios/0/outcome/initiate_error: error 08 is not in the catalogue"
    ]


def test_a_scope_that_overrides_the_error_needs_not_allow_it() -> None:
    text = outcome_doc(
        "{initiate_error: '05'}",
        "{numVerify: {initiate_error: '10'}, formfilling: {initiate_error: '10'}}",
    )
    assert load_text(text, "f.yaml").scenarios[0].scopes_raw["numVerify"] == {
        "initiate_error": "10"
    }


def test_match_scopes_limit_the_scopes_an_outcome_error_applies_to() -> None:
    text = outcome_doc("{initiate_error: '05'}", match_scopes=", scopes: [matching]")
    assert load_text(text, "f.yaml").scenarios[0].match.scopes == {"matching"}


def test_a_scope_override_is_checked_for_its_own_scope() -> None:
    text = outcome_doc("{}", "{numVerify: {result_error: '05'}, matching: {initiate_error: '05'}}")
    assert [m for _, m in problems(text)] == [
        "/scenarios/0/scopes/numVerify/result_error: error 05 cannot be returned by /GET/"
    ]
    text = outcome_doc("{}", "{numVerify: {initiate_error: '05'}}")
    assert [m for _, m in problems(text)] == [
        "/scenarios/0/scopes/numVerify/initiate_error: error 05 cannot be returned by "
        "/IDMOBILE/ for scope numVerify (limit it under `scopes:` or `match.scopes`)"
    ]


MINI = "version: 1\nscenarios:\n  - {{id: {id}, match: {{numbers: ['{number}']}}}}\n"


def test_a_directory_loads_its_yaml_and_yml_files_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "b.yml").write_text(MINI.format(id="b", number="+33639987011"))
    (tmp_path / "a.yaml").write_text(MINI.format(id="a", number="+33639987011"))
    (tmp_path / "c.txt").write_text("not: a scenario file\n")
    (tmp_path / "d.YAML.bak").write_text("x")
    assert directory_files(tmp_path) == [tmp_path / "a.yaml", tmp_path / "b.yml"]
    built = load_path(tmp_path)
    assert [s.id for s in built.scenarios] == ["b", "a"]  # later files matched first
    assert built.sources == (str(tmp_path / "a.yaml"), str(tmp_path / "b.yml"))
    assert is_scenario_file(Path("x.yml"))
    assert not is_scenario_file(Path("x.json"))


def test_an_empty_directory_is_an_empty_set(tmp_path: Path) -> None:
    assert load_path(tmp_path).scenarios == ()


def test_a_file_is_loaded_with_its_path_as_source(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(MINI.format(id="a", number="+33639987011"))
    assert load_path(path).scenarios[0].source == f"{path}:3"


def test_load_all_layers_paths_over_the_default_pack(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(MINI.format(id="mine", number="+33639987011"))
    alone = load_all([path], include_default=False)
    assert [s.id for s in alone.scenarios] == ["mine"]
    layered = load_all([path])
    assert layered.scenarios[0].id == "mine"
    assert layered.sources == ("<built-in>/default.yaml", str(path))
    assert "100001" in layered.licences  # README: the built-in pack's licence
    assert load_default().sources == ("<built-in>/default.yaml",)


def read_problems(path: Path, max_bytes: int = 1000) -> list[tuple[int, str]]:
    with pytest.raises(ScenarioFileError) as caught:
        read_text(path, max_bytes)
    assert caught.value.source == str(path)
    return caught.value.problems


def test_read_text_caps_the_size(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a" * 11)
    assert read_text(path, 11) == "a" * 11
    assert read_problems(path, 10) == [
        (1, "the document is 11 bytes, over the limit of 10 (--max-scenario-bytes)")
    ]
    path.write_bytes(b"a" * 500)
    assert read_problems(path, 10)[0][1].startswith("the document is 500 bytes")


def test_read_text_wants_utf8_and_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    assert read_problems(path) == [(2, "not UTF-8 text: invalid continuation byte")]


def test_a_missing_file_cannot_be_read(tmp_path: Path) -> None:
    [(line, message)] = read_problems(tmp_path / "none.yaml")
    assert line == 1
    assert message.startswith("cannot read the file: ")


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert read_problems(fifo) == [(1, "not a regular file")]
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    assert read_problems(folder) == [(1, "not a regular file")]
    parent = tmp_path / "scenarios"
    parent.mkdir()
    os.mkfifo(parent / "x.yaml")
    with pytest.raises(ScenarioFileError, match="not a regular file"):
        load_path(parent)


def test_a_link_to_a_regular_file_is_read(tmp_path: Path) -> None:
    target = tmp_path / "t.yaml"
    target.write_text("x: 1\n")
    (tmp_path / "l.yaml").symlink_to(target)
    assert read_text(tmp_path / "l.yaml") == "x: 1\n"


def test_valid_patterns_add_up_to_the_budget() -> None:
    # \pN{8,15} needs about 3,500 RE2 instructions: six pass 20,000, the seventh is refused.
    found = problems(pattern_document(["\\pN{8,15}"] * 7))
    assert [line for line, _ in found] == [16]


def test_the_size_cap_is_passed_down_to_files_and_directories(tmp_path: Path) -> None:
    text = MINI.format(id="a", number="+33639987011")
    size = len(text.encode())
    path = tmp_path / "one.yaml"
    path.write_text(text)
    for load in (lambda cap: load_path(path, cap), lambda cap: load_path(tmp_path, cap),
                 lambda cap: load_all([path], include_default=False, max_bytes=cap)):  # fmt: skip
        assert load(size).scenarios[0].id == "a"
        with pytest.raises(ScenarioFileError, match=f"over the limit of {size - 1} "):
            load(size - 1)


def test_the_size_cap_bounds_alias_expansion_of_a_file(tmp_path: Path) -> None:
    # The text fits 120 bytes; written out, the aliases do not.
    text = "version: 1\ndescription: &d ddddddddddddddddddddddddd\nscenarios: [{id: *d, match: {raw: [*d, *d]}}]\n"
    path = tmp_path / "alias.yaml"
    path.write_text(text)
    assert len(text.encode()) < 120
    with pytest.raises(ScenarioFileError, match="with its aliases written out"):
        load_path(path, 120)
    with pytest.raises(ScenarioFileError, match="with its aliases written out"):
        load_path(tmp_path, 120)


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (RecursionError(), "the document is nested too deeply"),
        (OverflowError("int too large"), "a value is out of range: int too large"),
    ],
)
def test_a_recursion_or_overflow_is_a_file_error_at_line_1(
    monkeypatch: pytest.MonkeyPatch, error: Exception, message: str
) -> None:
    # load_text's promise: ScenarioFileError for anything wrong, never another error.
    def fail(*_: object) -> None:
        raise error

    monkeypatch.setattr(loading, "_load_text", fail)
    with pytest.raises(ScenarioFileError) as caught:
        load_text("version: 1\n", "src.yaml")
    assert str(caught.value) == f"src.yaml:1: {message}"


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("version: [\n", "src.yaml:"),  # YAML syntax
        ("[]\n", "src.yaml:1: /: "),  # the schema, at the root
        ("version: 1\nscenarios:\n  - {id: a, match: {any: true}}\n  - {id: a, match: {any: true}}\n",
         "src.yaml:4: /scenarios/1: duplicate"),  # the builder
    ],
)  # fmt: skip
def test_every_kind_of_problem_names_its_source(text: str, start: str) -> None:
    with pytest.raises(ScenarioFileError) as caught:
        load_text(text, "src.yaml")
    assert str(caught.value).startswith(start)


def test_a_raised_size_cap_reaches_the_file_read(tmp_path: Path) -> None:
    # --max-scenario-bytes may be raised over the default: a larger file then loads.
    text = "#" + "x" * MAX_DOCUMENT_BYTES + "\n" + MINI.format(id="a", number="+33639987011")
    (tmp_path / "big.yaml").write_text(text)
    cap = MAX_DOCUMENT_BYTES * 2
    assert load_path(tmp_path / "big.yaml", cap).scenarios[0].id == "a"
    assert load_path(tmp_path, cap).scenarios[0].id == "a"


def test_the_line_of_a_byte_that_is_not_utf8_counts_every_newline_before_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"\n\nb: caf\xe9\nc: 1\nd: 2\n")
    assert read_problems(path) == [(3, "not UTF-8 text: invalid continuation byte")]


def test_a_document_may_use_exactly_its_budget_of_instructions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "more than N instructions in all" refuses: patterns that use exactly N still compile.
    size = NumberPattern.compile("^1").program_size
    monkeypatch.setattr(loading, "MAX_DOCUMENT_PATTERN_INSTRUCTIONS", 2 * size)
    found = problems(pattern_document(["^1"] * 4))
    assert [m.split(":")[0] for _, m in found] == ["/scenarios/3/match/pattern"]


def test_a_bad_range_end_and_a_scenario_fault_are_located() -> None:
    text = (
        "version: 1\nscenarios:\n  - id: a\n    match: {range: {from: '+33639987100', to: '+33'}}\n"
        "    faults:\n      - {id: f, kind: latency, latency: {uniform: [5, 1]}}\n"
    )
    assert [m.split(":")[0] for _, m in problems(text)] == [
        "/scenarios/0/match/range/to",
        "/scenarios/0/faults/0/latency/uniform",
    ]
