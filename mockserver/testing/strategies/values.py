"""Values read from the schemas and the default pack: scopes, phone numbers, user_infos, uris."""

from __future__ import annotations

import copy
import json
import re
import string
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache, partial
from typing import Any, Literal

import phonenumbers
import yaml
from hypothesis import strategies as st

from mockserver.contract.scopes import consent_scope_values, scope_values
from mockserver.contract.user_infos import user_infos_fields
from mockserver.contract.user_infos import user_infos_keys as contract_user_infos_keys
from mockserver.resources import scenarios_dir
from mockserver.testing.strategies._schema import _off_pattern, _prop, _text

PhoneKind = Literal["mobile", "any", "landline"]

DEFAULT_PACK = "default.yaml"


# --- scopes, phone numbers, user_infos --------------------------------------------------------


def scopes() -> st.SearchStrategy[str]:
    """Every /IDMOBILE/ scope, combined ones included."""
    return st.sampled_from(scope_values())


def consent_scopes() -> st.SearchStrategy[str]:
    """The scopes that go through consent and are retrieved with /GET/."""
    return st.sampled_from(consent_scope_values())


def _is_kind(kind: PhoneKind, e164: str) -> bool:
    parsed = phonenumbers.parse(e164)
    if not phonenumbers.is_valid_number(parsed):
        return False
    line = phonenumbers.number_type(parsed)
    mobile = line in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )
    fixed = line == phonenumbers.PhoneNumberType.FIXED_LINE
    return {"mobile": mobile, "landline": fixed, "any": True}[kind]


# The first digit after the trunk 0: 06/07 mobiles, 01-05 geographic lines, 08 and 09 others.
_LEADING: dict[PhoneKind, str] = {"mobile": "67", "landline": "12345", "any": "123456789"}


def french_numbers(kind: PhoneKind = "mobile") -> st.SearchStrategy[str]:
    """French numbers in E.164 that libphonenumber says are valid (and mobile, by default)."""
    digits = st.text("0123456789", min_size=8, max_size=8)
    numbers = st.tuples(st.sampled_from(_LEADING[kind]), digits).map(lambda p: f"+33{p[0]}{p[1]}")
    return numbers.filter(partial(_is_kind, kind))


def client_formats(e164: str) -> tuple[str, ...]:
    """+33612345678 in the forms clients send: 0612345678, 0033 6 12 34 56 78, 33612345678..."""
    if not re.fullmatch(r"\+33[0-9]{9}", e164):
        return (e164,)
    nsn = e164[3:]
    pairs = [nsn[i : i + 2] for i in range(1, 9, 2)]
    spaced = " ".join([nsn[0], *pairs])
    return (
        e164,
        f"0{nsn}",
        f"0033 {spaced}",
        ".".join([f"0{nsn[0]}", *pairs]),
        f"33{nsn}",
        f"+33 {spaced}",
        " ".join([f"0{nsn[0]}", *pairs]),
    )


def number_formats(e164: str) -> st.SearchStrategy[str]:
    """One number, in any of the formats clients send."""
    return st.sampled_from(client_formats(e164))


def phone_numbers(kind: PhoneKind = "mobile") -> st.SearchStrategy[str]:
    """Valid French numbers (mobile, landline or any line) in the formats clients send."""
    return french_numbers(kind).flatmap(number_formats)


def _user_infos_fields() -> dict[str, dict[str, Any]]:
    return user_infos_fields()


def user_infos_keys() -> list[str]:
    """The twelve user_infos keys, in the documented order."""
    return list(contract_user_infos_keys())


_BIRTHDATES = (date(1900, 1, 1), date(2012, 12, 31))
_REALISTIC: dict[str, Callable[[], st.SearchStrategy[str]]] = {
    "birthdate": lambda: st.one_of(st.just(""), st.dates(*_BIRTHDATES).map(date.isoformat)),
    "phone": lambda: st.one_of(st.just(""), phone_numbers()),
    "email": lambda: st.one_of(st.just(""), st.emails()),
    "postal_code": lambda: st.text("0123456789", min_size=5, max_size=5),
}


def _field(key: str) -> st.SearchStrategy[str]:
    schema = _user_infos_fields().get(key, {})
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    values = _REALISTIC[key]() if key in _REALISTIC else _text()
    pattern = schema.get("pattern")
    return values.filter(lambda v: bool(re.search(pattern, v))) if pattern else values


def user_infos(valid: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """user_infos objects with all twelve keys; valid=False breaks exactly one rule."""
    keys = user_infos_keys()
    drawn = st.fixed_dictionaries({k: _field(k) for k in keys})
    complete = drawn.map(lambda infos: {k: infos[k] for k in keys})  # the documented order
    return complete if valid else complete.flatmap(_broken_user_infos)


def _broken_user_infos(infos: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    fields, keys = _user_infos_fields(), user_infos_keys()
    with_patterns = [k for k in keys if "pattern" in fields.get(k, {})]
    with_enums = [k for k in keys if "enum" in fields.get(k, {})]
    bad_dates = st.dates(*_BIRTHDATES).map(lambda d: d.strftime("%d/%m/%Y"))
    return st.one_of(
        st.sampled_from(keys).map(lambda k: {x: v for x, v in infos.items() if x != k}),
        st.sampled_from(with_patterns).flatmap(
            lambda k: _off_pattern(fields[k]["pattern"], bad_dates).map(lambda v: {**infos, k: v})
        ),
        st.sampled_from(with_enums).flatmap(
            lambda k: (
                _text().filter(lambda v: v not in fields[k]["enum"]).map(lambda v: {**infos, k: v})
            )
        ),
        st.tuples(st.sampled_from(keys), st.one_of(st.integers(), st.none(), st.booleans())).map(
            lambda kv: {**infos, kv[0]: kv[1]}
        ),
    )


def user_infos_text(valid: bool = True) -> st.SearchStrategy[str]:
    """user_infos as the JSON text a client sends."""
    return user_infos(valid).map(json.dumps)


# --- the default pack's magic numbers ---------------------------------------------------------


@cache
def _magic_table() -> tuple[tuple[str, Mapping[str, Any]], ...]:
    pack = yaml.safe_load((scenarios_dir() / DEFAULT_PACK).read_text(encoding="utf-8"))
    fmt = phonenumbers.PhoneNumberFormat.E164
    return tuple(
        (phonenumbers.format_number(phonenumbers.parse(text, "FR"), fmt), scenario)
        for scenario in pack["scenarios"]
        for text in scenario["match"].get("numbers", [])
    )


def magic_scenarios() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """(E.164 number, scenario) of each magic number of the built-in pack."""
    return st.sampled_from(_magic_table()).map(lambda row: (row[0], copy.deepcopy(dict(row[1]))))


def magic_numbers() -> st.SearchStrategy[str]:
    """The built-in pack's magic numbers, in E.164."""
    return st.sampled_from([number for number, _ in _magic_table()])


# --- redirect uris ----------------------------------------------------------------------------


def redirect_uris() -> st.SearchStrategy[str]:
    """http(s) urls of a partner, as redirect_uri's pattern requires."""
    pattern = _prop("IDMOBILE", "redirect_uri")["pattern"]
    safe = string.ascii_letters + string.digits + "-._~"
    hosts = st.from_regex(r"[a-z][a-z0-9-]{0,10}\.example", fullmatch=True)
    paths = st.tuples(st.text(safe, max_size=10), st.text(safe, max_size=8)).map(
        lambda p: f"/{p[0]}" + (f"?order={p[1]}" if p[1] else "")
    )
    uris = st.builds(
        "{}://{}{}{}".format,
        st.sampled_from(["http", "https", "HTTPS"]),
        hosts,
        st.sampled_from(["", ":8443"]),
        st.one_of(st.just(""), paths),
    )
    return uris.filter(lambda u: bool(re.search(pattern, u)))
