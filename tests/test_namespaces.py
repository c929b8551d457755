"""A namespace (X-Dqe-Namespace) is a world of its own: its tokens are not another's."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.testing.client import DqeClient

# The same tests on the memory store and on a real Redis (issue 16).
pytestmark = pytest.mark.both_stores

ORANGE = "+33639980001"


async def test_a_token_belongs_to_its_namespace(server: TestServer) -> None:
    async with (
        ClientSession(headers={"X-Dqe-Namespace": "w1"}) as w1,
        ClientSession(headers={"X-Dqe-Namespace": "w2"}) as w2,
    ):
        token = await DqeClient(w1, server.make_url("/")).token()
        elsewhere = await DqeClient(w2, server.make_url("/")).idmobile(token, ORANGE, "numVerify")
        at_home = await DqeClient(w1, server.make_url("/")).idmobile(token, ORANGE, "numVerify")
    assert elsewhere.error_id == "30"
    assert at_home.body["status"] == "success"
