"""Schema failures of a scenario document in a newcomer's words: where, and the fix.

jsonschema says `Additional properties are not allowed ('opertor' was unexpected)` at the
mapping that holds the key, and `12 is not of type 'string'`. A scenario file's author needs
the key's own line, the known key it probably meant, and how to write the value: quote a
number YAML read where text is expected, unquote one where a number is expected, a list
where a single value was written, YAML 1.1's unquoted yes/no read as booleans, an unquoted
date (1985-04-12) or a `!!binary` value where text is expected. Values and keys of any YAML
type are shown as YAML writes them (1985-04-12, null, true), never as Python reprs.

`explain` turns one failure into `(pointer of its line, message)` pairs; the known keys and
types come from the failing schema itself (never a copy of it).
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from collections.abc import Callable, Mapping

from jsonschema.exceptions import ValidationError

from mockserver.contract.schemas import Violation
from mockserver.contract.yamltext import as_yaml, pointer_part, shown_in

# The closest known key or value is suggested when difflib rates it this close (0..1).
CUTOFF = 0.6
# Past this many known keys, none is listed when no close one is found.
MAX_LISTED = 12
# A timestamp as written after `key:` (2024-01-01T10:00:00Z, 2024-01-01 10:00:00 +1).
_TIMESTAMP = r"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ][0-9:.]+(?:\s*(?:Z|[-+][0-9:]+))?)?)"
# Words YAML 1.1 (PyYAML's safe loader) reads as booleans when unquoted.
YAML11_BOOLEANS = frozenset({"yes", "no", "on", "off", "true", "false", "y", "n"})
_JSON_TYPES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "array": "a list",
    "object": "a mapping (key: value lines)",
    "null": "null",
}


def explain(
    violation: Violation, error: ValidationError, line_of: Callable[[str], str | None]
) -> list[tuple[str, str]]:
    """(JSON pointer whose line to report, message) for one schema failure.

    `line_of(pointer)` is the source line that pointer starts on (None when unknown): it
    names the word YAML read as a boolean. Messages start with the failing pointer (`/` for
    the root), as `ScenarioFileError` lines do.
    """
    where = violation.pointer or "/"
    hint = _hint(violation, error)
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        return _unknown_keys(violation.pointer, error)
    if error.validator == "type":
        fix = _type_slip(violation.pointer, error, line_of(violation.pointer))
        if fix:
            return [(violation.pointer, f"{where}: {fix}{hint}")]
    if error.validator == "enum" and isinstance(error.instance, str):
        values = error.validator_value if isinstance(error.validator_value, list) else []
        near = _closest(error.instance, [v for v in values if isinstance(v, str)])
        if near:
            said = f"{error.message} (did you mean {near!r}?){hint}"
            return [(violation.pointer, f"{where}: {said}")]
    return [(violation.pointer, f"{where}: {violation.message}")]


def _hint(violation: Violation, error: ValidationError) -> str:
    """The schema's description the contract appended to its sentence, if any."""
    plain = shown_in(str(error.message), error.instance)  # as schemas.py words it
    return violation.message[len(plain) :] if violation.message.startswith(plain) else ""


def _unknown_keys(pointer: str, error: ValidationError) -> list[tuple[str, str]]:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    known = [str(k) for k in schema.get("properties", {})]
    patterns = [str(p) for p in schema.get("patternProperties", {})]
    found = []
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    for key in instance:
        if key in known or any(re.search(p, str(key)) for p in patterns):
            continue
        near = _closest(key if isinstance(key, str) else as_yaml(key), known)
        if near:
            advice = f" (did you mean {near!r}?)"
        elif known and len(known) <= MAX_LISTED:
            advice = f" (the keys here are: {', '.join(known)})"
        else:
            advice = ""
        found.append(
            (
                f"{pointer}/{pointer_part(key)}",
                f"{pointer or '/'}: unknown key {as_yaml(key)}{advice}",
            )
        )
    return found


def _closest(word: str, candidates: list[str]) -> str | None:
    """The candidate `word` most likely misspells: same letters in another case first."""
    by_case = [c for c in candidates if c.lower() == word.lower()]
    if by_case:
        return by_case[0]
    near = difflib.get_close_matches(word, candidates, n=1, cutoff=CUTOFF)
    return near[0] if near else None


def _type_slip(pointer: str, error: ValidationError, line: str | None) -> str | None:
    """The fix for a value of the wrong type, when it is a common slip; None otherwise."""
    expected = error.validator_value
    listed = expected if isinstance(expected, list) else []
    wanted = [expected] if isinstance(expected, str) else [str(t) for t in listed]
    if not wanted:
        return None
    value = error.instance
    key = _unescape(pointer.rsplit("/", 1)[-1])
    write = "write - " if key.isdigit() else f"write {key}: "  # a list item has no key
    kind = " or ".join(_JSON_TYPES.get(t, t) for t in wanted)
    if value is None:
        return f"has no value (an empty `{key}:` is null); {kind} is expected"
    if isinstance(value, bool):
        word = _written_word(line, key) or str(value).lower()
        if "string" in wanted:
            return (
                f"{word} is read as the boolean {str(value).lower()} (YAML 1.1 reads unquoted "
                "yes, no, on, off, true and false as booleans) and must be a string: "
                f'{write}"{word}"'
            )
        return f"{word} is read as the boolean {str(value).lower()}; {kind} is expected"
    if isinstance(value, datetime.date):
        # PyYAML reads an unquoted 1985-04-12 as a date, 2024-01-01T10:00:00Z as a datetime.
        what = "a date and time" if isinstance(value, datetime.datetime) else "a date"
        text = _written_timestamp(line, key) or as_yaml(value)
        if "string" in wanted:
            return f'{text} is read as {what}: {write}"{text}"'
        return f"{text} is read as {what}; {kind} is expected"
    if isinstance(value, bytes):
        shown = as_yaml(value)
        if "string" in wanted:
            text = shown.removeprefix("!!binary ")
            return f'{shown} is read as binary data: {write}"{text}" (no !!binary tag)'
        return f"{shown} is read as binary data; {kind} is expected"
    if isinstance(value, int | float):
        text = json.dumps(value)
        if "string" in wanted:
            return f'{text} is read as a number and must be a string: {write}"{text}" (quoted)'
        if "integer" in wanted and isinstance(value, float):
            return f"{text} must be a whole number"
        if "array" in wanted:
            return f"a list is expected, not a single value: {write}[{text}]"
        return None
    if isinstance(value, str):
        shown = json.dumps(value, ensure_ascii=False)
        if wanted[0] in ("integer", "number") and _is_number(value):
            return (
                f"{shown} is a string (quoted) and must be {_JSON_TYPES[wanted[0]]}: "
                f"{write}{value.strip()} (no quotes)"
            )
        if "boolean" in wanted and value.strip().lower() in YAML11_BOOLEANS:
            return (
                f"{shown} is a string (quoted) and must be a boolean: {write}true or false "
                "(no quotes)"
            )
        if "array" in wanted:
            return (
                f"a list is expected, not a single value: {write}[{shown}] (or one `- value` "
                "line per item)"
            )
    if isinstance(value, Mapping) and "array" in wanted:
        return f"a list is expected, not a mapping: write one `- ` item per entry under {key}:"
    if isinstance(value, list) and len(wanted) == 1 and wanted[0] != "array":
        return f"{kind} is expected, not a list"
    return None


def _written_word(line: str | None, key: str) -> str | None:
    """The word written after `key:` on `line` (yes, no, on...), if it can be found."""
    if not line:
        return None
    found = re.search(rf"(?:^|[\s{{,-]){re.escape(key)}\s*:\s*([A-Za-z]+)\b", line)
    if found and found.group(1).lower() in YAML11_BOOLEANS:
        return found.group(1)
    item = re.match(r"\s*-\s*([A-Za-z]+)\s*(?:#.*)?$", line)  # a list item: `- yes`
    if item and item.group(1).lower() in YAML11_BOOLEANS:
        return item.group(1)
    return None


def _written_timestamp(line: str | None, key: str) -> str | None:
    """The timestamp written after `key:` (or `- `) on `line`, as written, if found."""
    if not line:
        return None
    found = re.search(rf"(?:^|[\s{{,-]){re.escape(key)}\s*:\s*{_TIMESTAMP}", line)
    found = found or re.match(rf"\s*-\s*{_TIMESTAMP}", line)
    return found.group(1).strip() if found else None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")
