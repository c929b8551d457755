"""Helpers shared by the HTTP tests: the pack's records (by hand), user_infos, error answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.contract.errors import catalogue
from mockserver.contract.schemas import contract
from mockserver.testing.client import Reply, user_infos

_DEFS = contract().schemas["common.schema.json"]["$defs"]
SCORE_KEYS = frozenset(_DEFS["scores"]["required"])
ADDRESS_SCORE_KEYS = frozenset(_DEFS["address_scores"]["required"])


ORANGE = "+33639980001"
# The operators' records of the four happy-path lines of the built-in pack, copied by hand
# from scenarios/default.yaml (README, Magic numbers: +33 6 39 98 00 0x). Every other
# scenario of the pack is the Orange line's record.
RECORDS: Mapping[str, Mapping[str, Any]] = {
    ORANGE: {
        "given_name": "Jean", "family_name": "Dupont", "gender": "M", "birthdate": "1985-04-12",
        "birthplace": "75", "email": "jean.dupont@example.com", "locale": "fr-FR",
        "sub": "orange-sub-0001", "updated_at": "2024-01-15",
        "address": {"number": "10", "street_address": "rue de la Paix", "postal_code": "75002",
                    "locality": "Paris", "country": "France"},
    },
    "+33639980002": {
        "given_name": "Marie", "family_name": "Martin", "maiden_name": "Leroy", "gender": "F",
        "birthdate": "1990-09-30", "birthplace": "69", "email": "marie.martin@example.fr",
        "locale": "fr-FR", "sub": "sfr-sub-0002", "updated_at": "2024-03-02",
        "address": {"number": "5", "street_address": "place Bellecour", "postal_code": "69002",
                    "locality": "Lyon", "country": "France"},
    },
    "+33639980003": {
        "given_name": "Luc", "family_name": "Bernard", "gender": "M", "birthdate": "1978-12-01",
        "birthplace": "13", "email": "luc.bernard@example.net", "locale": "fr-FR",
        "sub": "bytel-sub-0003", "updated_at": "2023-11-20",
        "address": {"number": "2", "street_address": "quai du Port", "postal_code": "13002",
                    "locality": "Marseille", "country": "France"},
    },
    "+33639980004": {
        "given_name": "Sophie", "family_name": "Petit", "gender": "F", "birthdate": "2000-02-29",
        "birthplace": "33", "email": "sophie.petit@example.org", "locale": "fr-FR",
        "sub": "free-sub-0004", "updated_at": "2024-06-10",
        "address": {"number": "1", "street_address": "cours de l'Intendance",
                    "postal_code": "33000", "locality": "Bordeaux", "country": "France"},
    },
}  # fmt: skip


def record_of(number: str) -> Mapping[str, Any]:
    """The operator's record the built-in pack holds for `number` (E.164), from RECORDS."""
    return RECORDS.get(number, RECORDS[ORANGE])


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
