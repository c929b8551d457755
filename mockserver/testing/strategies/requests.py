"""Positive strategies: /ACCESS_TOKEN/, /IDMOBILE/ and /GET/ parameters the schemas accept."""

from __future__ import annotations

from hypothesis import strategies as st

from mockserver.testing.client import DEFAULT_LICENCE, DEFAULT_SECRET
from mockserver.testing.strategies._schema import (
    Given,
    Params,
    _enum,
    _given,
    _licence_key,
    _prop,
    _request,
    _required,
    _rules,
    _text,
)
from mockserver.testing.strategies.values import (
    phone_numbers,
    redirect_uris,
    scopes,
    user_infos_text,
)

EXAMPLE_TOKEN = "TK-example-token"
# Optional /IDMOBILE/ parameters that positive requests send now and then (documented for
# every scope); mode, user_infos and country are sent only where the schema's rules ask.
OPTIONAL_IDMOBILE = ("code_name", "redirect_uri")


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
