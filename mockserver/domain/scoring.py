"""Similarity of the user's data (user_infos) against the operator's record of the line."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from rapidfuzz import fuzz

Score = float | str
ADDRESS_FIELDS = ("country", "postal_code", "street_address", "locality")


def normalise(text: str) -> str:
    """Case-, accent-, hyphen- and space-insensitive form of a name or address part."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = "".join(c if c.isalnum() else " " for c in plain.casefold())
    return " ".join(cleaned.split())


def similarity(given: str, reference: str) -> Score:
    """0..1 (two decimals) when the user gave a value; "" when there is nothing to compare."""
    left, right = normalise(given), normalise(reference)
    if not left:
        return ""
    if not right:
        return 0.0
    return round(fuzz.ratio(left, right) / 100.0, 2)


def exact(given: str, reference: str) -> Score:
    """1.0 or 0.0 for values that are right or wrong (gender, birthdate, email)."""
    left, right = given.strip().casefold(), reference.strip().casefold()
    if not left:
        return ""
    return 1.0 if left == right else 0.0


def compute_scores(user: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """The documented score object: family_name, gender, birthdate, given_name, address, email."""
    address = record.get("address") or {}
    family = similarity(_s(user, "lastname"), _s(record, "family_name"))
    maiden = similarity(_s(user, "maiden_name"), _s(record, "family_name"))
    if isinstance(maiden, float) and (not isinstance(family, float) or maiden > family):
        family = maiden
    return {
        "family_name": family,
        "gender": exact(_s(user, "gender"), _s(record, "gender")),
        "birthdate": exact(_s(user, "birthdate"), _s(record, "birthdate")),
        "given_name": similarity(_s(user, "firstname"), _s(record, "given_name")),
        "address": {f: similarity(_s(user, f), _s(address, f)) for f in ADDRESS_FIELDS},
        "email": exact(_s(user, "email"), _s(record, "email")),
    }


def apply_pinned(scores: dict[str, Any], pinned: Mapping[str, Any]) -> dict[str, Any]:
    """Overlay the scenario's pinned scores (address key by key) on computed ones."""
    result = {**scores, **{k: v for k, v in pinned.items() if k != "address"}}
    result["address"] = {**scores["address"], **pinned.get("address", {})}
    return result


def _s(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key, "")
    return value if isinstance(value, str) else str(value)


# A session keeps its computed scores as one byte each, in this order (README "State"): a dict
# per session cost ~1 KiB, a tuple ~110 bytes. Computed scores are "" or 0.00..1.00 (two
# decimals): byte i is the score i/100, byte EMPTY is "".
PACKED_FIELDS = ("family_name", "gender", "birthdate", "given_name", "email", *ADDRESS_FIELDS)
EMPTY = 255


def pack(scores: Mapping[str, Any]) -> bytes:
    """compute_scores' object as bytes, one per PACKED_FIELDS (address fields last).

    Raises ValueError for a score that is neither "" nor a two-decimal number in 0..1.
    """
    address = scores["address"]
    values = [scores[f] for f in PACKED_FIELDS[:5]] + [address[f] for f in ADDRESS_FIELDS]
    return bytes(_byte(v) for v in values)


def _byte(score: Score) -> int:
    if score == "":
        return EMPTY
    hundredths = round(float(score) * 100)
    if not 0 <= hundredths <= 100 or hundredths / 100 != score:
        raise ValueError(f"score {score!r} is not 0.00..1.00 in hundredths")
    return hundredths


def unpack(packed: bytes) -> dict[str, Any]:
    """The score object of a pack()ed value."""
    values: list[Score] = ["" if b == EMPTY else b / 100 for b in packed]
    top = dict(zip(PACKED_FIELDS[:5], values[:5], strict=True))
    return {**top, "address": dict(zip(ADDRESS_FIELDS, values[5:], strict=True))}
