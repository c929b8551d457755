"""Scenario files: YAML -> validated against schemas/scenario.schema.json -> ScenarioSet.

Every problem is reported as `file:line: what is wrong`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from mockserver.contract.errors import catalogue
from mockserver.contract.schemas import contract, scope_names
from mockserver.domain import phones
from mockserver.domain.faults import Fault
from mockserver.domain.scenarios import Licence, Match, Operator, Scenario, ScenarioSet
from mockserver.resources import scenarios_dir

SCENARIO_SCHEMA = "scenario.schema.json"
DEFAULT_PACK = "default.yaml"


class ScenarioFileError(ValueError):
    """A scenario file that cannot be loaded; str() is `file:line: reason` lines."""

    def __init__(self, source: str, problems: list[tuple[int, str]]) -> None:
        self.source = source
        self.problems = sorted(problems)
        super().__init__("\n".join(f"{source}:{line}: {msg}" for line, msg in self.problems))


def load_text(text: str, source: str) -> ScenarioSet:
    """Parse, validate and build one scenario document."""
    try:
        return _load_text(text, source)
    except RecursionError as exc:
        # Recursive YAML aliases (x: &a [*a]) or absurd nesting.
        raise ScenarioFileError(
            source, [(0, "nested too deeply, or a YAML alias refers to itself")]
        ) from exc
    except OverflowError as exc:
        # A regular expression with an impossible repetition count, say.
        raise ScenarioFileError(source, [(0, f"a value is out of range: {exc}")]) from exc


def _load_text(text: str, source: str) -> ScenarioSet:
    data, lines = _parse_yaml(text, source)
    problems = [
        (_line_for(lines, v.pointer), f"{v.pointer or '/'}: {v.message}")
        for v in contract().validate_document(SCENARIO_SCHEMA, data)
    ]
    if problems:
        raise ScenarioFileError(source, problems)
    return _Builder(source, lines).build(data)


def load_path(path: Path) -> ScenarioSet:
    """One file, or every *.yaml / *.yml file of a directory in name order."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        result = ScenarioSet()
        for file in files:
            result = result.layered(load_path(file))
        return result
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFileError(str(path), [(0, f"cannot read the file: {exc}")]) from exc
    return load_text(text, str(path))


def load_default() -> ScenarioSet:
    """The built-in pack shipped with the package."""
    pack = scenarios_dir() / DEFAULT_PACK
    return load_text(pack.read_text(encoding="utf-8"), f"<built-in>/{DEFAULT_PACK}")


def load_all(paths: Iterable[Path], include_default: bool = True) -> ScenarioSet:
    """The default pack (unless disabled), then each path layered over it, in order."""
    result = load_default() if include_default else ScenarioSet()
    for path in paths:
        result = result.layered(load_path(path))
    return result


def _parse_yaml(text: str, source: str) -> tuple[Any, dict[str, int]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise ScenarioFileError(source, [(line, f"YAML syntax: {exc.problem or exc}")]) from exc
    except yaml.YAMLError as exc:
        raise ScenarioFileError(source, [(0, f"YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    if data is None:
        data = {}
    lines: dict[str, int] = {}
    if node is not None:
        _index_lines(node, "", lines)
    return data, lines


def _index_lines(node: yaml.Node, pointer: str, lines: dict[str, int]) -> None:
    lines[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{pointer}/{key.value}"
            lines[child] = key.start_mark.line + 1
            _index_lines(value, child, lines)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, f"{pointer}/{index}", lines)


def _line_for(lines: Mapping[str, int], pointer: str) -> int:
    while pointer and pointer not in lines:
        pointer = pointer.rsplit("/", 1)[0]
    return lines.get(pointer, 1)


class _Builder:
    """Turns a schema-valid document into model objects, checking what a schema cannot."""

    def __init__(self, source: str, lines: Mapping[str, int]) -> None:
        self.source = source
        self.lines = lines
        self.problems: list[tuple[int, str]] = []

    def build(self, data: Mapping[str, Any]) -> ScenarioSet:
        licences = [self._licence(i, raw) for i, raw in enumerate(data.get("licences", []))]
        operators = [self._operator(i, raw) for i, raw in enumerate(data.get("operators", []))]
        scenarios = [self._scenario(i, raw) for i, raw in enumerate(data.get("scenarios", []))]
        faults = [self._fault(f"/faults/{i}", raw) for i, raw in enumerate(data.get("faults", []))]
        for index, raw in enumerate(data.get("scenarios", [])):
            faults += [
                self._fault(f"/scenarios/{index}/faults/{i}", item, scenario=raw["id"])
                for i, item in enumerate(raw.get("faults", []))
            ]
        self._check_unique([s.id for s in scenarios], "/scenarios", "scenario id")
        self._check_unique([f.id for f in faults], "/faults", "fault id")
        if self.problems:
            raise ScenarioFileError(self.source, self.problems)
        return ScenarioSet(
            licences={lic.licence: lic for lic in licences},
            operators={op.name: op for op in operators},
            # Within a file, the first listed scenario is matched first.
            scenarios=tuple(scenarios),
            sources=(self.source,),
            faults=tuple(faults),
        )

    def _where(self, pointer: str) -> str:
        return f"{self.source}:{_line_for(self.lines, pointer)}"

    def _problem(self, pointer: str, message: str) -> None:
        self.problems.append((_line_for(self.lines, pointer), f"{pointer}: {message}"))

    def _licence(self, index: int, raw: Mapping[str, Any]) -> Licence:
        return Licence(
            licence=raw["licence"],
            client_secret=raw["client_secret"],
            operators=frozenset(raw["operators"]) if "operators" in raw else None,
            scopes=frozenset(raw["scopes"]) if "scopes" in raw else None,
            token_ttl=raw.get("token_ttl"),
            source=self._where(f"/licences/{index}"),
        )

    def _operator(self, index: int, raw: Mapping[str, Any]) -> Operator:
        return Operator(
            name=raw["name"],
            scopes=frozenset(raw["scopes"]) if "scopes" in raw else None,
            status=raw.get("status", "available"),
            requires_phone=bool(raw.get("requires_phone", False)),
            source=self._where(f"/operators/{index}"),
        )

    def _scenario(self, index: int, raw: Mapping[str, Any]) -> Scenario:
        pointer = f"/scenarios/{index}"
        overrides = raw.get("scopes", {})
        candidates = raw["match"].get("scopes") or scope_names()
        for key in ("initiate_error", "result_error"):
            # An outcome-level error applies to every scope the scenario answers that does
            # not override it; each of those scopes must be allowed to return it.
            applies = [s for s in candidates if key not in overrides.get(s, {})]
            self._check_outcome(f"{pointer}/outcome", raw.get("outcome", {}), key, applies)
        for scope, override in overrides.items():
            for key in ("initiate_error", "result_error"):
                self._check_outcome(f"{pointer}/scopes/{scope}", override, key, [scope])
        return Scenario(
            id=raw["id"],
            match=self._match(f"{pointer}/match", raw["match"]),
            operator=raw.get("operator"),
            description=raw.get("description", ""),
            subscriber=raw.get("subscriber", {}),
            outcome_raw=raw.get("outcome", {}),
            scopes_raw=raw.get("scopes", {}),
            source=self._where(pointer),
        )

    def _match(self, pointer: str, raw: Mapping[str, Any]) -> Match:
        numbers = frozenset(
            n
            for i, text in enumerate(raw.get("numbers", []))
            if (n := self._number(f"{pointer}/numbers/{i}", text))
        )
        span = None
        if "range" in raw:
            low = self._number(f"{pointer}/range/from", raw["range"]["from"])
            high = self._number(f"{pointer}/range/to", raw["range"]["to"])
            if low and high and (len(low) != len(high) or low > high):
                self._problem(f"{pointer}/range", f"{low}..{high} is not an ordered range")
            span = (low, high) if low and high else None
        pattern = None
        if "pattern" in raw:
            try:
                pattern = re.compile(raw["pattern"])
            except (re.error, OverflowError, RecursionError) as exc:
                self._problem(f"{pointer}/pattern", f"not a regular expression: {exc}")
        return Match(
            numbers=numbers,
            range=span,
            pattern=pattern,
            raw=frozenset(raw.get("raw", [])),
            any=bool(raw.get("any", False)),
            licences=frozenset(raw["licences"]) if "licences" in raw else None,
            scopes=frozenset(raw["scopes"]) if "scopes" in raw else None,
        )

    def _fault(self, pointer: str, raw: Mapping[str, Any], scenario: str | None = None) -> Fault:
        numbers = None
        if "numbers" in raw:
            parsed = (
                self._number(f"{pointer}/numbers/{i}", t) for i, t in enumerate(raw["numbers"])
            )
            numbers = frozenset(n for n in parsed if n)
        return Fault(
            id=f"{scenario}/{raw['id']}" if scenario else raw["id"],
            kind=raw["kind"],
            endpoint=raw.get("endpoint", "any"),
            status=raw.get("status", 503),
            latency=raw.get("latency"),
            seconds=raw.get("seconds", 300.0),
            first=raw.get("first"),
            licences=frozenset(raw["licences"]) if "licences" in raw else None,
            numbers=numbers,
            scenario=scenario,
            description=raw.get("description", ""),
        )

    def _number(self, pointer: str, text: str) -> str | None:
        try:
            return phones.normalise(text)
        except phones.InvalidNumber as exc:
            self._problem(pointer, f"{exc} (use match.raw for texts that are not numbers)")
            return None

    def _check_outcome(
        self, pointer: str, raw: Mapping[str, Any], key: str, scopes: list[str]
    ) -> None:
        error_id = raw.get(key)
        if error_id is None:
            return
        endpoint = "IDMOBILE" if key == "initiate_error" else "GET"
        if error_id not in catalogue().business:
            self._problem(f"{pointer}/{key}", f"error {error_id} is not in the catalogue")
            return
        entry = catalogue().get(error_id)
        if endpoint == "GET":
            # matching_notp is retrieved as matching when the operator asks for consent.
            scopes = ["matching" if s == "matching_notp" else s for s in scopes]
        if not entry.allowed(endpoint):
            self._problem(
                f"{pointer}/{key}", f"error {error_id} cannot be returned by /{endpoint}/"
            )
            return
        refused = sorted({s for s in scopes if not entry.allowed(endpoint, s)})
        if refused:
            self._problem(
                f"{pointer}/{key}",
                f"error {error_id} cannot be returned by /{endpoint}/ for scope "
                f"{', '.join(refused)} (limit it under `scopes:` or `match.scopes`)",
            )

    def _check_unique(self, ids: list[str], pointer: str, what: str) -> None:
        seen: set[str] = set()
        for index, item in enumerate(ids):
            if item in seen:
                self._problem(f"{pointer}/{index}", f"duplicate {what} {item!r}")
            seen.add(item)
