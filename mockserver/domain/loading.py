"""Scenario files: YAML -> validated against schemas/scenario.schema.json -> ScenarioSet.

Every problem is reported as `file:line: what is wrong` (ScenarioFileError); the YAML is read
by `yamldoc`, which bounds size, nesting and alias expansion.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mockserver.contract.errors import catalogue
from mockserver.contract.schemas import contract
from mockserver.contract.scopes import retrieval_scope, scope_names
from mockserver.domain import phones, slips
from mockserver.domain.faults import Fault
from mockserver.domain.patterns import (
    MAX_DOCUMENT_PATTERN_INSTRUCTIONS,
    MAX_PATTERN_INSTRUCTIONS,
    NumberPattern,
    PatternError,
)
from mockserver.domain.scenarios import Licence, Match, Operator, Scenario, ScenarioSet
from mockserver.domain.yamldoc import MAX_DOCUMENT_BYTES, line_for, parse_document, too_large
from mockserver.domain.yamldoc import ScenarioFileError as ScenarioFileError
from mockserver.resources import scenarios_dir

SCENARIO_SCHEMA = "scenario.schema.json"
DEFAULT_PACK = "default.yaml"
SCENARIO_SUFFIXES = (".yaml", ".yml")


def load_text(text: str, source: str, max_bytes: int = MAX_DOCUMENT_BYTES) -> ScenarioSet:
    """Parse, validate and build one scenario document.

    `max_bytes` caps the text (UTF-8) and its expansion through YAML aliases. Raises
    ScenarioFileError (`source:line: reason` lines) for anything wrong, never another error.
    """
    try:
        return _load_text(text, source, max_bytes)
    except RecursionError as exc:
        # Defence in depth: nesting is bounded while parsing, so this should not happen.
        raise ScenarioFileError(source, [(1, "the document is nested too deeply")]) from exc
    except OverflowError as exc:
        raise ScenarioFileError(source, [(1, f"a value is out of range: {exc}")]) from exc


def _load_text(text: str, source: str, max_bytes: int) -> ScenarioSet:
    data, lines = parse_document(text, source, max_bytes)
    text_lines = text.splitlines()

    def line_of(pointer: str) -> str | None:
        number = lines.get(pointer)
        return text_lines[number - 1] if number and number <= len(text_lines) else None

    # Each failure at its own line (an unknown key at the key's), in the words of slips.py.
    problems = sorted(
        {
            (line_for(lines, where), message)
            for violation, error in contract().document_errors(SCENARIO_SCHEMA, data)
            for where, message in slips.explain(violation, error, line_of)
        }
    )
    if problems:
        raise ScenarioFileError(source, problems)
    return _Builder(source, lines).build(data)


def is_scenario_file(path: Path) -> bool:
    """Is `path` named like a scenario file (*.yaml, *.yml)?"""
    return path.suffix in SCENARIO_SUFFIXES


def load_path(path: Path, max_bytes: int = MAX_DOCUMENT_BYTES) -> ScenarioSet:
    """One file, or every *.yaml / *.yml file of a directory in name order.

    Only regular files (or links to them) are read: a FIFO, device, socket or directory named
    *.yaml, given or found in a directory, is `file:1: not a regular file` (a FIFO would
    block the reader until something writes to it).
    """
    if path.is_dir():
        result = ScenarioSet()
        for file in directory_files(path):
            result = result.layered(load_text(read_text(file, max_bytes), str(file), max_bytes))
        return result
    return load_text(read_text(path, max_bytes), str(path), max_bytes)


def directory_files(directory: Path) -> list[Path]:
    """The scenario files of `directory` (named *.yaml / *.yml), in name order."""
    return sorted(p for p in directory.iterdir() if is_scenario_file(p))


def open_regular(path: Path) -> int:
    """A descriptor of `path` opened for reading, without ever blocking; OSError if it
    cannot be opened, ScenarioFileError if it is not a regular file (FIFO, device, socket,
    directory). The caller closes it.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise ScenarioFileError(str(path), [(1, "not a regular file")])
    return fd


def read_text(path: Path, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """A scenario file's text (UTF-8), reading at most `max_bytes` + 1 bytes of it.

    Raises ScenarioFileError when the file cannot be read, is not a regular file, is
    larger, or is not UTF-8.
    """
    try:
        with os.fdopen(open_regular(path), "rb") as stream:
            raw = stream.read(max_bytes + 1)
            size = max(len(raw), os.fstat(stream.fileno()).st_size)
    except OSError as exc:
        raise ScenarioFileError(str(path), [(1, f"cannot read the file: {exc}")]) from exc
    if size > max_bytes:
        raise too_large(str(path), size, max_bytes)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioFileError(str(path), [(line, f"not UTF-8 text: {exc.reason}")]) from exc


def load_default() -> ScenarioSet:
    """The built-in pack shipped with the package."""
    pack = scenarios_dir() / DEFAULT_PACK
    return load_text(pack.read_text(encoding="utf-8"), f"<built-in>/{DEFAULT_PACK}")


def load_all(
    paths: Iterable[Path], include_default: bool = True, max_bytes: int = MAX_DOCUMENT_BYTES
) -> ScenarioSet:
    """The default pack (unless disabled), then each path layered over it, in order."""
    result = load_default() if include_default else ScenarioSet()
    for path in paths:
        result = result.layered(load_path(path, max_bytes))
    return result


class _Builder:
    """Turns a schema-valid document into model objects, checking what a schema cannot."""

    def __init__(self, source: str, lines: Mapping[str, int]) -> None:
        self.source = source
        self.lines = lines
        self.problems: list[tuple[int, str]] = []
        self.instructions = 0  # RE2 instructions of the patterns compiled so far

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
        return f"{self.source}:{line_for(self.lines, pointer)}"

    def _problem(self, pointer: str, message: str) -> None:
        self.problems.append((line_for(self.lines, pointer), f"{pointer}: {message}"))

    def _licence(self, index: int, raw: Mapping[str, Any]) -> Licence:
        return Licence(
            licence=raw["licence"],
            client_secret=raw["client_secret"],
            operators=frozenset(raw["operators"]) if "operators" in raw else None,
            scopes=frozenset(raw["scopes"]) if "scopes" in raw else None,
            token_ttl=int(raw["token_ttl"]) if "token_ttl" in raw else None,
            source=self._where(f"/licences/{index}"),
        )

    def _operator(self, index: int, raw: Mapping[str, Any]) -> Operator:
        return Operator(
            name=raw["name"],
            scopes=frozenset(raw["scopes"]) if "scopes" in raw else None,
            status=raw.get("status", "available"),
            requires_phone=bool(raw.get("requires_phone")),
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
        pattern = self._pattern(f"{pointer}/pattern", raw["pattern"]) if "pattern" in raw else None
        return Match(
            numbers=numbers,
            range=span,
            pattern=pattern,
            raw=frozenset(raw.get("raw", [])),
            any=bool(raw.get("any", False)),
            licences=frozenset(raw["licences"]) if "licences" in raw else None,
            scopes=frozenset(raw["scopes"]) if "scopes" in raw else None,
        )

    def _pattern(self, pointer: str, text: str) -> NumberPattern | None:
        """RE2's compile of `text`, within the document's budget of instructions."""
        if self.instructions > MAX_DOCUMENT_PATTERN_INSTRUCTIONS:
            self._problem(
                pointer,
                "not compiled: this document's patterns already need more than "
                f"{MAX_DOCUMENT_PATTERN_INSTRUCTIONS} RE2 instructions in all",
            )
            return None
        try:
            pattern = NumberPattern.compile(text)
        except PatternError as exc:
            self.instructions += MAX_PATTERN_INSTRUCTIONS
            self._problem(
                pointer, f"RE2, the linear-time engine patterns run on, cannot compile it: {exc}"
            )
            return None
        self.instructions += pattern.program_size
        return pattern

    def _latency(self, pointer: str, raw: Any) -> Any:
        """The fault's latency, its uniform range checked for order."""
        if isinstance(raw, Mapping) and "uniform" in raw:
            low, high = raw["uniform"]
            if low > high:
                self._problem(
                    f"{pointer}/uniform",
                    f"[{low}, {high}] is not an ordered range: the low bound comes first",
                )
        return raw

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
            latency=self._latency(f"{pointer}/latency", raw.get("latency")),
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
            scopes = [retrieval_scope(s) for s in scopes]
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
