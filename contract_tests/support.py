"""What the suite reads from the contract and the built-in pack: scopes, magic numbers."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import yaml

from mockserver.contract.errors import catalogue
from mockserver.contract.schemas import contract
from mockserver.resources import scenarios_dir
from mockserver.testing.client import user_infos

PARTNER = "https://partner.example/callback?order=42"
METHODS = ("GET", "POST")


def scope_enum(name: str) -> list[str]:
    """An enum of common.schema.json's $defs (scope, consent_scope, ...)."""
    return list(contract().schemas["common.schema.json"]["$defs"][name]["enum"])


@cache
def _pack() -> dict[str, Any]:
    text = (scenarios_dir() / "default.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def scenario(scenario_id: str) -> dict[str, Any]:
    """A scenario of the built-in pack, by id."""
    found = [s for s in _pack()["scenarios"] if s["id"] == scenario_id]
    assert found, f"the built-in pack has no scenario {scenario_id!r}"
    return dict(found[0])


def magic_number(scenario_id: str) -> str:
    """The first number a scenario of the built-in pack matches."""
    return str(scenario(scenario_id)["match"]["numbers"][0])


def scenario_ids(prefix: str) -> list[str]:
    """Ids of the built-in pack's scenarios whose id starts with `prefix`."""
    return [s["id"] for s in _pack()["scenarios"] if s["id"].startswith(prefix)]


def scopes_allowing(endpoint: str, error_id: str | None, scopes: list[str]) -> list[str]:
    """The scopes for which the catalogue lets `endpoint` return `error_id` (all if None)."""
    if error_id is None:
        return scopes
    return [s for s in scopes if catalogue().get(error_id).allowed(endpoint, s)]


def outcome_for(found: dict[str, Any], scope: str) -> dict[str, Any]:
    """A scenario's outcome in `scope`: each part's `scopes:` override merged in, key by key
    (consent and pending one level deep), as the README's scenario format says."""
    merged: dict[str, Any] = dict(found.get("outcome", {}))
    for part in scope.split(","):
        for key, value in found.get("scopes", {}).get(part, {}).items():
            nested = isinstance(value, dict) and isinstance(merged.get(key), dict)
            merged[key] = {**merged[key], **value} if nested else value
    return merged


def initiate_scopes(found: dict[str, Any]) -> list[str]:
    """Scopes a magic number can be initiated with, its errors being allowed there."""

    def allowed(scope: str) -> bool:
        outcome = outcome_for(found, scope)
        get_scope = "matching" if scope == "matching_notp" else scope
        return bool(
            scopes_allowing("IDMOBILE", outcome.get("initiate_error"), [scope])
            and scopes_allowing(
                "GET", outcome_for(found, get_scope).get("result_error"), [get_scope]
            )
        )

    return [s for s in scope_enum("scope") if allowed(s)]


def consent_errors() -> dict[str, str]:
    """Consent decision -> the /GET/ error it ends with, as scenario.schema.json states it."""
    schema = contract().schemas["scenario.schema.json"]["$defs"]["consent"]
    description = schema["properties"]["decision"]["description"]
    return dict(re.findall(r"(\w+): error ([0-9]{2})", description))


def idmobile_params(
    token: str, licence: str, scope: str, number: str, **extra: str
) -> dict[str, str]:
    """A plain /IDMOBILE/ request: mode and user_infos where the scope takes them."""
    params = {"number": number, "token": token, "name": "Acme", "licence": licence, "scope": scope}
    if scope in scope_enum("mode_scope"):
        params["mode"] = "2"
    if scope in scope_enum("user_infos_scope"):
        params["user_infos"] = user_infos(phone=number)
    return {**params, **extra}


def get_params(token: str, licence: str, scope: str) -> dict[str, str]:
    """A /GET/ request, with the Licence spelling its page documents."""
    return {"token": token, "Licence": licence, "scope": scope}
