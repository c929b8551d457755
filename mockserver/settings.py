"""Settings of one mock server: typed, immutable, built by the CLI or by tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mockserver.domain.journal import DEFAULT_LIMIT as DEFAULT_JOURNAL_LIMIT
from mockserver.domain.scenarios import DEFAULT_TOKEN_TTL
from mockserver.domain.sessions import DEFAULT_MAX_SESSIONS
from mockserver.domain.tokens import DEFAULT_MAX_TOKENS

__all__ = [
    "DEFAULT_JOURNAL_LIMIT",
    "DEFAULT_MAX_BODY",
    "DEFAULT_MAX_FINDINGS",
    "DEFAULT_MAX_SESSIONS",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_SHUTDOWN_TIMEOUT",
    "Settings",
]

DEFAULT_MAX_BODY = 64 * 1024
# Seconds that requests in flight get to finish after SIGTERM/SIGINT (then they are cut).
DEFAULT_SHUTDOWN_TIMEOUT = 10.0
# Violations the proxy's report keeps, each way (older ones are counted, not kept).
DEFAULT_MAX_FINDINGS = 1000


@dataclass(frozen=True)
class Settings:
    """How to run the mock."""

    host: str = "127.0.0.1"
    port: int = 8080
    scenario_paths: tuple[Path, ...] = ()
    include_default_pack: bool = True
    public_url: str | None = None
    token_ttl: int = DEFAULT_TOKEN_TTL
    check_responses: bool = False
    seed: int | None = None
    frozen_clock: bool = False
    max_body: int = DEFAULT_MAX_BODY
    journal_limit: int = DEFAULT_JOURNAL_LIMIT
    max_sessions: int = DEFAULT_MAX_SESSIONS
    max_tokens: int = DEFAULT_MAX_TOKENS
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT
    admin_token: str | None = None
    watch: bool = False
    strict: bool = False
