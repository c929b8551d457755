"""The command line explains itself (issue 17): each command has a one-line description and an
example, each option its help with the default; `validate` names its PATHs and exit codes,
`proxy` says its report is JSON, `--scenarios` wants at least one path.

The table of expected texts is written by hand; the property walks every parser.
"""

from __future__ import annotations

import argparse

import pytest

from mockserver.cli import _parser, main

# (argv before --help, texts its help must contain)
HELP = [
    (
        [],
        [
            "usage: dqe-mock [-h] [--version] COMMAND ...",
            "dqe-mock: a mock of DQE Software's ID Mobile API (/ACCESS_TOKEN/, /IDMOBILE/, /GET/)",
            "serve     run the mock server",
            "validate  check scenario files as serve would load them, and exit",
            "proxy     forward to a DQE server, check both directions, record scenarios",
            "score     print the matching scores of a record against user_infos",
            "report    a running mock's client report (coverage, conformance, behaviour) for CI",
            "export-session write a running mock's session as a scenario file that replays it",
            "examples:",
            "dqe-mock serve --scenarios my-scenarios.yaml",
            '"Walkthrough with curl"',
        ],
    ),
    (
        ["serve"],
        [
            "dqe-mock serve: run the mock server",
            "--scenarios PATH [PATH ...]",
            "--log-level {DEBUG,INFO,WARNING,ERROR}",
            "each request with --access-log",
            "--event-loop {auto,uvloop,asyncio}",
            "(default INFO)",
            "(default 127.0.0.1)",
            "(default 8080; 0 picks a free one)",
            "(default 300)",
            "(seconds, default 10)",
            "examples:\n  dqe-mock serve\n",
            "dqe-mock serve --workers 4 --state redis://127.0.0.1:6379/0",
        ],
    ),
    (
        ["validate"],
        [
            "usage: dqe-mock validate [-h] [--no-default-pack] [--max-scenario-bytes N] PATH [PATH ...]",
            "dqe-mock validate: check scenario files as serve would load them, and exit.",
            "PATH                  scenario files (*.yaml, *.yml) or directories of them",
            "exit status:",
            "0  every file loads and lint finds nothing",
            "1  a problem: `file:line: reason` lines on stderr",
            "2  the command line itself is wrong",
            "dqe-mock validate shop.yaml",
        ],
    ),
    (
        ["proxy"],
        [
            "dqe-mock proxy: forward to a DQE server, check both directions, record scenarios.",
            "--upstream URL        the DQE server to forward to",
            "(required)",
            "--report FILE         write the report (JSON:",
            "(default 8081; 0 picks a free one)",
            "--log-level {DEBUG,INFO,WARNING,ERROR}",
            "dqe-mock proxy --upstream https://dqe.example --port 8081 --report report.json",
        ],
    ),
    (
        ["report"],
        [
            "--url URL",
            "--format {text,json,junit,html}",
            "(default text)",
            "--fail-on-findings",
            "exit status:",
            "examples:",
            "dqe-mock report --url http://127.0.0.1:8080 --format junit --output dqe-report.xml",
        ],
    ),
    (
        ["export-session"],
        [
            "usage: dqe-mock export-session [-h] --url URL",
            "token",
            "exit status:",
            "1 the mock refused",
            "examples:",
            "dqe-mock serve --scenarios replay.yaml",
        ],
    ),
    (
        ["score"],
        [
            "RECORD                magic number, JSON record or @FILE",
            "--format {text,json}  output: text for people, json for tools (default text)",
            "--scenarios PATH [PATH ...]",
            "examples:",
            "dqe-mock score +33639980001",
        ],
    ),
]


def help_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(("argv", "texts"), HELP)
def test_each_help_says_what_it_should(
    argv: list[str],
    texts: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # no wrapping inside the expected texts
    # Compared with runs of spaces as one: the column argparse aligns help at moves with the
    # longest command name, and is not what the help says.
    shown = help_of(argv, capsys)
    flat = " ".join(shown.split())
    missing = [text for text in texts if " ".join(text.split()) not in flat]
    assert missing == [], shown


def parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    root = _parser()
    found = [("dqe-mock", root)]
    for action in root._actions:
        if isinstance(action, argparse._SubParsersAction):
            found += [(f"dqe-mock {name}", p) for name, p in action.choices.items()]
    return found


def test_the_table_covers_every_command() -> None:
    assert {name for name, _ in parsers()} == {"dqe-mock"} | {
        f"dqe-mock {argv[0]}" for argv, _ in HELP if argv
    }


# Hidden on purpose, the only ones: internal options no user types. `serve --worker-index` is
# how `serve --workers N` tells each of its child processes its index (http/workers.py).
HIDDEN = {("dqe-mock serve", "worker")}


@pytest.mark.parametrize(("name", "parser"), parsers())
def test_every_command_has_a_description_an_example_and_every_option_help(
    name: str, parser: argparse.ArgumentParser
) -> None:
    assert parser.description, name
    assert "examples:" in parser.description + (parser.epilog or ""), name
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._VersionAction):
            continue
        assert action.help, (name, action.dest)
        if (name, action.dest) in HIDDEN:
            assert action.help == argparse.SUPPRESS, (name, action.dest)
            continue
        assert action.help != argparse.SUPPRESS, (name, action.dest)
        if action.option_strings and not isinstance(action, argparse._SubParsersAction):
            # A flag says what happens without it; a value option its default.
            said = action.help.lower()
            assert "default" in said or "required" in said, (name, action.option_strings)


@pytest.mark.parametrize("command", ["serve", "score"])
def test_scenarios_needs_at_least_one_path(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = (
        [command, "--scenarios"]
        if command == "serve"
        else [command, "+33639980001", "{}", "--scenarios"]
    )
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    assert "argument --scenarios: expected at least one argument" in capsys.readouterr().err


def test_serve_parsed_alone_reads_and_explains_the_same() -> None:
    # main() parses `dqe-mock serve ...` with serve's parser alone (the other commands'
    # modules are not imported): the same options, defaults and help as in the full parser.
    def serve_of(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        return sub.choices["serve"]

    alone, full = serve_of(_parser(serve_only=True)), serve_of(_parser())
    assert alone.format_help() == full.format_help()
    argv = ["--port", "0", "--access-log", "--min-poll-interval", "2"]
    assert vars(alone.parse_args(argv)) == vars(full.parse_args(argv))
