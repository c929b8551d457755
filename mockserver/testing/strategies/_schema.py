"""The contract's schemas as the strategies read them: request properties, enums, rules."""

from __future__ import annotations

import re
from typing import Any, TypeAlias

from hypothesis import strategies as st

from mockserver.contract.schemas import REQUEST_SCHEMAS, contract

Params: TypeAlias = dict[str, str]
Given: TypeAlias = str | st.SearchStrategy[str]

COMMON = "common.schema.json"
SCENARIO_SCHEMA = "scenario.schema.json"
_TEXT_CHARS = st.characters(codec="utf-8", categories=("L", "N", "Zs", "Pd", "Po"))


def _defs() -> dict[str, Any]:
    return contract().schemas[COMMON]["$defs"]  # type: ignore[no-any-return]


def _request(endpoint: str) -> dict[str, Any]:
    return contract().schemas[REQUEST_SCHEMAS[endpoint]]


def _enum(name: str) -> list[str]:
    return list(_defs()[name]["enum"])


def _prop(endpoint: str, key: str) -> dict[str, Any]:
    """A request property's schema, with a common $ref merged in."""
    node = dict(_request(endpoint)["properties"][key])
    if "$ref" in node:
        node = {**_defs()[node.pop("$ref").rsplit("/", 1)[-1]], **node}
    return node


def _licence_key(endpoint: str) -> str:
    """The licence spelling the endpoint's page documents (the first the schema lists)."""
    return str(_request(endpoint)["anyOf"][0]["required"][0])


def _rules(endpoint: str, scope: str | None) -> list[dict[str, Any]]:
    """The `then` of every `if scope in <enum>` rule that applies to `scope`."""
    found = []
    for rule in _request(endpoint).get("allOf", []):
        condition = rule.get("if", {}).get("properties", {}).get("scope", {})
        if "$ref" in condition and scope in _enum(condition["$ref"].rsplit("/", 1)[-1]):
            found.append(rule["then"])
    return found


def _required(endpoint: str, scope: str | None) -> list[str]:
    keys = [*_request(endpoint)["required"], _licence_key(endpoint)]
    keys += [k for then in _rules(endpoint, scope) for k in then.get("required", [])]
    return list(dict.fromkeys(keys))


def _given(value: Given) -> st.SearchStrategy[str]:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def _text(min_size: int = 0, max_size: int = 24) -> st.SearchStrategy[str]:
    return st.text(_TEXT_CHARS, min_size=min_size, max_size=max_size)


def _off_pattern(pattern: str, realistic: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(realistic, _text()).filter(lambda v: not re.search(pattern, v))
