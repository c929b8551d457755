"""scripts/mutation (docs/mutation-testing.md): its help, module names and the hand-kept list
of equivalent mutants. The mutation run itself is too slow for the test command."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "mutation"


@pytest.fixture(scope="module")
def mutation() -> ModuleType:
    """The script, imported as a module (it has no .py suffix)."""
    loader = importlib.machinery.SourceFileLoader("mutation_script", str(SCRIPT))
    spec = importlib.util.spec_from_loader("mutation_script", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutation_script"] = module
    loader.exec_module(module)
    return module


def test_help_names_the_budget_and_the_modules(
    mutation: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        mutation.main(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: scripts/mutation")
    for option in ("--budget", "--max-children", "--resume", "--report", "modules"):
        assert option in out


def test_the_script_is_executable() -> None:
    assert SCRIPT.stat().st_mode & 0o111
    assert SCRIPT.read_text().startswith("#!/usr/bin/env python3\n")


def test_a_full_run_covers_every_domain_and_contract_module(mutation: ModuleType) -> None:
    modules = mutation.all_modules()
    assert "mockserver/domain/service.py" in modules
    assert "mockserver/domain/scoring.py" in modules
    assert "mockserver/contract/errors.py" in modules
    on_disk = [
        f"{p.parent.relative_to(ROOT).as_posix()}/{p.name}"
        for package in ("domain", "contract")
        for p in (ROOT / "mockserver" / package).glob("*.py")
        if p.name != "__init__.py"
    ]
    assert sorted(modules) == sorted(on_disk)


@pytest.mark.parametrize(
    "name",
    [
        "tokens",
        "tokens.py",
        "domain/tokens",
        "mockserver.domain.tokens",
        "mockserver/domain/tokens.py",
    ],
)
def test_modules_are_named_as_people_write_them(mutation: ModuleType, name: str) -> None:
    assert mutation.resolve(name) == "mockserver/domain/tokens.py"


def test_an_unknown_module_is_refused(mutation: ModuleType) -> None:
    with pytest.raises(SystemExit, match="no single module 'nonesuch'"):
        mutation.resolve("nonesuch")


def test_the_equivalent_mutants_file_parses_and_names_real_modules(mutation: ModuleType) -> None:
    equivalent = mutation.read_equivalent()
    modules = {mutation.dotted(m) for m in mutation.all_modules()}
    for name, listed in equivalent.items():
        assert name.rpartition(".")[0] in modules or any(
            name.startswith(m + ".") for m in modules
        ), name
        assert len(listed.reason) > 10, name
        assert listed.kind in ("equivalent", "unspecified"), name


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("mockserver.domain.clock.x_f__mutmut_1\n", "expected `mutant-name reason`"),
        ("clock.x_f__mutmut_1 because\n", "expected `mutant-name reason`"),
        ("mockserver.domain.clock.x_f because\n", "expected `mutant-name reason`"),
        (
            "mockserver.domain.clock.x_f__mutmut_1 a\nmockserver.domain.clock.x_f__mutmut_1 b\n",
            "listed twice",
        ),
        ("[equivalents]\nmockserver.domain.clock.x_f__mutmut_1 a\n", "unknown heading"),
    ],
)
def test_a_malformed_equivalent_list_is_refused(
    mutation: ModuleType, tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "equivalent.txt"
    path.write_text("# comment\n\n" + text, encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        mutation.read_equivalent(path)


def test_sections_give_each_listed_mutant_its_kind(mutation: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "equivalent.txt"
    path.write_text(
        "mockserver.domain.clock.x_f__mutmut_1 before any heading\n"
        "[unspecified: another valid fake is drawn]\n"
        "mockserver.domain.clock.x_f__mutmut_2 another fake\n"
        "[equivalent: no observable behaviour differs]\n"
        "mockserver.domain.clock.x_f__mutmut_3 same behaviour\n",
        encoding="utf-8",
    )
    listed = mutation.read_equivalent(path)
    assert {name[-1]: (e.kind, e.reason) for name, e in listed.items()} == {
        "1": ("equivalent", "before any heading"),
        "2": ("unspecified", "another fake"),
        "3": ("equivalent", "same behaviour"),
    }


def test_the_score_leaves_out_equivalent_unspecified_and_unchecked_mutants(
    mutation: ModuleType,
) -> None:
    row = mutation.Row("domain.x", mutants=14, killed=6, timeout=2, survived=1, no_tests=1,
                       equivalent=1, unspecified=2, not_checked=1)  # fmt: skip
    assert row.score == 80.0  # (6 + 2) / (14 - 1 - 1 - 2)
    assert mutation.Row("domain.y", mutants=3, not_checked=3).score is None
    assert mutation.cells(row) == ["domain.x", "14", "6", "2", "1", "1", "1", "2", "1", "80.0"]


def test_the_table_footer_says_what_the_score_leaves_out(
    mutation: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    mutation.report([], {}, markdown=False, survivors=False)
    header, footer = capsys.readouterr().out.split("\n\n")
    assert header.split() == ["module", "mutants", "killed", "timeout", "survived", "no",
                              "tests", "equivalent", "unspecified", "not", "checked", "score",
                              "%"]  # fmt: skip
    assert "equivalent and unspecified mutants" in footer
    assert "are left out of the score" in footer
