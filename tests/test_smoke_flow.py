"""The whole formfilling flow once, end to end: token, initiate, consent, polls, result."""

import pytest

from mockserver.domain.service import MockState
from mockserver.testing.client import DqeClient

# The same tests on the memory store and on a real Redis (issue 16).
pytestmark = pytest.mark.both_stores

ORANGE = "+33639980001"


async def test_formfilling_flow_with_redirect(dqe: DqeClient, state: MockState) -> None:
    token = await dqe.token()
    started = await dqe.idmobile(
        token, ORANGE, "formfilling", redirect_uri="https://partner.example/cb?order=42"
    )
    assert started.violations == []
    assert started.body["status"] == "success"
    assert started.body["operator"] == "Orange"

    pending = await dqe.get(token, "formfilling")
    assert pending.body == {"status": "pending", "scope": "formfilling"}

    status, location, _ = await dqe.visit(started.body["url"])
    assert status == 302
    assert location == f"https://partner.example/cb?order=42&token={token}&status=success"

    done = await dqe.get(token, "formfilling", method="POST")
    assert done.violations == []
    assert done.body["formfilling"]["family_name"] == "Dupont"
