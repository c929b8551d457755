"""The application factory."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from aiohttp import web

from mockserver.domain.client_report import ReportRules
from mockserver.domain.clock import Clock
from mockserver.domain.faults import FaultBook
from mockserver.domain.journal import Journal
from mockserver.domain.loading import load_all
from mockserver.domain.registry import ScenarioRegistry
from mockserver.domain.scenarios import ScenarioSet
from mockserver.domain.service import IdMobile, MockState
from mockserver.domain.sessions import SessionStore
from mockserver.domain.tokens import TokenStore
from mockserver.http.admin import admin_guard
from mockserver.http.body import READ_LIMITS, ReadLimits
from mockserver.http.connection import handler_args
from mockserver.http.faults import faults
from mockserver.http.keys import RELOADS, SERVICE, SETTINGS, STATE, STORE
from mockserver.http.middleware import dqe_errors, last_resort
from mockserver.http.namespaces import namespace_guard
from mockserver.http.recording import journal
from mockserver.http.routes import ROUTES
from mockserver.http.safe import safe_head
from mockserver.http.watch import watch_scenarios
from mockserver.http.watch_signal import ReloadSignal
from mockserver.settings import Settings
from mockserver.store.base import MemoryStore, StateStore
from mockserver.store.url import parse_state_url


def build_state(settings: Settings, scenarios: ScenarioSet | None = None) -> MockState:
    """The mock's mutable state, with scenarios loaded from the settings unless given."""

    def load() -> ScenarioSet:
        return load_all(
            settings.scenario_paths, settings.include_default_pack, settings.max_document_bytes
        )

    return MockState(
        registry=ScenarioRegistry(scenarios or load(), load),
        journal=Journal(settings.journal_limit),
        faults=FaultBook(settings.seed),
        tokens=TokenStore(settings.seed, settings.max_tokens),
        sessions=SessionStore(settings.seed, settings.max_sessions),
        # Processes sharing a store read one clock: the wall clock (a monotonic one starts
        # anew in each process); alone, the monotonic one (immune to the wall's jumps).
        clock=Clock(
            source=time.monotonic if settings.state == "memory" else time.time,
            frozen=settings.frozen_clock,
            max_keys=settings.max_tokens,
        ),
        default_ttl=settings.token_ttl,
        report_rules=report_rules(settings),
    )


def report_rules(settings: Settings) -> ReportRules:
    """The client report's behaviour rules of these settings."""
    return ReportRules(
        min_poll_interval=settings.min_poll_interval,
        forbid_poll_after_final=settings.forbid_poll_after_final,
        require_new_token_after_30=settings.require_new_token_after_30,
        require_backoff_after_5xx=settings.require_backoff_after_5xx,
        min_backoff=settings.min_backoff,
    )


def build_store(settings: Settings, state: MockState) -> StateStore:
    """The store of `settings.state` over `state` (redis-py is imported only for Redis)."""
    url = parse_state_url(settings.state)
    if url.is_memory:
        return MemoryStore(state)
    from mockserver.store.redis import RedisStore

    return RedisStore(
        state,
        url.url,
        url.shown,
        settings.max_document_bytes,
        settings.max_sessions,
        settings.max_tokens,
    )


async def _run_store(app: web.Application) -> AsyncIterator[None]:
    """Connect the store at startup (StoreUnavailable stops the start), close it at cleanup."""
    await app[STORE].start()
    yield
    await app[STORE].stop()


def create_app(settings: Settings, state: MockState | None = None) -> web.Application:
    """A ready-to-run mock: routes, middleware and state under typed keys."""
    # Outermost first: the journal sees the final answer (a refused namespace's 400 too), a
    # bad namespace is refused and HEAD is answered before anything can act on them, faults
    # pre-empt the handler, and DqeError is rendered closest to the handlers.
    app = web.Application(
        middlewares=[
            last_resort,
            admin_guard,
            journal,
            namespace_guard,
            safe_head,
            faults,
            dqe_errors,
        ],
        client_max_size=settings.max_body,
        handler_args=handler_args(settings.keepalive_timeout, settings.access_log),
    )
    app[SETTINGS] = settings
    app[READ_LIMITS] = ReadLimits(settings.max_body, settings.body_timeout)
    app[STATE] = state or build_state(settings)
    app[SERVICE] = IdMobile(app[STATE])
    app[STORE] = build_store(settings, app[STATE])
    app[RELOADS] = ReloadSignal()
    app.add_routes(ROUTES)
    app.cleanup_ctx.append(_run_store)
    app.cleanup_ctx.append(watch_scenarios)
    return app
