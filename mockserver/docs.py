"""The docs' generated blocks: `python -m mockserver.docs magic-table | check | update`.

The magic-number table, the licences table and the example scenario file are generated from
the built-in pack (scenarios/default.yaml) and the error catalogue (schemas/errors.json), so
the README and the pages of docs/ never retype an error label or a number; the notes table
from contract.conformance.NOTE_KINDS. A block lives in one of README.md and docs/*.md (the
magic numbers in the README, the notes table in docs/admin-api.md, the precedence table in
docs/contract-notes.md, the example file in docs/scenarios.md); `check` and `update` without
a path take all of those files, from the repository's root, and require every block once.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import phonenumbers

from mockserver.contract.conformance import NOTE_KINDS
from mockserver.contract.decisions import consent_errors, expiry_errors
from mockserver.contract.errors import catalogue
from mockserver.domain.loading import load_default
from mockserver.domain.scenarios import Outcome, Scenario, ScenarioSet
from mockserver.resources import scenarios_dir

EXAMPLE_FILE = ("examples", "example.yaml")
UPDATE_COMMAND = "python -m mockserver.docs update"
# The files that hold generated blocks, relative to the repository's root (the current
# directory when `check` or `update` is given no path).
DEFAULT_FILES = ("README.md", "docs/*.md")
# What /GET/ answers when the user never finishes consent: the token runs out.
ABANDON_ERROR = expiry_errors()["abandon"]


def spaced(e164: str) -> str:
    """'+33639980001' -> '+33 6 39 98 00 01'; other countries in libphonenumber's format."""
    if re.fullmatch(r"\+33\d{9}", e164):
        rest = e164[3:]
        pairs = " ".join(rest[i : i + 2] for i in range(1, 9, 2))
        return f"+33 {rest[0]} {pairs}"
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ").strip()


def _numbers(scenario: Scenario) -> str:
    match = scenario.match
    parts = [spaced(n) for n in sorted(match.numbers)]
    if match.range:
        parts.append(f"{spaced(match.range[0])} to {spaced(match.range[1])}")
    if match.pattern:
        parts.append(f"numbers matching `{match.pattern.pattern}`")
    parts += [f"the text `{raw}`" for raw in sorted(match.raw)]
    if match.any:
        parts.append("any other mobile")
    text = ", ".join(parts)
    filters = [
        f"{label} {', '.join(sorted(values))}"
        for label, values in (("licence", match.licences), ("scope", match.scopes))
        if values is not None
    ]
    return text + (f" ({'; '.join(filters)} only)" if filters else "")


def _label(error_id: str, operator: str | None) -> str:
    """`error NN — label`, with the per-scope variants of the label when there are any."""
    entry = catalogue().get(error_id)
    text = f"error {error_id} — {entry.label_for(None, operator)}"
    variants = [f"{scope}: {entry.label_for(scope, operator)}" for scope in entry.labels_by_scope]
    return text + (f" ({'; '.join(variants)})" if variants else "")


def _outcome_errors(outcome: Outcome) -> list[str]:
    """Error ids an outcome leads to, in the order a client meets them."""
    errors = [outcome.initiate_error] if outcome.initiate_error else []
    decision = outcome.consent.decision
    if decision in consent_errors():
        errors.append(consent_errors()[decision])
    elif decision in expiry_errors():
        errors.append(expiry_errors()[decision])
    if outcome.result_error:
        errors.append(outcome.result_error)
    return errors


def _operator_errors(scenario: Scenario, pack: ScenarioSet) -> list[tuple[str, str]]:
    """(error id, condition) pairs the scenario's operator configuration produces."""
    operator = pack.operators.get(scenario.operator or "")
    if operator is None:
        return [("13", "")]
    if operator.status == "unsupported":
        return [("15", "")]
    if operator.status == "unreachable":
        return [("16", "")]
    if operator.scopes is not None and not operator.scopes:
        return [("17", "")]
    found = []
    if operator.scopes is not None:
        found.append(("17", f"scopes other than {', '.join(sorted(operator.scopes))}"))
    if operator.requires_phone:
        found.append(("07", "matching scopes without user_infos.phone"))
    return found


def scenario_errors(scenario: Scenario, pack: ScenarioSet) -> list[tuple[str, str]]:
    """(error id, condition) pairs a scenario answers with; an empty condition means always."""
    found = _operator_errors(scenario, pack)
    common = _outcome_errors(scenario.outcome_for(""))
    found += [(e, "") for e in dict.fromkeys(common)]
    for scope in scenario.scopes_raw:
        extra = _outcome_errors(scenario.outcome_for(scope))
        found += [(e, f"scope {scope}") for e in dict.fromkeys(extra) if e not in common]
    return found


def _what_happens(scenario: Scenario, pack: ScenarioSet) -> str:
    parts = [scenario.description] if scenario.description else []
    for error_id, condition in scenario_errors(scenario, pack):
        label = _label(error_id, scenario.operator)
        parts.append(f"{condition}: {label}" if condition else label)
    return "; ".join(_cell(p).rstrip(".") for p in parts) + "."


def _sort_key(scenario: Scenario) -> tuple[int, str]:
    """Numbers in order; catch-alls (no exact number) after them, in file order."""
    return (0, min(scenario.match.numbers)) if scenario.match.numbers else (1, "")


def magic_table(pack: ScenarioSet | None = None) -> str:
    """The Markdown table of the built-in pack's magic numbers."""
    pack = pack or load_default()
    rows = ["| number | scenario | operator | what happens |", "|---|---|---|---|"]
    for scenario in sorted(pack.scenarios, key=_sort_key):
        operator = scenario.operator or "none"
        rows.append(
            f"| {_cell(_numbers(scenario))} | `{scenario.id}` | {_cell(operator)} "
            f"| {_what_happens(scenario, pack)} |"
        )
    return "\n".join(rows)


def licences_table(pack: ScenarioSet | None = None) -> str:
    """The Markdown table of the built-in pack's licences and what each may use."""
    pack = pack or load_default()
    rows = ["| licence | client_secret | restrictions |", "|---|---|---|"]
    for code, licence in sorted(pack.licences.items()):
        limits = []
        if licence.operators is not None:
            only = ", ".join(sorted(licence.operators))
            limits.append(f"operators {only} only (others: {_label('14', None)})")
        if licence.scopes is not None:
            only = ", ".join(sorted(licence.scopes))
            limits.append(f"scopes {only} only (others: {_label('04', None)})")
        if licence.token_ttl is not None:
            limits.append(f"tokens live {licence.token_ttl} s (then {_label('30', None)})")
        text = "; ".join(limits) or "none: every operator and scope"
        rows.append(f"| `{code}` | `{licence.client_secret}` | {_cell(text)} |")
    return "\n".join(rows)


def notes_table() -> str:
    """The Markdown table of the journal's note ids (contract.conformance.NOTE_KINDS)."""
    rows = ["| note id | what the mock accepted | the docs' rule |", "|---|---|---|"]
    rows += [f"| `{k.id}` | {_cell(k.meaning)} | {_cell(k.rule)} |" for k in NOTE_KINDS]
    return "\n".join(rows)


def precedence_table() -> str:
    """The Markdown table of each endpoint's rules in the order they are checked
    (errors.json "precedence", as catalogue().rules reads it)."""
    rows = ["| endpoint | order | rule | error | what breaks it |", "|---|---:|---|---|---|"]
    for endpoint, rules in catalogue().rules.items():
        for index, rule in enumerate(rules, 1):
            where = " (request schema)" if rule.schema else ""
            rows.append(
                f"| /{endpoint}/ | {index} | `{rule.name}`{where} | {rule.error_id} "
                f"| {_cell(rule.description)} |"
            )
    return "\n".join(rows)


def example_scenarios() -> str:
    """The example scenario file, as a fenced YAML block."""
    text = scenarios_dir().joinpath(*EXAMPLE_FILE).read_text(encoding="utf-8")
    return f"```yaml\n{text.rstrip()}\n```"


BLOCKS: dict[str, Callable[[], str]] = {
    "magic-table": magic_table,
    "licences-table": licences_table,
    "notes-table": notes_table,
    "precedence-table": precedence_table,
    "example-scenarios": example_scenarios,
}


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def _block_pattern(name: str) -> re.Pattern[str]:
    start, end = _markers(name)
    return re.compile(re.escape(start) + r"\n(.*?)" + re.escape(end), re.DOTALL)


def _body(text: str) -> str:
    notice = f"<!-- generated by `{UPDATE_COMMAND}`; do not edit by hand -->"
    return f"{notice}\n{text}\n"


def updated(document: str) -> tuple[str, list[str], list[str]]:
    """The document with its generated blocks regenerated; the names of the blocks it holds,
    and of those whose start or end marker is there without the other."""
    found, unpaired = [], []
    for name, generate in BLOCKS.items():
        start, end = _markers(name)
        match = _block_pattern(name).search(document)
        if match is None:
            if start in document or end in document:
                unpaired.append(name)
            continue
        found.append(name)
        block = f"{start}\n{_body(generate())}{end}"
        document = document[: match.start()] + block + document[match.end() :]
    return document, found, unpaired


def default_files(root: Path | None = None) -> list[Path]:
    """README.md and docs/*.md under `root` (the current directory), the README first."""
    base = Path.cwd() if root is None else root
    files: list[Path] = []
    for pattern in DEFAULT_FILES:
        files += sorted(base.glob(pattern))
    return files


def _placement(found: dict[Path, list[str]]) -> int:
    """1 (and a line on stderr per problem) unless every block is in exactly one file."""
    problems = 0
    for name in BLOCKS:
        holders = [str(path) for path, names in found.items() if name in names]
        if len(holders) != 1:
            start, end = _markers(name)
            where = ", ".join(holders) or "none of " + ", ".join(str(p) for p in found)
            print(f"block {name} ({start} ... {end}) must be in one file: {where}", file=sys.stderr)
            problems += 1
    return 1 if problems else 0


def _paths(paths: Sequence[Path]) -> tuple[list[Path], bool]:
    """The files to work on, and whether they are the default set (every block required)."""
    if paths:
        return list(paths), False
    if not Path("README.md").is_file():
        print("no README.md here: run from the repository's root, or name files", file=sys.stderr)
        return [], True
    return default_files(), True


def check(*paths: Path) -> int:
    """0 when the generated blocks of `paths` are current; else print what differs and 1.

    A named file must hold at least one block; with no path, README.md and docs/*.md are
    checked and every block must be in exactly one of them."""
    files, every = _paths(paths)
    status = 0 if files else 1
    found: dict[Path, list[str]] = {}
    for path in files:
        current = path.read_text(encoding="utf-8")
        fresh, found[path], unpaired = updated(current)
        for name in unpaired:
            start, end = _markers(name)
            print(f"{path}: block {name} lacks a marker ({start} ... {end})", file=sys.stderr)
            status = 1
        if not every and not found[path] and not unpaired:
            print(f"{path}: no generated block", file=sys.stderr)
            status = 1
        if fresh != current:
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                fresh.splitlines(keepends=True),
                f"{path} (as written)",
                f"{path} (as generated)",
            )
            sys.stderr.writelines(diff)
            print(f"{path}: generated blocks are stale; run `{UPDATE_COMMAND}`", file=sys.stderr)
            status = 1
    if every and files:
        status |= _placement(found)
    return status


def update(*paths: Path) -> int:
    """Rewrite the generated blocks of `paths` (no path: README.md and docs/*.md) in place;
    1 if a block's marker lacks its pair, or (no path) a block is not in exactly one file."""
    files, every = _paths(paths)
    status = 0 if files else 1
    found: dict[Path, list[str]] = {}
    for path in files:
        current = path.read_text(encoding="utf-8")
        fresh, found[path], unpaired = updated(current)
        if fresh != current:
            path.write_text(fresh, encoding="utf-8")
        for name in unpaired:
            print(f"{path}: block {name} lacks a marker; add both first", file=sys.stderr)
            status = 1
    if every and files:
        status |= _placement(found)
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mockserver.docs",
        description="The generated blocks of README.md and docs/*.md.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name in BLOCKS:
        commands.add_parser(name, help=f"print the {name} block")
    for name, verb in (("check", "fail if"), ("update", "rewrite where")):
        sub = commands.add_parser(name, help=f"{verb} the generated blocks of PATH differ")
        sub.add_argument(
            "paths",
            type=Path,
            nargs="*",
            metavar="PATH",
            help="files (default: README.md and docs/*.md, every block in one of them)",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m mockserver.docs`."""
    args = _parser().parse_args(argv)
    if args.command == "check":
        return check(*args.paths)
    if args.command == "update":
        return update(*args.paths)
    print(BLOCKS[args.command]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
