"""Load the JSON Schemas once, compile validators once, and turn failures into violations."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver.contract.errors import catalogue
from mockserver.contract.yamltext import pointer_part, shown_in
from mockserver.resources import schemas_dir

# Formats are assertions here (dates must exist, patterns must compile), not annotations.
FORMATS = Draft202012Validator.FORMAT_CHECKER
ERROR_KEYWORD = "x-dqe-error"
REQUEST_CACHE_SIZE = 128
# Requests longer than this (as JSON) are validated without memoising: 2048 keys of a 64 KiB
# body each would hold 128 MiB.
MAX_CACHED_REQUEST = 4096
_NAME_MAPS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})
DOC_KEYWORD = "x-dqe-doc"
REQUEST_SCHEMAS = {
    "ACCESS_TOKEN": "requests/access_token.schema.json",
    "IDMOBILE": "requests/idmobile.schema.json",
    "GET": "requests/get.schema.json",
}


def token_ttl_range() -> tuple[int, int]:
    """The token lifetimes a licence may set, in seconds (scenario.schema.json): (min, max).

    `serve --token-ttl` takes the same range, so no setting is allowed in one place and not
    in the other.
    """
    rule = contract().schemas["scenario.schema.json"]["$defs"]["licence"]["properties"]
    ttl = rule["token_ttl"]
    return int(ttl["minimum"]), int(ttl["maximum"])


def response_schema(endpoint: str, status: int) -> str:
    """The response schema (a stem under responses/) an answer of `endpoint` must match.

    /ACCESS_TOKEN/ answers errors with HTTP 400 and their own shape; the business endpoints
    answer everything, errors included, with one schema each.
    """
    if endpoint == "ACCESS_TOKEN":
        return "access_token_error" if status == 400 else "access_token"
    return endpoint.lower()


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (JSON pointer), which rule, a sentence, and the DQE error id."""

    pointer: str
    rule: str
    message: str
    error_id: str | None = None
    doc: str | None = None

    def __str__(self) -> str:
        where = self.pointer or "/"
        tail = f" [error {self.error_id}]" if self.error_id else ""
        return f"{where}: {self.message} (rule: {self.rule}){tail}"

    def explain(self) -> str:
        """The sentence, with the documentation page that requires the rule."""
        return f"{self} — see {self.doc}" if self.doc else str(self)


@dataclass(frozen=True)
class ViolationSet:
    """The violations of one request, and the single error id the endpoint answers with."""

    endpoint: str
    violations: tuple[Violation, ...]

    def __bool__(self) -> bool:
        return bool(self.violations)

    @property
    def error_id(self) -> str | None:
        """The id answered first, by the catalogue's precedence; None when valid."""
        ids = [v.error_id for v in self.violations if v.error_id]
        return catalogue().first(self.endpoint, ids) if ids else None

    def for_error(self, error_id: str) -> list[Violation]:
        """The violations that produce `error_id`."""
        return [v for v in self.violations if v.error_id == error_id]

    def summary(self) -> str:
        """One line per violation."""
        return "; ".join(str(v) for v in self.violations)


class Contract:
    """Every schema under schemas/, registered under its file's URI, with validators compiled
    once.

    The files carry no `$id`: each one's base URI is where it is read from (a file, or the
    mock's /schemas/ route), so their relative `$ref`s resolve from disk and from the served
    URL alike. Here each is registered under `base_uri(root)` + its path.
    """

    def __init__(self, root: Traversable) -> None:
        self.schemas: dict[str, dict[str, Any]] = dict(_read_schemas(root))
        self.base = base_uri(root)
        self.registry: Registry[Any] = Registry().with_resources(
            (self.uri(name), Resource.from_contents(s, default_specification=DRAFT202012))
            for name, s in self.schemas.items()
        )
        self._validators: dict[str, Draft202012Validator] = {}
        self._request_cache: dict[tuple[str, object], ViolationSet] = {}

    def uri(self, name: str) -> str:
        """The URI schema file `name` (path relative to schemas/) is registered under."""
        return self.base + name

    def validator(self, name: str) -> Draft202012Validator:
        """The compiled validator of schema file `name` (path relative to schemas/)."""
        if name not in self._validators:
            # The $id only tells the validator where the root sits, for its relative $refs.
            schema = {**self.schemas[name], "$id": self.uri(name)}
            self._validators[name] = Draft202012Validator(
                schema, registry=self.registry, format_checker=FORMATS
            )
        return self._validators[name]

    def validate_request(
        self, endpoint: str, params: Mapping[str, Any], raw: Mapping[str, str] | None = None
    ) -> ViolationSet:
        """Check decoded request parameters of ACCESS_TOKEN, IDMOBILE or GET.

        A pure function of its input, so answers are memoised: clients poll /GET/ with the
        very same parameters again and again. `raw`, when given, is the text `params` were
        parsed from (user_infos as JSON text): a cheaper key for the memo.
        """
        items = tuple((raw if raw is not None else params).items())
        key: object
        if all(isinstance(v, str) for _, v in items):
            size = sum(len(k) + len(v) for k, v in items)
            key = items
        else:
            try:
                key = json.dumps(params, sort_keys=True)
            except (TypeError, ValueError, RecursionError):
                return self._validate_request(endpoint, params)
            size = len(key)
        if size > MAX_CACHED_REQUEST:
            return self._validate_request(endpoint, params)
        cached = self._request_cache.get((endpoint, key))
        if cached is None:
            cached = self._validate_request(endpoint, params)
            if len(self._request_cache) >= REQUEST_CACHE_SIZE:
                self._request_cache.pop(next(iter(self._request_cache)))
            self._request_cache[(endpoint, key)] = cached
        return cached

    def _validate_request(self, endpoint: str, params: Mapping[str, Any]) -> ViolationSet:
        name = REQUEST_SCHEMAS[endpoint]
        errors = self.validator(name).iter_errors(params)
        found: dict[tuple[str, str, str | None], Violation] = {}
        for error in _leaves(errors):
            violation = self._violation(name, error)
            # The same rule reached through two schema paths is one violation.
            found.setdefault((violation.pointer, violation.rule, violation.error_id), violation)
        return ViolationSet(endpoint, tuple(sorted(found.values(), key=_order)))

    def validate_response(self, name: str, body: Any) -> list[Violation]:
        """Check a response body against responses/`name`.schema.json."""
        return self.validate_document(f"responses/{name}.schema.json", body)

    def validate_document(self, name: str, document: Any) -> list[Violation]:
        """Check any document against schema file `name` (path relative to schemas/)."""
        errors = self.validator(name).iter_errors(document)
        return sorted({self._violation(name, e) for e in _leaves(errors)}, key=_order)

    def document_errors(self, name: str, document: Any) -> list[tuple[Violation, ValidationError]]:
        """validate_document's violations, in its order, each with the jsonschema error behind
        it (its schema, instance and keyword), for a caller that explains a failure in its own
        words: the scenario file loader does (mockserver/domain/slips.py)."""
        errors = self.validator(name).iter_errors(document)
        found: dict[Violation, ValidationError] = {}
        for error in _leaves(errors):
            found.setdefault(self._violation(name, error), error)
        return sorted(found.items(), key=lambda pair: _order(pair[0]))

    def _violation(self, schema_name: str, error: ValidationError) -> Violation:
        error_id, doc, hint = self._annotations(schema_name, error)
        pointer = _pointer(error)
        message = _sentence(error, pointer)
        if hint:
            message = f"{message} ({hint})"
        return Violation(pointer, str(error.validator), message, error_id, doc)

    def _annotations(
        self, schema_name: str, error: ValidationError
    ) -> tuple[str | None, str | None, str | None]:
        """Walk the failing schema path from the root; the nearest x-dqe-error wins.

        jsonschema's paths pass through $ref transparently, so a key missing from a node
        that has a $ref is looked up in the referenced schema.
        """
        node: Any = self.schemas[schema_name]
        resolver = self.registry.resolver(base_uri=self.uri(schema_name))
        found: dict[str, Any] = {ERROR_KEYWORD: None, DOC_KEYWORD: None, "description": None}

        def note(n: Any, with_hint: bool = True) -> None:
            if isinstance(n, dict):
                for k in found:
                    if isinstance(n.get(k), str) and (with_hint or k != "description"):
                        found[k] = n[k]

        note(node, with_hint=False)
        path = list(error.relative_schema_path)
        try:
            for index, key in enumerate(path):
                while isinstance(node, dict) and key not in node and "$ref" in node:
                    resolved = resolver.lookup(node["$ref"])
                    node, resolver = resolved.contents, resolved.resolver
                    note(node)
                if index == len(path) - 1:
                    break
                node = node[key]
                if key not in _NAME_MAPS:  # a mapping of names to schemas is not itself a schema
                    note(node)
        except (KeyError, IndexError, TypeError):
            # A $ref beside a keyword of the same name makes the path ambiguous: keep the
            # annotations found so far rather than lose the violation.
            pass
        return found[ERROR_KEYWORD], found[DOC_KEYWORD], found["description"]


def base_uri(root: Traversable) -> str:
    """The file: URI of the schemas directory, ending in `/` (a placeholder directory when
    the data is not on a file system, as in a zip import)."""
    path = Path(str(root))
    if path.is_dir():
        return path.resolve().as_uri() + "/"
    return "file:///dqe-mock/schemas/"


def _read_schemas(root: Traversable) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in _walk(root, ""):
        if path.endswith(".schema.json"):
            yield path, json.loads(item.read_text(encoding="utf-8"))


def _walk(node: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        name = f"{prefix}{child.name}"
        if child.is_dir():
            yield from _walk(child, name + "/")
        else:
            yield name, child


def _leaves(errors: Iterator[ValidationError]) -> Iterator[ValidationError]:
    """Replace anyOf/oneOf failures with their most relevant branch errors, when that helps."""
    for error in errors:
        if error.validator in ("anyOf", "oneOf") and error.context and not _all_required(error):
            best = _best_branch(error)
            if best:
                yield from best
                continue
        yield error


def _all_required(error: ValidationError) -> bool:
    branches = error.validator_value
    return isinstance(branches, list) and all(set(b) == {"required"} for b in branches)


def _best_branch(error: ValidationError) -> list[ValidationError]:
    """The errors of the branch that failed least deeply (the one the author likely meant)."""
    by_branch: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        by_branch.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    if not by_branch:
        return []
    # A branch whose type matched is the one meant: prefer branches without type errors.
    ranked = sorted(
        by_branch.values(),
        key=lambda errs: (any(e.validator in ("type", "const") for e in errs), len(errs)),
    )
    chosen = ranked[0]
    for sub in chosen:
        sub.relative_schema_path.extendleft(reversed(list(error.relative_schema_path)))
    return chosen


def _pointer(error: ValidationError) -> str:
    parts: list[Any] = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in _as_list(error.validator_value) if k not in error.instance]
        if missing:
            parts.append(missing[0])
    # A YAML key may be null, a boolean, a date...: written as YAML writes it (yamltext.py).
    return "".join("/" + pointer_part(p) for p in parts)


def _sentence(error: ValidationError, pointer: str) -> str:
    if error.validator == "required":
        return f"{pointer.rsplit('/', 1)[-1]!r} is required but missing"
    if error.validator == "anyOf" and _all_required(error):
        names = " or ".join(repr(b["required"][0]) for b in _as_list(error.validator_value))
        return f"one of {names} is required but missing"
    if error.validator == "maxLength" and isinstance(error.instance, str):
        # Not the text itself: it may be 256 KiB long.
        return f"{len(error.instance)} characters, over the maximum of {error.validator_value}"
    # jsonschema opens most sentences with the value's Python repr: a YAML date, bytes, null or
    # boolean is shown as YAML writes it instead (1985-04-12, not datetime.date(1985, 4, 12)).
    return shown_in(str(error.message), error.instance)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _order(v: Violation) -> tuple[str, str, str]:
    return (v.pointer, v.rule, v.message)


@cache
def contract() -> Contract:
    """The shipped contract, loaded and compiled once per process."""
    return Contract(schemas_dir())
