"""Hypothesis strategies derived from the contract's schemas, for integrators' tests."""

# Positive strategies give requests the request schemas accept. The negative mode
# (`invalid_*_requests`) gives Negative(params, error_id, defect): a request with exactly one
# defect, the error id the vendor docs give for it (the hand-written table in `defects.py`,
# with the doc page of each row) and the defect itself. Scopes, keys, enums, consts and
# patterns are read from `contract().schemas`, never retyped. Needs hypothesis (the `test`
# extra).

from mockserver.testing.strategies._schema import (
    COMMON,
    SCENARIO_SCHEMA,
    Given,
    Params,
)
from mockserver.testing.strategies.defects import DEFECTS, Defect
from mockserver.testing.strategies.negative import (
    Negative,
    invalid_get_requests,
    invalid_idmobile_requests,
    invalid_token_requests,
)
from mockserver.testing.strategies.requests import (
    EXAMPLE_TOKEN,
    OPTIONAL_IDMOBILE,
    get_requests,
    idmobile_requests,
    token_requests,
)
from mockserver.testing.strategies.scenarios import scenario_documents
from mockserver.testing.strategies.values import (
    DEFAULT_PACK,
    PhoneKind,
    client_formats,
    consent_scopes,
    french_numbers,
    magic_numbers,
    magic_scenarios,
    number_formats,
    phone_numbers,
    redirect_uris,
    scopes,
    user_infos,
    user_infos_keys,
    user_infos_text,
)

__all__ = [
    "COMMON",
    "DEFAULT_PACK",
    "DEFECTS",
    "EXAMPLE_TOKEN",
    "OPTIONAL_IDMOBILE",
    "SCENARIO_SCHEMA",
    "Defect",
    "Given",
    "Negative",
    "Params",
    "PhoneKind",
    "client_formats",
    "consent_scopes",
    "french_numbers",
    "get_requests",
    "idmobile_requests",
    "invalid_get_requests",
    "invalid_idmobile_requests",
    "invalid_token_requests",
    "magic_numbers",
    "magic_scenarios",
    "number_formats",
    "phone_numbers",
    "redirect_uris",
    "scenario_documents",
    "scopes",
    "token_requests",
    "user_infos",
    "user_infos_keys",
    "user_infos_text",
]
