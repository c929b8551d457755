"""JSON as RFC 8259 defines it, read the same way wherever the mock reads a client's JSON.

Python's json module accepts NaN, Infinity and -Infinity (not JSON), reads a number past a
float's range as inf, and keeps the last value of a repeated member name. Here those
constants and infinite numbers are refused (ValueError), and a repeated member keeps its
first value, as a repeated query or form parameter does (docs/contract-notes.md, note
repeated-parameter).
"""

from __future__ import annotations

import json
import math
from typing import Any


def loads(text: str) -> Any:
    """The JSON value of `text`; raises ValueError (json.JSONDecodeError included) for text
    that is not JSON, RecursionError for nesting deeper than the interpreter's stack."""
    return loads_with_repeats(text)[0]


def loads_with_repeats(text: str) -> tuple[Any, tuple[str, ...]]:
    """loads(text), and the member names repeated in its top-level object (in order, each
    once); () when the value is not an object or repeats nothing."""
    repeats: list[list[str]] = []

    def members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        again: list[str] = []
        for name, value in pairs:
            if name in found:
                again.append(name)
                continue
            found[name] = value
        repeats.append(again)  # objects close inner first: the last is the top level
        return found

    value = json.loads(
        text, object_pairs_hook=members, parse_constant=_constant, parse_float=_finite
    )
    top = repeats[-1] if isinstance(value, dict) and repeats else []
    return value, tuple(dict.fromkeys(top))


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 has no NaN or Infinity)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value
