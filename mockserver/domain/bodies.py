"""The documented response bodies, built from sessions and subscriber records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockserver.contract.errors import split_scope
from mockserver.domain import phones
from mockserver.domain.scoring import apply_pinned, compute_scores, unpack
from mockserver.domain.sessions import Session

FORMFILLING_ADDRESS_KEYS = (
    "country",
    "postal_code",
    "formatted",
    "street_address",
    "number",
    "locality",
)


def token_body(value: str, refresh: str, ttl: int) -> dict[str, str]:
    """/ACCESS_TOKEN/ success; expires_in is a string, as documented."""
    return {
        "access_token": value,
        "token_type": "Bearer",
        "expires_in": str(ttl),
        "refresh_token": refresh,
    }


def consent_body(operator: str, url: str) -> dict[str, str]:
    """/IDMOBILE/ success when the user must go through the operator."""
    return {"status": "success", "operator": operator, "url": url}


def pending_body(scope: str) -> dict[str, str]:
    """/GET/ while the operator has not answered."""
    return {"status": "pending", "scope": scope}


def scores(
    user_infos: Mapping[str, Any] | None, record: Mapping[str, Any], pinned: Mapping[str, Any]
) -> dict[str, Any]:
    """Computed similarity scores with the scenario's pinned values on top."""
    return apply_pinned(compute_scores(user_infos or {}, record), pinned)


def formfilling(record: Mapping[str, Any], number_e164: str) -> dict[str, Any]:
    """The formfilling object: every documented key, from the subscriber record."""
    national = phones.parse(number_e164).national
    given, family = str(record.get("given_name", "")), str(record.get("family_name", ""))
    email = str(record.get("email", ""))
    account, _, domain = email.partition("@")
    address = record.get("address") or {}
    full_address = {k: str(address.get(k, "")) for k in FORMFILLING_ADDRESS_KEYS}
    if not full_address["formatted"]:
        street = " ".join(p for p in (full_address["number"], full_address["street_address"]) if p)
        town = " ".join(p for p in (full_address["postal_code"], full_address["locality"]) if p)
        full_address["formatted"] = ", ".join(
            p for p in (street, town, full_address["country"]) if p
        )
    return {
        "phone_number": national,
        "family_name": family,
        "name": " ".join(p for p in (given, family) if p),
        "locale": str(record.get("locale", "fr-FR")),
        "gender": str(record.get("gender", "")),
        "updated_at": str(record.get("updated_at", "")),
        "birthdate": str(record.get("birthdate", "")),
        "birthplace": str(record.get("birthplace", "")),
        "given_name": given,
        "address": full_address,
        "email": email,
        "email_domain": domain,
        "email_account": account if domain else "",
        "subscriber_msisdn": str(record.get("subscriber_msisdn", national)),
        "sub": str(record.get("sub", "")),
    }


def get_success(session: Session) -> dict[str, Any]:
    """/GET/ success for the session's scope (combined scopes carry every part)."""
    body: dict[str, Any] = {"status": "success", "scope": session.scope}
    parts = split_scope(session.scope)
    if "numVerify" in parts:
        body["numVerify"] = session.outcome.numverify
    if "formfilling" in parts or "matching" in parts:
        body["code_name"] = session.code_name
    if "formfilling" in parts:
        body["formfilling"] = formfilling(session.subscriber, session.number)
    if "matching" in parts:
        computed = (
            unpack(session.scores) if session.scores else compute_scores({}, session.subscriber)
        )
        body["matching"] = apply_pinned(computed, session.outcome.scores)
    return body
