"""Negative strategies: requests with one defect, the defect, and the error id the docs give.

Each strategy injects a defect it names; the id comes from the hand-written table in
`defects.py` (doc page per row). Nothing here asks the mock, its validator or its decoding
what the answer should be: the schemas only say what a *valid* request looks like (which
keys are mandatory, the enums, consts and patterns to step off).
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

from hypothesis import strategies as st

from mockserver.contract.user_infos import user_infos_fields
from mockserver.testing.client import DEFAULT_LICENCE, DEFAULT_SECRET
from mockserver.testing.strategies._schema import (
    Given,
    Params,
    _enum,
    _licence_key,
    _off_pattern,
    _prop,
    _request,
    _required,
    _rules,
    _text,
)
from mockserver.testing.strategies.defects import DEFECTS, Defect
from mockserver.testing.strategies.requests import (
    EXAMPLE_TOKEN,
    get_requests,
    idmobile_requests,
    token_requests,
)
from mockserver.testing.strategies.values import (
    phone_numbers,
    redirect_uris,
    user_infos,
    user_infos_keys,
    user_infos_text,
)


class Negative(NamedTuple):
    """A request with one defect, the error id the docs give for it, and the defect."""

    params: Params
    error_id: str
    defect: Defect


Mutation: TypeAlias = Callable[[Params], st.SearchStrategy[Params]]


@dataclass(frozen=True)
class Case:
    """A defect of the table and how to inject it into a valid request."""

    defect: Defect
    mutate: Mutation

    def __call__(self, params: Params) -> st.SearchStrategy[Negative]:
        error_id = self.defect.error_id
        return self.mutate(params).map(lambda p: Negative(p, error_id, self.defect))


def _case(endpoint: str, name: str, mutate: Mutation) -> Case:
    """Inject the defect `name` of `endpoint`'s table (KeyError if the table lacks it)."""
    return Case(DEFECTS[endpoint][name], mutate)


def _set(key: str, values: st.SearchStrategy[str]) -> Mutation:
    return lambda params: values.map(lambda v: {**params, key: v})


def _without(key: str) -> Mutation:
    return lambda params: st.just({k: v for k, v in params.items() if k != key})


def _missing_and_empty(endpoint: str, params: Params, scope: str | None) -> list[Case]:
    """Each mandatory parameter dropped; each one the schema wants non-empty, sent empty."""
    keys = [k for k in _required(endpoint, scope) if k in params]
    cases = [_case(endpoint, f"{k} missing", _without(k)) for k in keys]
    nonempty = [k for k in params if _prop(endpoint, k).get("minLength", 0) > 0]
    cases += [_case(endpoint, f"{k} empty", _set(k, st.just(""))) for k in nonempty]
    return cases


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


def _is_json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def _not_json_objects() -> st.SearchStrategy[str]:
    """Texts that are not a JSON object (and not blank, which counts as empty: 05)."""
    return st.one_of(
        st.sampled_from(["[]", "3", "null", "true", '"text"', "[{}]"]),
        user_infos_text().map(lambda t: t[:-1]),
        user_infos().map(str),
        _text(min_size=1),
    ).filter(lambda t: bool(t.strip()) and not _is_json_object(t))


def _schemeless() -> st.SearchStrategy[str]:
    return st.one_of(
        redirect_uris().map(lambda u: u.split("://", 1)[1]),
        redirect_uris().map(lambda u: "ftp://" + u.split("://", 1)[1]),
        st.sampled_from(["javascript:alert(1)", "//partner.example/cb", "https://", "http:/x"]),
    )


Change: TypeAlias = Callable[[dict[str, object]], st.SearchStrategy[dict[str, object]]]


def _infos(change: Change) -> Mutation:
    """user_infos, valid but for one change to the object before it is sent as JSON."""
    return _set("user_infos", user_infos().flatmap(change).map(json.dumps))


def _drop_one(keys: list[str]) -> Change:
    return lambda d: st.sampled_from(keys).map(lambda k: {x: v for x, v in d.items() if x != k})


def _replace(keys: list[str], values: st.SearchStrategy[object]) -> Change:
    return lambda d: st.tuples(st.sampled_from(keys), values).map(lambda kv: {**d, kv[0]: kv[1]})


def _user_infos_cases() -> list[Case]:
    """The defects of a present user_infos, for a scope that takes it (05, 07, 01)."""
    fields = user_infos_fields()
    others = [k for k in user_infos_keys() if k != "phone"]
    dates = st.dates().map(lambda d: d.strftime("%d/%m/%Y"))
    genders = fields["gender"]["enum"]
    rows: list[tuple[str, Mutation]] = [
        ("user_infos empty", _set("user_infos", st.sampled_from(["", "{}"]))),
        ("user_infos without the phone key", _infos(_drop_one(["phone"]))),
        ("user_infos without another key", _infos(_drop_one(others))),
        (
            "user_infos birthdate not YYYY-MM-DD",
            _infos(_replace(["birthdate"], _off_pattern(fields["birthdate"]["pattern"], dates))),
        ),
        (
            "user_infos gender not M/F/empty",
            _infos(_replace(["gender"], _text().filter(lambda v: v not in genders))),
        ),
        (
            "user_infos value not a string",
            _infos(_replace(others, st.one_of(st.integers(), st.none(), st.booleans()))),
        ),
    ]
    return [_case("IDMOBILE", name, mutate) for name, mutate in rows]


def idmobile_cases(params: Params) -> list[Case]:
    """The defects that apply to valid /IDMOBILE/ parameters `params` (their scope's)."""
    scope = params["scope"]
    schema = _request("IDMOBILE")["properties"]
    key = _licence_key("IDMOBILE")
    rows: list[tuple[str, Mutation]] = [
        ("scope not in the enum", _set("scope", _off_enum("IDMOBILE", "scope"))),
        ("user_infos not a JSON object", _set("user_infos", _not_json_objects())),
        (
            "redirect_uri not http(s)",
            _set("redirect_uri", _off_pattern(schema["redirect_uri"]["pattern"], _schemeless())),
        ),
        (
            "country not two letters",
            _set("country", _off_pattern(schema["country"]["pattern"], st.just("FRA"))),
        ),
        ("licence unknown", _set(key, _unknown("0"))),
        ("token unknown", _set("token", _unknown("unknown-"))),
        ("number a landline", _set("number", phone_numbers("landline"))),
        ("number not a phone number", _set("number", _not_numbers())),
    ]
    if "mode" in params:
        mode = _mode_const(scope)
        rows.append(("mode not 2", _set("mode", _text().filter(lambda v: v != mode))))
    cases = [_case("IDMOBILE", name, mutate) for name, mutate in rows]
    cases += _missing_and_empty("IDMOBILE", params, scope)
    if "user_infos" in _required("IDMOBILE", scope):
        cases += _user_infos_cases()
    return cases


def _mode_const(scope: str) -> str:
    """The value the scope's rule requires of mode (the pages: '2: authentication by code')."""
    consts = [
        t["properties"]["mode"]["const"]
        for t in _rules("IDMOBILE", scope)
        if "const" in t.get("properties", {}).get("mode", {})
    ]
    return str(consts[0])


def _negatives(
    valid: st.SearchStrategy[Params], cases: Callable[[Params], list[Case]]
) -> st.SearchStrategy[Negative]:
    def pick(params: Params) -> st.SearchStrategy[Negative]:
        return st.sampled_from(cases(params)).flatmap(lambda case: case(params))

    return valid.flatmap(pick)


def invalid_idmobile_requests(
    *,
    token: Given = EXAMPLE_TOKEN,
    licence: Given = DEFAULT_LICENCE,
    numbers: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Negative]:
    """Negative(/IDMOBILE/ parameters with one defect, the error id the docs give, the defect).

    The defects and their ids are the IDMOBILE rows of `defects.py`: a mandatory parameter
    missing (01; user_infos 05), empty (01; number 11), a scope outside the enum (04),
    user_infos not a JSON object (06), empty (05), without phone (07), without another key,
    with a bad birthdate, gender or a value that is not a string (01), a redirect_uri that is
    not http(s), a country that is not two letters, a mode other than 2 (01), an unknown
    licence (02) or token (30), a landline (09), a text that is no phone number (10). The
    ids assume `token` and `licence` are valid on the target, the licence may use every scope
    and `numbers` are mobiles of an operator that serves them.
    """
    valid = idmobile_requests(token=token, licence=licence, numbers=numbers)
    return _negatives(valid, idmobile_cases)


def _get_cases(params: Params) -> list[Case]:
    return [
        *_missing_and_empty("GET", params, None),
        _case("GET", "scope not in the enum", _set("scope", _off_enum("GET", "scope"))),
        _case("GET", "token unknown", _set("token", _unknown("unknown-"))),
    ]


def invalid_get_requests(
    token: Given = EXAMPLE_TOKEN, licence: Given = DEFAULT_LICENCE
) -> st.SearchStrategy[Negative]:
    """Negative(/GET/ parameters with one defect, its id, the defect): missing or empty (01),
    a scope outside the enum (04), an unknown token (30): the GET rows of `defects.py`."""
    return _negatives(get_requests(token, licence), _get_cases)


def _token_cases(params: Params) -> list[Case]:
    grant = _prop("ACCESS_TOKEN", "grant_type")["const"]
    key = _licence_key("ACCESS_TOKEN")
    return [
        *_missing_and_empty("ACCESS_TOKEN", params, None),
        _case(
            "ACCESS_TOKEN",
            "grant_type wrong",
            _set("grant_type", _text().filter(lambda v: v != grant)),
        ),
        _case("ACCESS_TOKEN", f"{key} unknown", _set(key, _unknown("0"))),
        _case("ACCESS_TOKEN", "client_secret wrong", _set("client_secret", _unknown("wrong-"))),
    ]


def invalid_token_requests(
    licence: Given = DEFAULT_LICENCE, secret: Given = DEFAULT_SECRET
) -> st.SearchStrategy[Negative]:
    """Negative(/ACCESS_TOKEN/ parameters with one defect, its OAuth error, the defect):
    missing, empty or wrong grant_type (invalid_request); unknown licence or wrong secret
    (invalid_client): the ACCESS_TOKEN rows of `defects.py`."""
    return _negatives(token_requests(licence, secret), _token_cases)
