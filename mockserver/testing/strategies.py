"""Hypothesis strategies derived from the contract's schemas, for integrators' tests.

Positive strategies give requests the request schemas accept. The negative mode
(`invalid_*_requests`) gives pairs of a request with exactly one defect and the error id the
contract answers it with. Scopes, keys, enums, consts and patterns are read from
`contract().schemas`, never retyped. Needs hypothesis (the `test` extra).
"""

from __future__ import annotations

import copy
import json
import re
import string
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache, partial
from operator import ne
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import phonenumbers
import yaml
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockserver.contract.errors import catalogue
from mockserver.contract.schemas import REQUEST_SCHEMAS, contract
from mockserver.domain.service import parse_params
from mockserver.resources import scenarios_dir
from mockserver.testing.client import DEFAULT_LICENCE, DEFAULT_SECRET

if TYPE_CHECKING:
    from referencing._core import Resolver  # the type Registry.resolver() returns

Params: TypeAlias = dict[str, str]
Negative: TypeAlias = tuple[Params, str]
Defect: TypeAlias = Callable[[Params], st.SearchStrategy[Negative]]
Given: TypeAlias = str | st.SearchStrategy[str]
PhoneKind = Literal["mobile", "any", "landline"]

COMMON = "common.schema.json"
SCENARIO_SCHEMA = "scenario.schema.json"
DEFAULT_PACK = "default.yaml"
EXAMPLE_TOKEN = "TK-example-token"
# Optional /IDMOBILE/ parameters that positive requests send now and then (documented for
# every scope); mode, user_infos and country are sent only where the schema's rules ask.
OPTIONAL_IDMOBILE = ("code_name", "redirect_uri")
_TEXT_CHARS = st.characters(codec="utf-8", categories=("L", "N", "Zs", "Pd", "Po"))


# --- the schemas, read once ------------------------------------------------------------------


def _defs() -> dict[str, Any]:
    return contract().schemas[COMMON]["$defs"]  # type: ignore[no-any-return]


def _request(endpoint: str) -> dict[str, Any]:
    return contract().schemas[REQUEST_SCHEMAS[endpoint]]


def _enum(name: str) -> list[str]:
    return list(_defs()[name]["enum"])


def _prop(endpoint: str, key: str) -> dict[str, Any]:
    """A request property's schema, with a common $ref merged in."""
    node = dict(_request(endpoint)["properties"][key])
    if "$ref" in node:
        node = {**_defs()[node.pop("$ref").rsplit("/", 1)[-1]], **node}
    return node


def _licence_key(endpoint: str) -> str:
    """The licence spelling the endpoint's page documents (the first the schema lists)."""
    return str(_request(endpoint)["anyOf"][0]["required"][0])


def _rules(endpoint: str, scope: str | None) -> list[dict[str, Any]]:
    """The `then` of every `if scope in <enum>` rule that applies to `scope`."""
    found = []
    for rule in _request(endpoint).get("allOf", []):
        condition = rule.get("if", {}).get("properties", {}).get("scope", {})
        if "$ref" in condition and scope in _enum(condition["$ref"].rsplit("/", 1)[-1]):
            found.append(rule["then"])
    return found


def _required(endpoint: str, scope: str | None) -> list[str]:
    keys = [*_request(endpoint)["required"], _licence_key(endpoint)]
    keys += [k for then in _rules(endpoint, scope) for k in then.get("required", [])]
    return list(dict.fromkeys(keys))


def _given(value: Given) -> st.SearchStrategy[str]:
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def decoded(params: Mapping[str, str]) -> dict[str, Any]:
    """Parameters as the request schemas see them (the mock's own decoding, not a copy)."""
    return parse_params(params)


def _text(min_size: int = 0, max_size: int = 24) -> st.SearchStrategy[str]:
    return st.text(_TEXT_CHARS, min_size=min_size, max_size=max_size)


def _off_pattern(pattern: str, realistic: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(realistic, _text()).filter(lambda v: not re.search(pattern, v))


# --- scopes, phone numbers, user_infos --------------------------------------------------------


def scopes() -> st.SearchStrategy[str]:
    """Every /IDMOBILE/ scope, combined ones included."""
    return st.sampled_from(_enum("scope"))


def consent_scopes() -> st.SearchStrategy[str]:
    """The scopes that go through consent and are retrieved with /GET/."""
    return st.sampled_from(_enum("consent_scope"))


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
    parts = _defs()["user_infos"]["then"]["allOf"]
    return {k: v for part in parts for k, v in part.get("properties", {}).items()}


def user_infos_keys() -> list[str]:
    """The twelve user_infos keys, in the documented order."""
    return list(_defs()["user_infos_keys"]["const"])


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


# --- positive requests ------------------------------------------------------------------------


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


def token_requests(
    licence: Given = DEFAULT_LICENCE, secret: Given = DEFAULT_SECRET
) -> st.SearchStrategy[Params]:
    """/ACCESS_TOKEN/ parameters for a licence and its client secret."""
    grant = _prop("ACCESS_TOKEN", "grant_type")["const"]
    values = {"client_secret": _given(secret), "grant_type": st.just(grant)}
    values[_licence_key("ACCESS_TOKEN")] = _given(licence)
    return st.fixed_dictionaries({k: values[k] for k in _required("ACCESS_TOKEN", None)})


def get_requests(
    token: Given = EXAMPLE_TOKEN, licence: Given = DEFAULT_LICENCE, scope: str | None = None
) -> st.SearchStrategy[Params]:
    """/GET/ parameters for a token (a consent scope unless given)."""
    scope_enum = _request("GET")["properties"]["scope"]["$ref"].rsplit("/", 1)[-1]
    values = {
        "token": _given(token),
        "scope": st.just(scope) if scope else st.sampled_from(_enum(scope_enum)),
        _licence_key("GET"): _given(licence),
    }
    return st.fixed_dictionaries({k: values[k] for k in _required("GET", scope)})


def idmobile_requests(
    scope: str | None = None,
    *,
    token: Given = EXAMPLE_TOKEN,
    licence: Given = DEFAULT_LICENCE,
    numbers: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Params]:
    """Valid /IDMOBILE/ parameters: mode and user_infos where the scope's rules ask for them."""
    chosen = st.just(scope) if scope else scopes()
    return chosen.flatmap(
        lambda s: _idmobile_for(
            s, _given(token), _given(licence), numbers if numbers is not None else phone_numbers()
        )
    )


def _idmobile_for(
    scope: str,
    token: st.SearchStrategy[str],
    licence: st.SearchStrategy[str],
    numbers: st.SearchStrategy[str],
) -> st.SearchStrategy[Params]:
    values: dict[str, st.SearchStrategy[str]] = {
        "number": numbers,
        "token": token,
        "name": _text(min_size=1),
        "scope": st.just(scope),
        _licence_key("IDMOBILE"): licence,
        "user_infos": user_infos_text(),
        "code_name": _text(),
        "redirect_uri": redirect_uris(),
    }
    for then in _rules("IDMOBILE", scope):
        for key, node in then.get("properties", {}).items():
            if "const" in node:
                values[key] = st.just(node["const"])
    mandatory = {k: values[k] for k in _required("IDMOBILE", scope)}
    optional = {k: values[k] for k in OPTIONAL_IDMOBILE}
    return st.fixed_dictionaries(mandatory, optional=optional)


# --- negative requests ------------------------------------------------------------------------


def _computed(endpoint: str, mutate: Callable[[Params], st.SearchStrategy[Params]]) -> Defect:
    """A defect the schema sees: its id is the contract's verdict (x-dqe-error annotations)."""

    def verdict(params: Params) -> Negative:
        error_id = contract().validate_request(endpoint, decoded(params)).error_id
        if error_id is None:
            raise ValueError(f"the schema accepts this defective {endpoint} request: {params}")
        return params, error_id

    return lambda params: mutate(params).map(verdict)


def _fixed(
    endpoint: str, mutate: Callable[[Params], st.SearchStrategy[Params]], error_id: str
) -> Defect:
    """A defect the schema cannot see (unknown licence or token, a number's line type)."""

    def verdict(params: Params) -> Negative:
        violations = contract().validate_request(endpoint, decoded(params))
        if violations:
            raise ValueError(f"not a single defect: {violations.summary()}")
        return params, error_id

    return lambda params: mutate(params).map(verdict)


def _set(key: str, values: st.SearchStrategy[str]) -> Callable[[Params], st.SearchStrategy[Params]]:
    return lambda params: values.map(lambda v: {**params, key: v})


def _drop(endpoint: str) -> Callable[[Params], st.SearchStrategy[Params]]:
    def mutate(params: Params) -> st.SearchStrategy[Params]:
        keys = [k for k in _required(endpoint, params.get("scope")) if k in params]
        return st.sampled_from(keys).map(lambda k: {x: v for x, v in params.items() if x != k})

    return mutate


def _emptied(endpoint: str) -> Callable[[Params], st.SearchStrategy[Params]]:
    """A parameter the schema wants non-empty, sent empty."""

    def mutate(params: Params) -> st.SearchStrategy[Params]:
        keys = [k for k in params if _prop(endpoint, k).get("minLength", 0) > 0]
        return st.sampled_from(keys).map(lambda k: {**params, k: ""})

    return mutate


def _off_enum(endpoint: str, key: str) -> st.SearchStrategy[str]:
    """Values close to (or far from) the enum of `key`, never in it."""
    enum = _enum(_request(endpoint)["properties"][key]["$ref"].rsplit("/", 1)[-1])
    near = [v for s in enum for v in (s.upper(), s.lower(), f"{s} ", s.replace(",", ", "), s[:-1])]
    return st.one_of(st.sampled_from(near), _text()).filter(lambda v: v not in enum)


def _unknown(prefix: str) -> st.SearchStrategy[str]:
    return st.text("0123456789abcdef", min_size=12, max_size=32).map(lambda t: prefix + t)


def _not_numbers() -> st.SearchStrategy[str]:
    """Texts that are no phone number: letters, or too few digits."""
    return st.one_of(
        st.text(string.ascii_letters, min_size=1, max_size=12),
        st.text("0123456789", min_size=1, max_size=5),
    )


def _not_json_objects() -> st.SearchStrategy[str]:
    def is_object(text: str) -> bool:
        try:
            return isinstance(json.loads(text), dict)
        except (ValueError, RecursionError):
            return False

    return st.one_of(
        st.sampled_from(["[]", "3", "null", "true", '"text"', "[{}]"]),
        user_infos_text().map(lambda t: t[:-1]),
        user_infos().map(str),
        _text(min_size=1),
    ).filter(lambda t: not is_object(t))


def _idmobile_defects(scope: str) -> list[Defect]:
    required = _required("IDMOBILE", scope)
    schema = _request("IDMOBILE")["properties"]
    computed = [
        _drop("IDMOBILE"),
        _emptied("IDMOBILE"),
        _set("scope", _off_enum("IDMOBILE", "scope")),
        _set("user_infos", _not_json_objects()),
        _set("redirect_uri", _off_pattern(schema["redirect_uri"]["pattern"], _schemeless())),
        _set("country", _off_pattern(schema["country"]["pattern"], st.just("FRA"))),
    ]
    for then in _rules("IDMOBILE", scope):
        for key, node in then.get("properties", {}).items():
            if "const" in node:
                computed.append(_set(key, _text().filter(partial(ne, node["const"]))))
    if "user_infos" in required:
        without_phone = user_infos().map(lambda d: {k: v for k, v in d.items() if k != "phone"})
        computed += [
            _set("user_infos", st.sampled_from(["", "{}"])),
            _set("user_infos", without_phone.map(json.dumps)),
            _set("user_infos", user_infos_text(valid=False)),
        ]
    return [
        *(_computed("IDMOBILE", mutate) for mutate in computed),
        *_unseen_defects("IDMOBILE"),
        _fixed("IDMOBILE", _set("number", phone_numbers("landline")), "09"),
        _fixed("IDMOBILE", _set("number", _not_numbers()), "10"),
    ]


def _unseen_defects(endpoint: str) -> list[Defect]:
    """Unknown licence (02, invalid_client for tokens) and unknown token (30)."""
    key = _licence_key(endpoint)
    if endpoint == "ACCESS_TOKEN":
        return [
            _fixed(endpoint, _set(key, _unknown("0")), "invalid_client"),
            _fixed(endpoint, _set("client_secret", _unknown("wrong-")), "invalid_client"),
        ]
    unseen = [_fixed(endpoint, _set("token", _unknown("unknown-")), "30")]
    if endpoint == "IDMOBILE":
        unseen.append(_fixed(endpoint, _set(key, _unknown("0")), "02"))
    return unseen


def _schemeless() -> st.SearchStrategy[str]:
    return st.one_of(
        redirect_uris().map(lambda u: u.split("://", 1)[1]),
        redirect_uris().map(lambda u: "ftp://" + u.split("://", 1)[1]),
        st.sampled_from(["javascript:alert(1)", "//partner.example/cb", "https://", "http:/x"]),
    )


def _negatives(
    valid: st.SearchStrategy[Params], defects: Callable[[Params], list[Defect]]
) -> st.SearchStrategy[Negative]:
    def pick(params: Params) -> st.SearchStrategy[Negative]:
        return st.sampled_from(defects(params)).flatmap(lambda defect: defect(params))

    return valid.flatmap(pick)


def invalid_idmobile_requests(
    *,
    token: Given = EXAMPLE_TOKEN,
    licence: Given = DEFAULT_LICENCE,
    numbers: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Negative]:
    """(/IDMOBILE/ parameters with one defect, the error id the contract answers).

    Ids computed by `contract().validate_request(...)`, from the x-dqe-error annotations of
    requests/idmobile.schema.json and common.schema.json: a missing mandatory parameter (01;
    05 for user_infos), an empty one (01; 11 for number), a scope outside the enum (04),
    user_infos that is not a JSON object (06), empty for a matching scope (05), without phone
    (07) or with a missing key or a bad birthdate or gender (01), a redirect_uri that is not
    http(s) (01), a country that is not two letters (01), a mode other than the const (01).
    Ids the schema cannot give, from the catalogue's descriptions: unknown licence (02),
    unknown token (30), a landline (09), a text that is no phone number (10). Those assume
    that `token` and `licence` are valid on the target and the licence may use the scope.
    """
    valid = idmobile_requests(token=token, licence=licence, numbers=numbers)
    return _negatives(valid, lambda params: _idmobile_defects(params["scope"]))


def invalid_get_requests(
    token: Given = EXAMPLE_TOKEN, licence: Given = DEFAULT_LICENCE
) -> st.SearchStrategy[Negative]:
    """(/GET/ parameters with one defect, its id): missing or empty (01), bad scope (04)
    computed from the schema; an unknown token (30) from the catalogue."""
    defects = [
        _computed("GET", _drop("GET")),
        _computed("GET", _emptied("GET")),
        _computed("GET", _set("scope", _off_enum("GET", "scope"))),
        *_unseen_defects("GET"),
    ]
    return _negatives(get_requests(token, licence), lambda _: defects)


def invalid_token_requests(
    licence: Given = DEFAULT_LICENCE, secret: Given = DEFAULT_SECRET
) -> st.SearchStrategy[Negative]:
    """(/ACCESS_TOKEN/ parameters with one defect, its OAuth error): missing, empty or wrong
    grant_type (invalid_request, from the schema); unknown licence or wrong secret
    (invalid_client)."""
    grant = _prop("ACCESS_TOKEN", "grant_type")["const"]
    defects = [
        _computed("ACCESS_TOKEN", _drop("ACCESS_TOKEN")),
        _computed("ACCESS_TOKEN", _emptied("ACCESS_TOKEN")),
        _computed("ACCESS_TOKEN", _set("grant_type", _text().filter(lambda v: v != grant))),
        *_unseen_defects("ACCESS_TOKEN"),
    ]
    return _negatives(token_requests(licence, secret), lambda _: defects)


# --- scenario files ---------------------------------------------------------------------------


def scenario_documents() -> st.SearchStrategy[dict[str, Any]]:
    """Scenario files (as data) that validate against scenario.schema.json and load.

    Drawn from the schema itself; the fields the loader checks beyond the schema get values
    that pass: numbers that parse, ordered ranges, patterns that compile, error ids the
    endpoint (and scope) may return, ids unique within their list.
    """
    schema = contract().schemas[SCENARIO_SCHEMA]
    resolver = contract().registry.resolver(base_uri=schema["$id"])
    return _from_schema(schema, (), resolver)


def _error_ids(endpoint: str, path: tuple[str, ...]) -> st.SearchStrategy[str]:
    scope = path[-2] if len(path) >= 3 and path[-3] == "scopes" else None
    pattern = contract().schemas[SCENARIO_SCHEMA]["$defs"]["error_id"]["pattern"]
    ids = [i for i in catalogue().ids_for(endpoint, scope) if re.search(pattern, i)]
    return st.sampled_from(ids)


def _override(path: tuple[str, ...]) -> st.SearchStrategy[Any] | None:
    """Values for the fields the loader checks beyond the schema."""
    last, parent = path[-1] if path else "", path[-2] if len(path) > 1 else ""
    if last == "numbers":
        return st.lists(phone_numbers(), min_size=1, max_size=3)
    if (parent, last) == ("match", "range"):
        ends = st.lists(french_numbers(), min_size=2, max_size=2).map(sorted)
        return ends.map(lambda pair: {"from": pair[0], "to": pair[1]})
    if (parent, last) == ("match", "pattern"):
        digits = st.text("0123456789", max_size=4)
        return st.one_of(digits.map(lambda d: f"^\\+336{d}"), digits.map(lambda d: f"{d}$"))
    if last == "initiate_error":
        return _error_ids("IDMOBILE", path)
    if last == "result_error":
        return _error_ids("GET", path)
    return None


def _resolve(node: Mapping[str, Any], resolver: Resolver[Any]) -> tuple[Any, Resolver[Any]]:
    while "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        node, resolver = resolved.contents, resolved.resolver
    return node, resolver


_Parts: TypeAlias = (
    "tuple[dict[str, tuple[Any, Resolver[Any]]], list[str], set[str], list[tuple[Any, Any]]]"
)


def _object_parts(node: Mapping[str, Any], resolver: Resolver[Any]) -> _Parts:
    """Properties (with their resolver), required keys, forbidden keys and if/then rules."""
    props = {k: (v, resolver) for k, v in node.get("properties", {}).items()}
    required, forbidden = list(node.get("required", [])), set[str]()
    rules = [(part["if"], part["then"]) for part in node.get("allOf", []) if "if" in part]
    for part in node.get("allOf", []):
        if "not" in part:
            forbidden |= set(part["not"].get("required", []))
        elif "if" not in part:
            inner, inner_resolver = _resolve(part, resolver)
            p, r, f, rl = _object_parts(inner, inner_resolver)
            props, required, forbidden, rules = (
                {**props, **p},
                required + r,
                forbidden | f,
                rules + rl,
            )
    return props, list(dict.fromkeys(required)), forbidden, rules


@st.composite
def _from_schema(
    draw: st.DrawFn, node: Mapping[str, Any], path: tuple[str, ...], resolver: Resolver[Any]
) -> Any:
    override = _override(path)
    if override is not None:
        return draw(override)
    node, resolver = _resolve(node, resolver)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return draw(st.sampled_from(node["enum"]))
    for key in ("oneOf", "anyOf"):
        if key in node:
            return draw(_from_schema(draw(st.sampled_from(node[key])), path, resolver))
    kind = node.get("type", "object" if "properties" in node or "allOf" in node else None)
    if kind == "object":
        return _draw_object(draw, node, path, resolver)
    if kind == "array":
        return _draw_array(draw, node, path, resolver)
    return draw(_scalar(kind, node))


def _scalar(kind: Any, node: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    low = node.get("minimum", node.get("exclusiveMinimum", 0))
    high = node.get("maximum", low + 600)
    if kind == "integer":
        return st.integers(min_value=low, max_value=high)
    if kind == "number":
        exclusive = "exclusiveMinimum" in node
        return st.floats(low, high, exclude_min=exclusive, allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if "pattern" in node:
        return st.from_regex(node["pattern"], fullmatch=True)
    return _text(min_size=node.get("minLength", 0))


def _draw_object(
    draw: st.DrawFn, node: Mapping[str, Any], path: tuple[str, ...], resolver: Resolver[Any]
) -> dict[str, Any]:
    props, required, forbidden, rules = _object_parts(node, resolver)
    optional = [k for k in props if k not in required and k not in forbidden]
    low = max(node.get("minProperties", 0) - len(required), 0)
    high = min(len(optional), node.get("maxProperties", len(props)) - len(required))
    chosen = (
        draw(st.lists(st.sampled_from(optional), min_size=low, max_size=high, unique=True))
        if optional
        else []
    )

    def value(key: str) -> Any:
        return draw(_from_schema(props[key][0], (*path, key), props[key][1]))

    result = {k: value(k) for k in [*required, *chosen]}
    for condition, then in rules:
        if Draft202012Validator(condition).is_valid(result):
            result.update({k: value(k) for k in then.get("required", []) if k not in result})
    return result


def _draw_array(
    draw: st.DrawFn, node: Mapping[str, Any], path: tuple[str, ...], resolver: Resolver[Any]
) -> list[Any]:
    if "prefixItems" in node:
        return [draw(_from_schema(p, (*path, "[]"), resolver)) for p in node["prefixItems"]]
    items = node.get("items", {})
    low = node.get("minItems", 0)
    high = min(node.get("maxItems", 3), max(low, 3))
    _, required, _, _ = _object_parts(*_resolve(items, resolver))
    unique_by = (lambda item: item["id"]) if "id" in required else None
    values = _from_schema(items, (*path, "[]"), resolver)
    return draw(st.lists(values, min_size=low, max_size=high, unique_by=unique_by))
