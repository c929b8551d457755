"""`dqe-mock score`: the matching scores of a record against user_infos, each with its rule.

The record is a magic number's subscriber (built-in pack, or scenario files layered as `serve`
layers them) or a JSON record; the scores are the ones matching_notp would answer, pinned
scores included, each printed with the rule that produced it (docs/matching-scores.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from mockserver.contract.schemas import contract
from mockserver.contract.scopes import user_infos_scopes
from mockserver.contract.user_infos import user_infos_keys
from mockserver.domain import phones
from mockserver.domain.folding import Explained
from mockserver.domain.loading import load_all
from mockserver.domain.scenarios import Scenario, ScenarioSet
from mockserver.domain.scoring import apply_pinned, explain_pinned, explain_scores, scores_of
from mockserver.domain.yamldoc import ScenarioFileError
from mockserver.settings import ScoreSettings

FORMATS = ("text", "json")
DESCRIPTION = """\
Print each matching score of RECORD against USER_INFOS with the rule that produced
it, to try thresholds offline.

RECORD is a magic number (its scenario's subscriber record), a JSON record
({{"family_name": ..., "address": {{...}}}}, as a scenario's `subscriber`) or @FILE of one.
USER_INFOS is a JSON object or @FILE of one, with any of the documented keys:
{keys};
a key left out is not compared. Exit 2 when an input cannot be used.

examples:
  dqe-mock score +33639980001 '{{"lastname": "de La Fontaine", "firstname": "Jean"}}'
  dqe-mock score @record.json @user_infos.json --format json
  dqe-mock score +33639980001 @user_infos.json --scenarios my-pack.yaml
"""


class ScoreInputError(ValueError):
    """An input of `dqe-mock score` that cannot be used; str() is the one-line reason."""


def add_score_command(commands: Any) -> None:
    """Declare `score` on the CLI's subcommands; every default is ScoreSettings'."""
    from mockserver.cli import _positive, add_scenario_options, default

    score = commands.add_parser(
        "score",
        help="print the matching scores of a record against user_infos, with their rules",
        description=DESCRIPTION.format(keys=textwrap.fill(", ".join(user_infos_keys()), 80)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument("record", metavar="RECORD", help="magic number, JSON record or @FILE")
    score.add_argument("user_infos", metavar="USER_INFOS", help="JSON object or @FILE")
    add_scenario_options(score, ScoreSettings, "layered over the built-in pack (as serve does)")
    score.add_argument(
        "--licence",
        default=default(ScoreSettings, "licence"),
        help="the licence the number is called with (default: any, a scenario's licence "
        "restriction is not applied)",
    )
    scope = default(ScoreSettings, "scope")
    score.add_argument(
        "--scope",
        choices=sorted(user_infos_scopes()),
        default=scope,
        help=f"the scope whose pinned scores apply (default {scope})",
    )
    fmt = default(ScoreSettings, "format")
    score.add_argument(
        "--format",
        choices=FORMATS,
        default=fmt,
        help=f"output: text for people, json for tools (default {fmt})",
    )
    limit = default(ScoreSettings, "max_document_bytes")
    score.add_argument(
        "--max-scenario-bytes",
        dest="max_document_bytes",
        type=_positive,
        default=limit,
        metavar="N",
        help=f"largest scenario document (default {limit})",
    )


def run_score(settings: ScoreSettings) -> int:
    """Print the scores (text or JSON) and return 0; one line on stderr and 2 for bad input."""
    try:
        source, record, pinned = _record(settings)
        user = _user_infos(settings.user_infos)
    except (ScoreInputError, ScenarioFileError) as exc:
        print(f"dqe-mock score: {exc}", file=sys.stderr)
        return 2
    explained = apply_pinned(explain_scores(user, record), pinned)
    if settings.format == "json":
        print(json.dumps(as_json(source, explained), ensure_ascii=False, indent=2))
    else:
        print(as_text(source, explained))
    return 0


def _record(settings: ScoreSettings) -> tuple[str, Mapping[str, Any], dict[str, Any]]:
    """(where the record comes from, the record, its pinned scores as Explained)."""
    text = settings.record.strip()
    if text.startswith(("{", "@")):
        record = _json("record", text)
        _check_record(record)
        return f"record {_shown(text)}", record, {}
    scenario = _scenario(settings, text)
    outcome = scenario.outcome_for(settings.scope)
    if outcome.initiate_error:
        raise ScoreInputError(
            f"{text}: scenario {scenario.id} answers error {outcome.initiate_error} to "
            f"{settings.scope}, not scores"
        )
    if not scenario.subscriber:
        raise ScoreInputError(f"{text}: scenario {scenario.id} holds no subscriber record")
    pinned = explain_pinned(outcome.scores, f"pinned by scenario {scenario.id}")
    return f"scenario {scenario.id} ({text})", scenario.subscriber, pinned


def _scenario(settings: ScoreSettings, number: str) -> Scenario:
    try:
        parsed = phones.parse(number)
    except phones.InvalidNumber:
        raise ScoreInputError(
            f"record {number!r} is neither a phone number nor a JSON record ({{...}} or @FILE)"
        ) from None
    if not parsed.eligible:
        raise ScoreInputError(f"{number}: not a mobile line, /IDMOBILE/ refuses it")
    e164 = parsed.e164
    loaded = load_all(
        settings.scenario_paths, settings.include_default_pack, settings.max_document_bytes
    )
    found = find_scenario(loaded, number, e164, settings.licence, settings.scope)
    if found is None:
        raise ScoreInputError(f"{number}: no scenario answers this number")
    return found


def find_scenario(
    loaded: ScenarioSet, raw: str, e164: str, licence: str | None, scope: str
) -> Scenario | None:
    """The scenario that answers `raw` for `scope` (and `licence`; None: any licence)."""
    for scenario in loaded.scenarios:
        match = scenario.match if licence is not None else replace(scenario.match, licences=None)
        if match.matches(raw, e164, licence or "", scope):
            return scenario
    return None


def _json(what: str, text: str) -> Any:
    """`text` parsed as JSON, or the file it names after @; ScoreInputError otherwise."""
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ScoreInputError(f"{what}: cannot read {path}: {reason}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScoreInputError(
            f"{what}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


def _check_record(record: Any) -> None:
    """A record must be what a scenario's `subscriber` may hold (scenario.schema.json)."""
    ref = contract().uri("scenario.schema.json") + "#/$defs/subscriber"
    validator = Draft202012Validator({"$ref": ref}, registry=contract().registry)
    error = best_match(validator.iter_errors(record))
    if error is not None:
        where = "".join(f"/{part}" for part in error.absolute_path)
        raise ScoreInputError(f"record{where}: {error.message}")


def _user_infos(text: str) -> dict[str, Any]:
    user = _json("user_infos", text.strip())
    if not isinstance(user, dict):
        raise ScoreInputError("user_infos: not a JSON object")
    keys = user_infos_keys()
    for key, value in user.items():
        if key not in keys:
            raise ScoreInputError(f"user_infos: unknown key {key!r} (keys: {', '.join(keys)})")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ScoreInputError(f"user_infos: {key} is not a string or a number")
    return user


def _shown(text: str) -> str:
    return text if text.startswith("@") else "(JSON)"


def rows(explained: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Explained]]:
    """(field, Explained) in the score object's order, address fields as address.KEY."""
    found: list[tuple[str, Explained]] = []
    for key, value in explained.items():
        if isinstance(value, Explained):
            found.append((prefix + key, value))
        else:
            found += rows(value, f"{prefix}{key}.")
    return found


def as_text(source: str, explained: Mapping[str, Any]) -> str:
    """One line per score: field, score (two decimals, "" when not compared), rule, values."""
    lines = [f"scores of {source}"]
    for name, item in rows(explained):
        score = '""' if item.score == "" else f"{float(item.score):.2f}"
        values = f" ({item.typed} ~ {item.held})" if item.typed else ""
        lines.append(f"{name:<23} {score:<4}  {item.rule}{values}")
    return "\n".join(lines)


def as_json(source: str, explained: Mapping[str, Any]) -> dict[str, Any]:
    """{"source", "scores": the matching_notp score object, "rules": [{field, score, ...}]}."""
    return {
        "source": source,
        "scores": scores_of(explained),
        "rules": [{"field": name, **item._asdict()} for name, item in rows(explained)],
    }
