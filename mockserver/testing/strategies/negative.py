"""Negative strategies: requests with exactly one defect and the error id the contract answers."""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from functools import partial
from operator import ne
from typing import TypeAlias

from hypothesis import strategies as st

from mockserver.contract.schemas import contract
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
    decoded,
)
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
    user_infos_text,
)

Negative: TypeAlias = tuple[Params, str]
Defect: TypeAlias = Callable[[Params], st.SearchStrategy[Negative]]


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
