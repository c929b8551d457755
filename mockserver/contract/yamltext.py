"""Values and keys shown in messages as YAML writes them, never as Python reprs.

A scenario file is YAML, and PyYAML's safe loader builds more than JSON's types from it: an
unquoted 1985-04-12 is a `datetime.date`, `!!binary aGVsbG8=` is `bytes`, `null:` or `~:` is
a `None` key, `yes:` a `True` one. jsonschema's sentences and JSON pointers would show them as
`datetime.date(1985, 4, 12)`, `b'hello'`, `None`, `True`; here they are 1985-04-12,
`!!binary aGVsbG8=`, null and true, as PyYAML's own representer writes them
(yaml.representer.SafeRepresenter: isoformat(' ') for timestamps, base64 for binary, .inf
and .nan for floats), on one line.

Strings keep Python's quoted form ('opertor'): valid YAML too, and what every message of the
mock has always shown.
"""

from __future__ import annotations

import base64
import datetime
import math
from collections.abc import Mapping
from typing import Any


def as_yaml(value: Any) -> str:
    """`value` as YAML writes it, on one line: null, true, 1.5, .inf, 1985-04-12,
    2024-01-01 10:00:00+00:00, !!binary aGVsbG8=, 'text', [1, 'a'], {'k': null}."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return f"!!binary {base64.b64encode(bytes(value)).decode('ascii')}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(as_yaml(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{as_yaml(k)}: {as_yaml(v)}" for k, v in value.items()) + "}"
    return repr(value)


def shown_in(message: str, instance: Any) -> str:
    """jsonschema's `message` about `instance`, its opening Python repr of a value of a YAML
    type (date, bytes, null, boolean...) written as YAML writes it: `datetime.date(1985, 4,
    12) is not of type 'string'` becomes `1985-04-12 is not of type 'string'`."""
    shown = repr(instance)
    if not is_json(instance) and message.startswith(shown):
        return as_yaml(instance) + message[len(shown) :]
    return message


def is_json(value: Any) -> bool:
    """Is `value` a string or a number, whose Python repr is already what YAML writes?"""
    return isinstance(value, str) or (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    )


def pointer_part(key: Any) -> str:
    """One step of a JSON pointer (RFC 6901, `~` and `/` escaped) for a mapping key of any
    YAML type, or a list index: `null:` is /null, `yes:` /true, `a/b:` /a~1b, `3:` /3."""
    text = key if isinstance(key, str) else as_yaml(key)
    return text.replace("~", "~0").replace("/", "~1")
