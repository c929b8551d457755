"""`dqe-mock validate`: schema errors with file:line, and semantic lint findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.cli import main

HEADER = "version: 1\noperators:\n  - name: Orange\nscenarios:\n"


def write(tmp_path: Path, body: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    status = main(["validate", *args])
    return status, capsys.readouterr().err.splitlines()


def test_the_built_in_pack_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    pack = Path(__file__).resolve().parent.parent / "scenarios" / "default.yaml"
    status, problems = run(capsys, str(pack), "--no-default-pack")
    assert problems == []
    assert status == 0


def test_yaml_syntax_error_names_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "  - id: a\n    match: {numbers: [\n")
    status, problems = run(capsys, str(path))
    assert status == 1
    assert problems[0].startswith(f"{path}:")
    assert "YAML syntax" in problems[0]


def test_schema_error_names_the_line_of_the_bad_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path, "  - id: a\n    match: {numbers: ['+33639989001']}\n    outcome: {pendng: 3}\n"
    )
    status, problems = run(capsys, str(path))
    assert status == 1
    assert problems == [
        f"{path}:7: /scenarios/0/outcome: unknown key 'pendng' (did you mean 'pending'?)"
    ]


def test_error_the_endpoint_cannot_return(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "  - id: a\n    match: {numbers: ['+33639989001']}\n    outcome: {result_error: '12'}\n",
    )
    status, problems = run(capsys, str(path))
    assert status == 1
    assert problems == [
        f"{path}:7: /scenarios/0/outcome/result_error: error 12 cannot be returned by /GET/"
    ]


def test_shadowed_number_and_unreachable_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "  - id: wide\n    match: {range: {from: '+33639989000', to: '+33639989099'}}\n    operator: Orange\n"
        "  - id: narrow\n    match: {numbers: ['+33639989001']}\n    operator: Orange\n",
    )
    status, problems = run(capsys, str(path))
    assert status == 1
    assert (
        f"{path}:8: number +33639989001 of 'narrow' is answered by 'wide' ({path}:5), which is matched first"
        in problems
    )
    assert (
        f"{path}:8: scenario 'narrow' is unreachable: every one of its numbers is answered by an earlier scenario"
        in problems
    )


def test_catch_all_before_others(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        "  - id: all\n    match: {any: true}\n    operator: Orange\n"
        "  - id: late\n    match: {numbers: ['+33639989001']}\n    operator: Orange\n",
    )
    status, problems = run(capsys, str(path))
    assert status == 1
    assert any("'late' is unreachable" in p and "'all'" in p for p in problems)


def test_dead_outcome_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        "  - id: early\n    match: {numbers: ['+33639989001']}\n    operator: Orange\n"
        "    outcome: {initiate_error: '12', pending: {polls: 2}}\n"
        "  - id: denied\n    match: {numbers: ['+33639989002']}\n    operator: Orange\n"
        "    outcome: {consent: {decision: deny}, result_error: '99'}\n",
    )
    status, problems = run(capsys, str(path))
    assert status == 1
    assert any(":5: 'early' outcome.pending is unreachable" in p for p in problems)
    assert any(
        ":9: 'denied' outcome.result_error is unreachable" in p and "error 21" in p
        for p in problems
    )


def test_unknown_operator_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path, "  - id: typo\n    match: {numbers: ['+33639989001']}\n    operator: Orang\n"
    )
    status, problems = run(capsys, str(path))
    assert status == 1
    assert problems == [
        f"{path}:5: operator 'Orang' of 'typo' is not in any operators list: every request gives error 13"
    ]


def test_a_clean_user_file_passes_over_the_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path, "  - id: mine\n    match: {numbers: ['+33639989001']}\n    operator: Orange\n"
    )
    status = main(["validate", str(path)])
    captured = capsys.readouterr()
    assert captured.err == ""
    assert status == 0
    assert f"{path}: ok" in captured.out


def test_validate_layers_the_files_as_serve_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ops.yaml").write_text("version: 1\noperators:\n  - name: Acme Mobile\n")
    (tmp_path / "uses.yaml").write_text(
        "version: 1\nscenarios:\n  - {id: acme, match: {numbers: ['+33639987501']}, operator: Acme Mobile}\n"
    )
    assert main(["validate", str(tmp_path / "ops.yaml"), str(tmp_path / "uses.yaml")]) == 0
    assert capsys.readouterr().err == ""
    assert main(["validate", str(tmp_path / "uses.yaml")]) == 1
    assert "'Acme Mobile' of 'acme' is not in any operators list" in capsys.readouterr().err
