"""A second /IDMOBILE/ with the same token replaces the first session (docs/contract-notes.md:
Tokens and sessions); the first consent url then says so, with the time, on the page (GET)
and to a POST, both 410 Gone, and the token's timeline names the replaced session.

The mock's clock is pinned to a wall time written here: 1,800,000,000 is 2027-01-15 08:00:00
UTC (`date -u -d @1800000000`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.contract.schemas import contract
from mockserver.domain.clock import Clock
from mockserver.domain.scenarios import Outcome
from mockserver.domain.sessions import Session, SessionStore
from mockserver.http.app import build_state, create_app
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient

ORANGE = "+33639980001"
UNKNOWN_TEXT = "This consent link is unknown: it was never issued, or the mock was reset since."
REPLACED_TEXT = (
    "This consent link was replaced by a later initiation with the same token at 08:01:14 UTC: "
    "a second /IDMOBILE/ with a token starts a new session and ends the earlier one. Open the "
    "consent url of the latest /IDMOBILE/ answer."
)


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    settings = Settings(seed=7, frozen_clock=True, check_responses=True)
    state = build_state(settings)
    state.clock = Clock(source=lambda: 1000.0, frozen=True, wall=lambda: 1_800_000_000.0)
    async with TestServer(create_app(settings, state), host="127.0.0.1") as srv:
        yield srv


@pytest.fixture
async def dqe(server: TestServer) -> AsyncIterator[DqeClient]:
    async with ClientSession() as session:
        yield DqeClient(session, server.make_url("/"))


async def replaced_pair(dqe: DqeClient, server: TestServer) -> tuple[str, str, str]:
    """(token, first consent url, second consent url): the second /IDMOBILE/ 74 s later."""
    token = await dqe.token()
    first = await dqe.idmobile(token, ORANGE, "formfilling")
    async with dqe.session.post(
        server.make_url("/__admin/clock/advance"), json={"seconds": 74}
    ) as advanced:
        assert advanced.status == 200
    second = await dqe.idmobile(token, ORANGE, "formfilling")
    return token, str(first.body["url"]), str(second.body["url"])


async def test_the_replaced_consent_url_says_what_happened_and_when(
    dqe: DqeClient, server: TestServer
) -> None:
    _, first, second = await replaced_pair(dqe, server)
    async with dqe.session.get(first) as page:
        assert page.status == 410
        text = await page.text()
    assert f"<p id='replaced'>{REPLACED_TEXT}</p>" in text
    assert "This request was replaced" in text
    assert "unknown" not in text
    status, location, body = await dqe.visit(first, decision="approve", otp="123456")
    assert (status, location) == (410, None)
    assert REPLACED_TEXT in body
    async with dqe.session.get(second) as page:
        assert page.status == 200


async def test_a_truly_unknown_consent_url_keeps_its_404_text(
    dqe: DqeClient, server: TestServer
) -> None:
    _, first, _ = await replaced_pair(dqe, server)
    unknown = first.rsplit("/", 1)[0] + "/s000000000000000000000000"
    async with dqe.session.get(unknown) as page:
        assert page.status == 404
        assert UNKNOWN_TEXT in await page.text()
    status, _, body = await dqe.visit(unknown, decision="approve", otp="123456")
    assert status == 404
    assert UNKNOWN_TEXT in body


async def test_a_reset_forgets_the_replacement(dqe: DqeClient, server: TestServer) -> None:
    _, first, _ = await replaced_pair(dqe, server)
    async with dqe.session.post(server.make_url("/__admin/reset")) as reset:
        assert reset.status == 200
    async with dqe.session.get(first) as page:
        assert page.status == 404
        assert UNKNOWN_TEXT in await page.text()


async def test_the_timeline_names_the_replaced_session(dqe: DqeClient, server: TestServer) -> None:
    token, first, second = await replaced_pair(dqe, server)
    async with dqe.session.get(server.make_url(f"/__admin/sessions/{token}")) as answer:
        assert answer.status == 200
        session = await answer.json()
    assert contract().validate_document("admin/session.schema.json", session) == []
    first_id, second_id = first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]
    assert session["id"] == second_id
    assert [(e["kind"], e["detail"]) for e in session["timeline"][1:]] == [
        (
            "replace",
            f"replaces session {first_id} (initiated at 08:00:00 UTC), whose consent url now "
            "answers 410 Gone",
        )
    ]


def _session(store: SessionStore, token: str) -> Session:
    return Session(
        store.new_id(), token, "100001", "numVerify", ORANGE, "Orange", "s", Outcome(), {}, 0.0
    )


def test_replaced_ids_are_bounded_oldest_forgotten_first() -> None:
    store = SessionStore(seed=1, replaced_limit=3)
    replaced = []
    for _ in range(5):
        old = _session(store, "TK1")
        store.put(old)
        replaced.append(old.id)
    store.put(_session(store, "TK1"))
    assert [store.replaced(i) is not None for i in replaced] == [False, False, True, True, True]


def test_the_clock_names_wall_time_in_utc() -> None:
    clock = Clock(source=lambda: 50.0, wall=lambda: 1_800_000_000.0)
    assert clock.utc(50.0) == "08:00:00 UTC"
    assert clock.utc(50.0 + 3600 + 61) == "09:01:01 UTC"
