"""Helpers shared by the HTTP tests: the pack's records, user_infos from them, error answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.contract.errors import catalogue
from mockserver.contract.schemas import contract
from mockserver.domain.service import MockState
from mockserver.testing.client import Reply, user_infos

_DEFS = contract().schemas["common.schema.json"]["$defs"]
SCORE_KEYS = frozenset(_DEFS["scores"]["required"])
ADDRESS_SCORE_KEYS = frozenset(_DEFS["address_scores"]["required"])


def subscriber(state: MockState, number: str, scope: str = "matching_notp") -> Mapping[str, Any]:
    """The subscriber record the loaded pack holds for `number`."""
    scenario = state.scenarios.find(number, number, "100001", scope)
    assert scenario is not None
    return scenario.subscriber


def infos_of(record: Mapping[str, Any], phone: str, **overrides: str) -> str:
    """user_infos that say exactly what the operator's record says (with `overrides`)."""
    address = record.get("address") or {}
    values = {
        "street_address": address.get("street_address", ""),
        "postal_code": address.get("postal_code", ""),
        "locality": address.get("locality", ""),
        "country": address.get("country", ""),
        "birthdate": record.get("birthdate", ""),
        "email": record.get("email", ""),
        "lastname": record.get("family_name", ""),
        "maiden_name": record.get("maiden_name", ""),
        "gender": record.get("gender", ""),
        "firstname": record.get("given_name", ""),
        "phone": phone,
        "number": address.get("number", ""),
    }
    values.update(overrides)
    return user_infos(**values)


def assert_error(
    reply: Reply, error_id: str, scope: str | None = None, operator: str | None = None
) -> None:
    """The documented error body, with the catalogue's status and label."""
    entry = catalogue().get(error_id)
    assert reply.status != 500
    assert reply.status == entry.http_status
    assert reply.content_type == "application/json"
    assert reply.violations == []
    assert reply.body == {
        "status": "error",
        "error_id": error_id,
        "error_type": entry.label_for(scope, operator),
    }


def assert_all_ones(scores: Mapping[str, Any], empty: frozenset[str] = frozenset()) -> None:
    """Every score 1.0, but "" for the fields named in `empty`."""
    assert set(scores) == SCORE_KEYS
    assert set(scores["address"]) == ADDRESS_SCORE_KEYS
    for key in SCORE_KEYS - {"address"}:
        assert scores[key] == ("" if key in empty else 1.0), key
    for key in ADDRESS_SCORE_KEYS:
        assert scores["address"][key] == ("" if key in empty else 1.0), key
