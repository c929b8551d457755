"""What the suite reads: the contract's scopes, the hand-written magic-number table, the pack.

The magic numbers' expectations come from `magic_numbers.yaml`, a table a person wrote from
the README and the vendor pages; the built-in pack is read only for its scenario ids, numbers
and pinned values, never to work out what a scenario answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mockserver.contract.scopes import (
    consent_scope_values,
    needs_user_infos,
    retrieval_scope,
    takes_mode,
)
from mockserver.resources import scenarios_dir
from mockserver.testing.client import user_infos

PARTNER = "https://partner.example/callback?order=42"
METHODS = ("GET", "POST")
TABLE = Path(__file__).resolve().parent / "magic_numbers.yaml"


@dataclass(frozen=True)
class Magic:
    """One row of magic_numbers.yaml: what a scenario of the built-in pack answers."""

    scenario_id: str
    number: str
    initiate: str | dict[str, str] | None = None
    consent: str = "approve"
    consent_error: str | None = None
    auto: bool = False
    result: str | None = None
    pending: dict[str, int] = field(default_factory=dict)
    matching_notp_consent: bool = False
    numverify: bool = True
    family_name: float | None = None

    def initiate_error(self, scope: str) -> str | None:
        """The /IDMOBILE/ error id in `scope`, if any."""
        if isinstance(self.initiate, dict):
            return self.initiate.get(scope)
        return self.initiate

    def gives_url(self, scope: str) -> bool:
        """Does a successful /IDMOBILE/ in `scope` answer a consent url (not scores)?"""
        return scope in consent_scope_values() or self.matching_notp_consent

    def final_error(self) -> str | None:
        """The /GET/ error a flow left to the scenario's user ends with (None: success)."""
        return self.consent_error if self.consent != "approve" else self.result

    @property
    def polls(self) -> int:
        return int(self.pending.get("polls", 0))

    @property
    def seconds(self) -> int:
        return int(self.pending.get("seconds", 0))


@cache
def magic_table() -> dict[str, Magic]:
    """magic_numbers.yaml, by scenario id."""
    rows = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    return {sid: Magic(sid, **row) for sid, row in rows.items()}


def magic(scenario_id: str) -> Magic:
    """The table's row of a scenario."""
    found = magic_table().get(scenario_id)
    assert found is not None, f"magic_numbers.yaml has no row {scenario_id!r}"
    return found


def consent_error_ids() -> set[str]:
    """The ids a refused or failed consent ends with, as the table gives them."""
    return {row.consent_error for row in magic_table().values() if row.consent_error}


@cache
def _pack() -> dict[str, Any]:
    text = (scenarios_dir() / "default.yaml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text))


def pack_scenarios() -> list[dict[str, Any]]:
    """The built-in pack's scenarios, as written."""
    return list(_pack()["scenarios"])


def scenario(scenario_id: str) -> dict[str, Any]:
    """A scenario of the built-in pack, by id."""
    found = [s for s in pack_scenarios() if s["id"] == scenario_id]
    assert found, f"the built-in pack has no scenario {scenario_id!r}"
    return dict(found[0])


def get_scope(scope: str) -> str:
    """The scope /GET/ retrieves a session of `scope` with (contract data: x-dqe-retrieved-as)."""
    return retrieval_scope(scope)


def idmobile_params(
    token: str, licence: str, scope: str, number: str, **extra: str
) -> dict[str, str]:
    """A plain /IDMOBILE/ request: mode and user_infos where the scope takes them."""
    params = {"number": number, "token": token, "name": "Acme", "licence": licence, "scope": scope}
    if takes_mode(scope):
        params["mode"] = "2"
    if needs_user_infos(scope):
        params["user_infos"] = user_infos(phone=number)
    return {**params, **extra}


def get_params(token: str, licence: str, scope: str) -> dict[str, str]:
    """A /GET/ request, with the Licence spelling its page documents."""
    return {"token": token, "Licence": licence, "scope": scope}
