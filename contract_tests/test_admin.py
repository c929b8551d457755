"""The mock's control API as the suite uses it: reset, per-token clock, journal."""

from __future__ import annotations

import pytest

from contract_tests.support import get_params, idmobile_params
from contract_tests.target import Target

pytestmark = pytest.mark.mock_only


def test_reset_forgets_tokens(target: Target) -> None:
    token = target.token()
    params = idmobile_params(token, target.licence, "numVerify", target.number)
    assert target.call("IDMOBILE", params).error_id is None
    target.admin("reset", {})
    assert target.call("IDMOBILE", params).error_id == "30"


def test_advancing_one_tokens_clock_expires_only_that_token(target: Target) -> None:
    old, young = target.token(), target.token()
    ttl = int(
        target.call(
            "ACCESS_TOKEN",
            {
                "client_secret": target.secret,
                "grant_type": "client_idmobile",
                "licence": target.licence,
            },
        ).body["expires_in"]
    )
    target.expire(old, ttl)
    for token, expected in ((old, "30"), (young, None)):
        params = idmobile_params(token, target.licence, "formfilling", target.number)
        assert target.call("IDMOBILE", params).error_id == expected
    assert target.call("GET", get_params(old, target.licence, "formfilling")).error_id == "30"


def test_the_journal_records_the_suites_requests(target: Target) -> None:
    target.admin("reset", {})
    token = target.token()
    target.call("GET", get_params(token, target.licence, "numVerify"))
    entries = target.admin("journal")["entries"]
    assert len(entries) == 2
    assert [e.get("endpoint") for e in entries] == ["ACCESS_TOKEN", "GET"]
