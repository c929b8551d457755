"""The consent step's decisions and the /GET/ error each ends with, as scenario.schema.json
states them (``x-dqe-error-by-decision``, ``x-dqe-error-on-expiry-by-decision`` on
``$defs.consent.properties.decision``): the one place code reads them.

The ids come from the /GET/ error tables of the numVerify and formfilling pages: 21 *OTP
validation was declined*, 20 *OTP validation was not completed*, 18 *No data was received
after OTP validation*, 30 *The token has expired*.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from mockserver.contract.schemas import contract


def _decision() -> dict[str, Any]:
    node: dict[str, Any] = contract().schemas["scenario.schema.json"]["$defs"]["consent"]
    return dict(node["properties"]["decision"])


@cache
def consent_decisions() -> tuple[str, ...]:
    """Every decision a scenario (or the consent page's form) may take: ('approve', 'deny', ...)."""
    return tuple(str(v) for v in _decision()["enum"])


@cache
def consent_errors() -> Mapping[str, str]:
    """Decision -> the /GET/ error id it ends the session with at once ({'deny': '21', ...});
    approve and abandon are not in it."""
    return MappingProxyType(dict(_decision()["x-dqe-error-by-decision"]))


@cache
def expiry_errors() -> Mapping[str, str]:
    """Decision -> the error /GET/ answers once the token expires, the session staying pending
    until then ({'abandon': '30'})."""
    return MappingProxyType(dict(_decision()["x-dqe-error-on-expiry-by-decision"]))
