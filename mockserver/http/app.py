"""The application factory."""

from __future__ import annotations

from aiohttp import web

from mockserver.domain.clock import Clock
from mockserver.domain.journal import Journal
from mockserver.domain.loading import load_all
from mockserver.domain.registry import ScenarioRegistry
from mockserver.domain.scenarios import ScenarioSet
from mockserver.domain.service import IdMobile, MockState
from mockserver.domain.sessions import SessionStore
from mockserver.domain.tokens import TokenStore
from mockserver.http.keys import SERVICE, SETTINGS, STATE
from mockserver.http.middleware import dqe_errors
from mockserver.http.routes import ROUTES
from mockserver.settings import Settings


def build_state(settings: Settings, scenarios: ScenarioSet | None = None) -> MockState:
    """The mock's mutable state, with scenarios loaded from the settings unless given."""

    def load() -> ScenarioSet:
        return load_all(settings.scenario_paths, settings.include_default_pack)

    return MockState(
        registry=ScenarioRegistry(scenarios or load(), load),
        journal=Journal(settings.journal_limit),
        tokens=TokenStore(settings.seed),
        sessions=SessionStore(settings.seed),
        clock=Clock(frozen=settings.frozen_clock),
        default_ttl=settings.token_ttl,
    )


def create_app(settings: Settings, state: MockState | None = None) -> web.Application:
    """A ready-to-run mock: routes, middleware and state under typed keys."""
    app = web.Application(middlewares=[dqe_errors], client_max_size=settings.max_body)
    app[SETTINGS] = settings
    app[STATE] = state or build_state(settings)
    app[SERVICE] = IdMobile(app[STATE])
    app.add_routes(ROUTES)
    return app
