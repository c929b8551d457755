"""Each default is written once: the CLI's options take theirs from Settings, ProxySettings
and ScoreSettings.

The oracle is the dataclasses' own field defaults, read with dataclasses.fields; the CLI's
are read from its parser. One departure is by design and written here by hand: `serve`
reloads its scenario files on change (docs/admin-api.md, "Hot reload"), while Settings() (tests, the
pytest plugin) starts no watcher.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import MISSING, fields, replace
from pathlib import Path
from typing import Any

import pytest

from mockserver import cli, score_command
from mockserver.settings import ProxySettings, ScoreSettings, Settings

SERVE_DEPARTS = {"watch": True}
# Options that configure the command itself, not the server it runs.
NOT_SETTINGS = {"help", "log_level"}
# Fields no option reaches: the frozen clock is for tests, the upstream timeout is fixed.
NO_OPTION = {"serve": {"frozen_clock"}, "proxy": {"timeout"}, "score": set()}
OPTIONS = {"serve": Settings, "proxy": ProxySettings, "score": ScoreSettings}


def subcommand(name: str) -> argparse.ArgumentParser:
    parser = cli._parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: argparse.ArgumentParser = commands.choices[name]
    return found


def field_defaults(
    options: type[Settings] | type[ProxySettings] | type[ScoreSettings],
) -> dict[str, Any]:
    return {f.name: f.default for f in fields(options) if f.default is not MISSING}


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_every_option_defaults_to_its_field(command: str) -> None:
    expected = field_defaults(OPTIONS[command])
    if command == "serve":
        expected |= SERVE_DEPARTS
    actions = [a for a in subcommand(command)._actions if a.dest not in NOT_SETTINGS]
    assert actions
    for action in actions:
        if action.required:
            assert action.dest in {f.name for f in fields(OPTIONS[command])}
            continue
        assert action.dest in expected, f"{action.option_strings} sets no field of {command}"
        assert action.default == expected[action.dest], action.option_strings


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_every_field_has_an_option(command: str) -> None:
    dests = {a.dest for a in subcommand(command)._actions}
    missing = {f.name for f in fields(OPTIONS[command])} - dests
    assert missing == NO_OPTION[command]


def test_serve_without_options_runs_the_default_settings() -> None:
    args = cli._parser().parse_args(["serve"])
    assert cli._settings(args) == replace(Settings(), **SERVE_DEPARTS)


def test_proxy_without_options_runs_the_default_settings() -> None:
    args = cli._parser().parse_args(["proxy", "--upstream", "http://dqe.example"])
    assert ProxySettings(**cli._fields_of(ProxySettings, args)) == ProxySettings(
        "http://dqe.example"
    )


def test_score_without_options_runs_the_default_settings() -> None:
    args = cli._parser().parse_args(["score", "+33639980001", "{}"])
    assert cli._score_settings(args) == ScoreSettings("+33639980001", "{}")


@pytest.mark.parametrize("module", [cli, score_command], ids=["cli", "score_command"])
def test_the_cli_types_no_default_of_its_own(module: Any) -> None:
    source = Path(module.__file__).read_text(encoding="utf-8")
    literals = re.findall(r"default=\s*(?:\d|['\"\[(]|True\b|False\b|None\b)[^,)]*", source)
    assert literals == []
