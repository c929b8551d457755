"""A long-lived shared mock does not grow with every token: old expired ones are forgotten."""

from __future__ import annotations

from mockserver.domain.clock import Clock
from mockserver.domain.loading import load_default
from mockserver.domain.registry import ScenarioRegistry
from mockserver.domain.service import PRUNE_EVERY, RETENTION, IdMobile, MockState
from mockserver.domain.sessions import SessionStore
from mockserver.domain.tokens import TokenStore

TOKEN = {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": "100001"}


def service() -> IdMobile:
    state = MockState(
        ScenarioRegistry(load_default()), TokenStore(1), SessionStore(1), Clock(frozen=True)
    )
    return IdMobile(state)


def start(mock: IdMobile) -> str:
    token = mock.issue_token(TOKEN)["access_token"]
    params = {
        "number": "+33639983003",
        "token": token,
        "name": "ACME",
        "licence": "100001",
        "scope": "numVerify",
    }
    mock.initiate(params, lambda s: f"http://mock/{s.id}")
    return token


def test_tokens_and_sessions_expired_long_ago_are_forgotten() -> None:
    mock = service()
    old = [start(mock) for _ in range(10)]
    mock.state.clock.advance(300 + RETENTION + 1)
    fresh = [start(mock) for _ in range(PRUNE_EVERY)]
    assert all(mock.state.tokens.get(t) is None for t in old)
    assert all(mock.state.sessions.by_token(t) is None for t in old)
    assert all(mock.state.tokens.get(t) is not None for t in fresh)
    assert len(mock.state.sessions) == len(fresh)


def test_recently_expired_tokens_stay_for_the_timelines() -> None:
    mock = service()
    recent = start(mock)
    mock.state.clock.advance(301)
    for _ in range(PRUNE_EVERY):
        mock.issue_token(TOKEN)
    assert mock.state.sessions.by_token(recent) is not None
    assert mock.state.tokens.get(recent) is not None
