"""The keys of user_infos, as common.schema.json's ``user_infos`` definition lists them.

The matching without OTP page: "each key must be present, even if no value is provided"; the
keys table gives twelve, in this order. The definition requires ``phone`` in one part (error
07) and the eleven others in another (error 01); this module reads both, once.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from mockserver.contract.schemas import contract


def _parts() -> list[dict[str, Any]]:
    definition = contract().schemas["common.schema.json"]["$defs"]["user_infos"]
    parts: list[dict[str, Any]] = definition["then"]["allOf"]
    return parts


@cache
def user_infos_keys() -> tuple[str, ...]:
    """The twelve user_infos keys in the documented order: ('street_address', ..., 'number')."""
    keys = [key for part in _parts() for key in part.get("properties", {})]
    return tuple(dict.fromkeys(keys))


@cache
def user_infos_fields() -> dict[str, dict[str, Any]]:
    """Each user_infos key's schema (type, pattern, enum), by key."""
    return {k: dict(v) for part in _parts() for k, v in part.get("properties", {}).items()}
