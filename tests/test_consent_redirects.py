"""The consent step answers the user's decision with a redirect to the partner's redirect_uri."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.testing.client import DqeClient

# The same tests on the memory store and on a real Redis (issue 16).
pytestmark = pytest.mark.both_stores

ORANGE = "+33639980001"


async def test_a_json_answer_on_the_consent_url_is_read(dqe: DqeClient, server: TestServer) -> None:
    token = await dqe.token()
    started = await dqe.idmobile(token, ORANGE, "formfilling", redirect_uri="https://p.example/cb")
    async with ClientSession() as session:
        posted = await session.post(
            started.body["url"], json={"decision": "deny"}, allow_redirects=False
        )
        location = posted.headers["Location"]
    assert posted.status == 302
    assert location.endswith("status=error")
    assert (await dqe.get(token, "formfilling")).error_id == "21"
