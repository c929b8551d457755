"""The ID Mobile scopes, as common.schema.json defines them: the one place code reads them.

Scope names and which scopes take user_infos come from the scope pages of the vendor docs
(matching_notp, numVerify, formfilling, matching); how /GET/ names a matching_notp session
that needed consent is a Contract note (docs/contract-notes.md, "The matching result"), kept in the
schema as ``x-dqe-retrieved-as``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from mockserver.contract.errors import catalogue, split_scope
from mockserver.contract.schemas import contract


def _defs() -> dict[str, Any]:
    defs: dict[str, Any] = contract().schemas["common.schema.json"]["$defs"]
    return defs


def _enum(name: str) -> tuple[str, ...]:
    return tuple(str(v) for v in _defs()[name]["enum"])


# The coverage key of a scope that is not documented, or that the mock refused (one key,
# whatever clients invent): the client report's and the pytest plugin's coverage.
OTHER_SCOPE = "(other)"


@cache
def scope_error_ids() -> frozenset[str]:
    """The error ids that refuse a request's scope: the id of each endpoint's `scope` rule
    (schemas/errors.json "precedence"; 04, invalid scope)."""
    rules = catalogue().rules.values()
    return frozenset(rule.error_id for by in rules for rule in by if rule.name == "scope")


def coverage_scopes(scope: str | None, error_id: str | None) -> tuple[str, ...]:
    """The coverage keys of a request's `scope`: each documented single scope it names, in
    order, once; OTHER_SCOPE for any other part, and for the whole scope when the request
    was answered an invalid-scope error (scope_error_ids: a scope refused was not
    exercised, whatever its parts); () when it has none."""
    parts = split_scope(scope)
    if not parts:
        return ()
    if error_id in scope_error_ids():
        return (OTHER_SCOPE,)
    known = scope_names()
    return tuple(dict.fromkeys(p if p in known else OTHER_SCOPE for p in parts))


@cache
def scope_names() -> tuple[str, ...]:
    """The four single scopes, in the docs' order: ('matching_notp', 'numVerify', ...)."""
    return _enum("scope_name")


@cache
def scope_values() -> tuple[str, ...]:
    """Every value the `scope` parameter of /IDMOBILE/ may take, combined scopes included."""
    return _enum("scope")


def _singles(name: str) -> frozenset[str]:
    """The single scopes an enum lists (its combined values only repeat them)."""
    return frozenset(value for value in _enum(name) if len(split_scope(value)) == 1)


@cache
def user_infos_scopes() -> frozenset[str]:
    """Single scopes for which user_infos is mandatory (05/06/07 apply): matching_notp, matching."""
    return _singles("user_infos_scope")


@cache
def consent_scopes() -> frozenset[str]:
    """Single scopes that always go through the operator's consent page and /GET/."""
    return _singles("consent_scope")


@cache
def _retrieved_as() -> dict[str, str]:
    table: dict[str, str] = _defs()["retrieval_scope"]["x-dqe-retrieved-as"]
    return dict(table)


def retrieval_scope(scope: str) -> str:
    """The scope /GET/ is called with for a session opened with `scope` ('matching_notp' ->
    'matching'; any other value unchanged, combined scopes included)."""
    return _retrieved_as().get(scope, scope)


def needs_user_infos(scope: str | None) -> bool:
    """Does `scope` (single or combined) include a scope that takes user_infos?"""
    return any(part in user_infos_scopes() for part in split_scope(scope))


@cache
def consent_scope_values() -> tuple[str, ...]:
    """Every value /GET/'s `scope` may take: the consent scopes, combined ones included."""
    return _enum("consent_scope")


@cache
def _mode_scopes() -> frozenset[str]:
    return frozenset(_enum("mode_scope"))


def takes_mode(scope: str) -> bool:
    """Does /IDMOBILE/ with `scope` require mode=2? (All but numVerify: the scope pages.)"""
    return scope in _mode_scopes()


@cache
def direct_scopes() -> frozenset[str]:
    """Single scopes /IDMOBILE/ answers itself, without consent or /GET/ (matching_notp): the
    scope names that are not consent scopes."""
    return frozenset(scope_names()) - consent_scopes()


@cache
def otp_scopes() -> frozenset[str]:
    """Single scopes whose consent step sends a one-time code (formfilling, matching)."""
    return frozenset(_enum("otp_scope"))


def asks_for_code(scope: str) -> bool:
    """Does the consent step of `scope` (single or combined) send a one-time code?"""
    return any(part in otp_scopes() for part in split_scope(scope))


@cache
def outcome_scopes(key: str) -> frozenset[str] | None:
    """The scopes a scenario outcome key applies to (`x-dqe-scopes` in scenario.schema.json:
    numverify -> numVerify, scores -> matching_notp and matching); None for every scope."""
    outcome = contract().schemas["scenario.schema.json"]["$defs"]["outcome"]["properties"]
    scopes = outcome.get(key, {}).get("x-dqe-scopes")
    return frozenset(scopes) if scopes is not None else None
