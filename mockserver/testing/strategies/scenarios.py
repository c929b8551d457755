"""Scenario files drawn from scenario.schema.json, with values the loader accepts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockserver.contract.errors import catalogue
from mockserver.contract.schemas import contract
from mockserver.contract.scopes import retrieval_scope, scope_names
from mockserver.testing.strategies._schema import SCENARIO_SCHEMA, _text
from mockserver.testing.strategies.values import french_numbers, phone_numbers

if TYPE_CHECKING:
    from referencing._core import Resolver  # the type Registry.resolver() returns


def scenario_documents() -> st.SearchStrategy[dict[str, Any]]:
    """Scenario files (as data) that validate against scenario.schema.json and load.

    Drawn from the schema itself; the fields the loader checks beyond the schema get values
    that pass: numbers that parse, ordered ranges (numbers, uniform latencies), patterns
    that compile, error ids the endpoint (and scope) may return, ids unique within their
    list.
    """
    schema = contract().schemas[SCENARIO_SCHEMA]
    resolver = contract().registry.resolver(base_uri=contract().uri(SCENARIO_SCHEMA))
    return _from_schema(schema, (), resolver)


def _error_ids(endpoint: str, path: tuple[str, ...]) -> st.SearchStrategy[str]:
    scope = path[-2] if len(path) >= 3 and path[-3] == "scopes" else None
    pattern = contract().schemas[SCENARIO_SCHEMA]["$defs"]["error_id"]["pattern"]
    ids = [i for i in catalogue().ids_for(endpoint, scope) if re.search(pattern, i)]
    if scope is None:
        # An outcome-level error applies to every scope the scenario answers: only ids that
        # each of those scopes may return (the loader refuses the others).
        answered = [s if endpoint == "IDMOBILE" else retrieval_scope(s) for s in scope_names()]
        ids = [i for i in ids if all(catalogue().get(i).allowed(endpoint, s) for s in answered)]
    return st.sampled_from(ids)


def _override(path: tuple[str, ...]) -> st.SearchStrategy[Any] | None:
    """Values for the fields the loader checks beyond the schema."""
    last, parent = path[-1] if path else "", path[-2] if len(path) > 1 else ""
    if last == "numbers":
        return st.lists(phone_numbers(), min_size=1, max_size=3)
    if (parent, last) == ("match", "range"):
        ends = st.lists(french_numbers(), min_size=2, max_size=2).map(sorted)
        return ends.map(lambda pair: {"from": pair[0], "to": pair[1]})
    if last == "uniform":  # a latency range: low bound first
        bound = st.one_of(st.integers(0, 600), st.floats(0, 600))
        return st.lists(bound, min_size=2, max_size=2).map(sorted)
    if (parent, last) == ("match", "pattern"):
        digits = st.text("0123456789", max_size=4)
        return st.one_of(digits.map(lambda d: f"^\\+336{d}"), digits.map(lambda d: f"{d}$"))
    if parent == "subscriber" and last in ("birthdate", "updated_at"):
        # The schema asserts real dates (format: date), which its pattern alone cannot draw.
        return st.one_of(st.just(""), st.dates().map(lambda d: d.isoformat()))
    if last == "initiate_error":
        return _error_ids("IDMOBILE", path)
    if last == "result_error":
        return _error_ids("GET", path)
    return None


def _resolve(node: Mapping[str, Any], resolver: Resolver[Any]) -> tuple[Any, Resolver[Any]]:
    while "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        node, resolver = resolved.contents, resolved.resolver
    return node, resolver


_Parts: TypeAlias = (
    "tuple[dict[str, tuple[Any, Resolver[Any]]], list[str], set[str], list[tuple[Any, Any]]]"
)


def _object_parts(node: Mapping[str, Any], resolver: Resolver[Any]) -> _Parts:
    """Properties (with their resolver), required keys, forbidden keys and if/then rules."""
    props = {k: (v, resolver) for k, v in node.get("properties", {}).items()}
    required, forbidden = list(node.get("required", [])), set[str]()
    rules = [(part["if"], part["then"]) for part in node.get("allOf", []) if "if" in part]
    for part in node.get("allOf", []):
        if "not" in part:
            forbidden |= set(part["not"].get("required", []))
        elif "if" not in part:
            inner, inner_resolver = _resolve(part, resolver)
            p, r, f, rl = _object_parts(inner, inner_resolver)
            props, required, forbidden, rules = (
                {**props, **p},
                required + r,
                forbidden | f,
                rules + rl,
            )
    return props, list(dict.fromkeys(required)), forbidden, rules


@st.composite
def _from_schema(
    draw: st.DrawFn, node: Mapping[str, Any], path: tuple[str, ...], resolver: Resolver[Any]
) -> Any:
    override = _override(path)
    if override is not None:
        return draw(override)
    node, resolver = _resolve(node, resolver)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return draw(st.sampled_from(node["enum"]))
    for key in ("oneOf", "anyOf"):
        if key in node:
            return draw(_from_schema(draw(st.sampled_from(node[key])), path, resolver))
    kind = node.get("type", "object" if "properties" in node or "allOf" in node else None)
    if kind == "object":
        return _draw_object(draw, node, path, resolver)
    if kind == "array":
        return _draw_array(draw, node, path, resolver)
    return draw(_scalar(kind, node))


def _scalar(kind: Any, node: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    low = node.get("minimum", node.get("exclusiveMinimum", 0))
    high = node.get("maximum", low + 600)
    if kind == "integer":
        return st.integers(min_value=low, max_value=high)
    if kind == "number":
        exclusive = "exclusiveMinimum" in node
        return st.floats(low, high, exclude_min=exclusive, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if "pattern" in node:
        return st.from_regex(node["pattern"], fullmatch=True)
    return _text(min_size=node.get("minLength", 0))


def _draw_object(
    draw: st.DrawFn, node: Mapping[str, Any], path: tuple[str, ...], resolver: Resolver[Any]
) -> dict[str, Any]:
    props, required, forbidden, rules = _object_parts(node, resolver)
    optional = [k for k in props if k not in required and k not in forbidden]
    low = max(node.get("minProperties", 0) - len(required), 0)
    high = min(len(optional), node.get("maxProperties", len(props)) - len(required))
    chosen = (
        draw(st.lists(st.sampled_from(optional), min_size=low, max_size=high, unique=True))
        if optional
        else []
    )

    def value(key: str) -> Any:
        return draw(_from_schema(props[key][0], (*path, key), props[key][1]))

    result = {k: value(k) for k in [*required, *chosen]}
    for condition, then in rules:
        if Draft202012Validator(condition).is_valid(result):
            result.update({k: value(k) for k in then.get("required", []) if k not in result})
    return result


def _draw_array(
    draw: st.DrawFn, node: Mapping[str, Any], path: tuple[str, ...], resolver: Resolver[Any]
) -> list[Any]:
    if "prefixItems" in node:
        return [draw(_from_schema(p, (*path, "[]"), resolver)) for p in node["prefixItems"]]
    items = node.get("items", {})
    low = node.get("minItems", 0)
    high = min(node.get("maxItems", 3), max(low, 3))
    _, required, _, _ = _object_parts(*_resolve(items, resolver))
    unique_by = (lambda item: item["id"]) if "id" in required else None
    values = _from_schema(items, (*path, "[]"), resolver)
    return draw(st.lists(values, min_size=low, max_size=high, unique_by=unique_by))
