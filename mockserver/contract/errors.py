"""The error catalogue (schemas/errors.json) as objects, and the one error type, DqeError."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mockserver.contract.bounds import cut
from mockserver.resources import schemas_dir

OPERATOR_PLACEHOLDER = "[Operator Name]"
ANY_SCOPE = "*"


@dataclass(frozen=True)
class ErrorEntry:
    """One documented error: its id, labels, and where it may be returned."""

    id: str
    label: str
    description: str
    endpoints: frozenset[str]
    scopes: frozenset[str]
    http_status: int
    labels_by_scope: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    def label_for(self, scope: str | None = None, operator: str | None = None) -> str:
        """The label the mock sends for this error, in this scope, for this operator."""
        label = self.label
        for part in split_scope(scope):
            if part in self.labels_by_scope:
                label = self.labels_by_scope[part]
                break
        return fill_operator(label, operator)

    def all_labels(self) -> tuple[str, ...]:
        """Every label template the docs give this id (canonical, per-scope and aliases)."""
        labels = [self.label, *self.labels_by_scope.values(), *self.aliases]
        return tuple(dict.fromkeys(labels))

    def label_regex(self, labels: Iterable[str] | None = None) -> str:
        """An anchored ECMA-262 compatible regex matching the given (or all) label templates."""
        alternatives = [_template_regex(t) for t in (labels or self.all_labels())]
        return "^(" + "|".join(alternatives) + ")$"

    def labels_in_scope(self, scope: str | None) -> tuple[str, ...]:
        """Label templates acceptable for this id in `scope` (aliases always accepted)."""
        parts = split_scope(scope)
        scoped = [self.labels_by_scope[p] for p in parts if p in self.labels_by_scope]
        if not parts or len(scoped) < len(parts):
            scoped.append(self.label)
        return tuple(dict.fromkeys([*scoped, *self.aliases]))

    def allowed(self, endpoint: str, scope: str | None = None) -> bool:
        """May `endpoint` return this error for `scope` (None: any scope)?"""
        if endpoint not in self.endpoints:
            return False
        if scope is None or ANY_SCOPE in self.scopes:
            return True
        return any(part in self.scopes for part in split_scope(scope))


def split_scope(scope: str | None) -> tuple[str, ...]:
    """'matching,formfilling' -> ('matching', 'formfilling'); None or '' -> ()."""
    if not scope:
        return ()
    return tuple(part.strip() for part in scope.split(",") if part.strip())


def fill_operator(label: str, operator: str | None) -> str:
    """Replace the catalogue's [Operator Name] placeholder with the operator's name."""
    if OPERATOR_PLACEHOLDER not in label:
        return label
    if operator:
        return label.replace(OPERATOR_PLACEHOLDER, operator)
    return label.replace(" " + OPERATOR_PLACEHOLDER, "")


_REGEX_SPECIALS = re.compile(r"([.*+?^${}()|\[\]\\/])")


def _escape(text: str) -> str:
    """Escape for ECMA-262 (re.escape's escaped spaces are invalid in unicode-mode regexes)."""
    return _REGEX_SPECIALS.sub(r"\\\1", text)


def _template_regex(template: str) -> str:
    head, sep, tail = template.partition(" " + OPERATOR_PLACEHOLDER)
    if not sep:
        return _escape(template)
    return _escape(head) + "( .+)?" + _escape(tail)


def error_id_of(body: Any) -> str | None:
    """The error id a body carries: a business error's error_id, or a token error's error."""
    if isinstance(body, dict):
        value = body.get("error_id", body.get("error"))
        return value if isinstance(value, str) else None
    return None


@dataclass(frozen=True)
class Rule:
    """One rule of an endpoint, in the catalogue's precedence: its name, the error id it
    answers, whether the request schema checks it (its violations carry that id), and
    whether it is about the request's own form (`request`: breaking it breaks the contract,
    as breaking a schema rule does)."""

    name: str
    error_id: str
    description: str
    schema: bool = False
    request: bool = False

    @property
    def breaks_contract(self) -> bool:
        """Does a request breaking this rule break the documented request contract?"""
        return self.schema or self.request


class UnknownErrorId(KeyError):
    """An error id that the catalogue does not define."""


class ErrorCatalogue:
    """Business errors (IDMOBILE, GET), token errors (ACCESS_TOKEN) and each endpoint's rules
    in the order they are checked (`rules`, from errors.json's "precedence")."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.business = {e.id: e for e in map(_entry, data["business_errors"])}
        self.token = {e.id: e for e in map(_entry, data["token_errors"])}
        self.rules: dict[str, tuple[Rule, ...]] = {
            endpoint: tuple(
                Rule(
                    r["rule"],
                    r["id"],
                    r["description"],
                    bool(r.get("schema", False)),
                    bool(r.get("request", False)),
                )
                for r in rules
            )
            for endpoint, rules in data["precedence"].items()
            if isinstance(rules, list)
        }

    def get(self, error_id: str) -> ErrorEntry:
        """The entry for `error_id`; UnknownErrorId if the catalogue has none."""
        entry = self.business.get(error_id) or self.token.get(error_id)
        if entry is None:
            raise UnknownErrorId(f"error id {error_id!r} is not in schemas/errors.json")
        return entry

    def __contains__(self, error_id: object) -> bool:
        return error_id in self.business or error_id in self.token

    def all(self) -> list[ErrorEntry]:
        """Every entry, business errors first, in catalogue order."""
        return [*self.business.values(), *self.token.values()]

    def ids_for(self, endpoint: str, scope: str | None = None) -> list[str]:
        """The ids `endpoint` may return (for `scope`, when given)."""
        return [e.id for e in self.all() if e.allowed(endpoint, scope)]

    def precedence(self, endpoint: str) -> tuple[str, ...]:
        """The error ids of `endpoint`'s rules, in the order they are checked (an id may
        appear more than once: 07 is both a schema rule and an operator rule)."""
        return tuple(rule.error_id for rule in self.rules.get(endpoint, ()))

    def first(self, endpoint: str, ids: Iterable[str]) -> str:
        """Of several error ids, the one `endpoint` answers first: the id of the earliest
        rule that answers any of them; ValueError for no ids."""
        order = self.precedence(endpoint)
        ranked = sorted(ids, key=lambda i: order.index(i) if i in order else len(order))
        if not ranked:
            raise ValueError("no error ids to choose from")
        return ranked[0]


def _entry(raw: Mapping[str, Any]) -> ErrorEntry:
    return ErrorEntry(
        id=raw["id"],
        label=raw["label"],
        description=raw["description"],
        endpoints=frozenset(raw["endpoints"]),
        scopes=frozenset(raw.get("scopes", [ANY_SCOPE])),
        http_status=raw["http_status"],
        labels_by_scope=dict(raw.get("labels_by_scope", {})),
        aliases=tuple(raw.get("aliases", ())),
    )


@cache
def catalogue() -> ErrorCatalogue:
    """The shipped catalogue, read once."""
    text = (schemas_dir() / "errors.json").read_text(encoding="utf-8")
    return ErrorCatalogue(json.loads(text))


class DqeError(Exception):
    """A documented DQE error; one middleware renders it as the documented body."""

    def __init__(
        self,
        error_id: str,
        *,
        reason: str = "",
        operator: str | None = None,
        scope: str | None = None,
    ) -> None:
        self.entry = catalogue().get(error_id)
        self.error_id = error_id
        # Logged and (on /ACCESS_TOKEN/) answered: cut like every violation message.
        self.reason = cut(reason or self.entry.description)
        self.operator = operator
        self.scope = scope
        super().__init__(f"DQE error {error_id}: {self.reason}")

    @property
    def label(self) -> str:
        """The label sent as error_type."""
        return self.entry.label_for(self.scope, self.operator)

    @property
    def http_status(self) -> int:
        """The HTTP status the mock answers with."""
        return self.entry.http_status

    def body(self) -> dict[str, str]:
        """The documented body: business errors and token errors have different shapes."""
        if self.error_id in catalogue().token:
            return {"error": self.error_id, "error_description": self.reason}
        return {"status": "error", "error_type": self.label, "error_id": self.error_id}
