"""Settings of one mock server: typed, immutable, built by the CLI or by tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mockserver.domain.client_report import DEFAULT_MIN_BACKOFF, DEFAULT_MIN_POLL_INTERVAL
from mockserver.domain.journal import DEFAULT_LIMIT as DEFAULT_JOURNAL_LIMIT
from mockserver.domain.scenarios import DEFAULT_TOKEN_TTL
from mockserver.domain.sessions import DEFAULT_MAX_SESSIONS
from mockserver.domain.tokens import DEFAULT_MAX_TOKENS
from mockserver.domain.yamldoc import MAX_DOCUMENT_BYTES

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_HOST",
    "DEFAULT_JOURNAL_LIMIT",
    "DEFAULT_KEEPALIVE_TIMEOUT",
    "DEFAULT_MAX_BODY",
    "DEFAULT_MAX_FINDINGS",
    "DEFAULT_MAX_SESSIONS",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_SHUTDOWN_TIMEOUT",
    "MAX_DOCUMENT_BYTES",
    "ProxySettings",
    "ScoreSettings",
    "Settings",
]

# Each default is defined once: here, or as a constant of the module that uses it; the CLI
# reads them from the dataclasses below (tests/test_cli_defaults.py holds it to that).
DEFAULT_HOST = "127.0.0.1"
DEFAULT_MAX_BODY = 64 * 1024
# Slow or silent clients (docs/limits.md "Reading requests" says why these values).
DEFAULT_HEADER_TIMEOUT = 10.0  # seconds from a request's first byte to the end of its headers
DEFAULT_BODY_TIMEOUT = 30.0  # seconds from the end of the headers to the end of the body
DEFAULT_KEEPALIVE_TIMEOUT = 75.0  # seconds an idle connection is kept between requests
# Seconds that requests in flight get to finish after SIGTERM/SIGINT (then they are cut).
DEFAULT_SHUTDOWN_TIMEOUT = 10.0
# Violations the proxy's report keeps, each way (older ones are counted, not kept).
DEFAULT_MAX_FINDINGS = 1000


# The asyncio event loop `serve` runs on: "auto" takes uvloop when it is installed (a
# dependency on Linux and macOS, where it serves ~20-30 % more requests a second), else
# asyncio's own; "uvloop" requires it; "asyncio" never uses it.
EVENT_LOOPS = ("auto", "uvloop", "asyncio")


@dataclass(frozen=True)
class Settings:
    """How to run the mock."""

    host: str = DEFAULT_HOST
    port: int = 8080
    scenario_paths: tuple[Path, ...] = ()
    include_default_pack: bool = True
    public_url: str | None = None
    token_ttl: int = DEFAULT_TOKEN_TTL
    check_responses: bool = False
    seed: int | None = None
    frozen_clock: bool = False
    max_body: int = DEFAULT_MAX_BODY
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT
    journal_limit: int = DEFAULT_JOURNAL_LIMIT
    max_sessions: int = DEFAULT_MAX_SESSIONS
    max_tokens: int = DEFAULT_MAX_TOKENS
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT
    admin_token: str | None = None
    watch: bool = False
    # Look for changes by polling instead of file-system events (Docker bind mounts on macOS
    # and Windows, network file systems: where events do not arrive).
    watch_poll: bool = False
    # The largest scenario document (file or admin API body), also with aliases expanded.
    max_document_bytes: int = MAX_DOCUMENT_BYTES
    strict: bool = False
    # One log line per request (off by default, as in WireMock, Prism and Mountebank: the
    # journal, /__admin/journal, keeps every request; the line costs ~15 % of throughput).
    access_log: bool = False
    event_loop: str = "auto"
    # The client report's behaviour rules (docs/client-report.md; why these defaults:
    # mockserver/domain/client_report.py).
    min_poll_interval: float = DEFAULT_MIN_POLL_INTERVAL
    forbid_poll_after_final: bool = True
    require_new_token_after_30: bool = True
    require_backoff_after_5xx: bool = True
    min_backoff: float = DEFAULT_MIN_BACKOFF
    # Where tokens, sessions, the journal, runtime scenarios, report counters and clock offsets
    # live: "memory" (this process) or a Redis URL (mockserver/store/url.py;
    # docs/state-stores.md). Several workers or replicas need Redis.
    state: str = "memory"
    # Processes serving one port (SO_REUSEPORT); more than 1 requires a Redis `state`.
    workers: int = 1
    # This process's index among `serve --workers N`'s children, 1 to N (set by the parent,
    # mockserver/http/workers.py; it binds with SO_REUSEPORT); 0: a server alone.
    worker: int = 0


@dataclass(frozen=True)
class ProxySettings:
    """How to run `dqe-mock proxy` in front of `upstream` (timeout: seconds per upstream call)."""

    upstream: str
    host: str = DEFAULT_HOST
    port: int = 8081
    record: Path | None = None
    report: Path | None = None
    seed: int | None = None
    timeout: float = 30.0
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT
    max_findings: int = DEFAULT_MAX_FINDINGS
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT


@dataclass(frozen=True)
class ScoreSettings:
    """What `dqe-mock score` compares: a record (a magic number's, or JSON) with user_infos.

    `record` is a phone number, JSON text or @FILE; `user_infos` JSON text or @FILE. The
    number is looked up in the built-in pack (unless include_default_pack is False) with
    `scenario_paths` layered over it, as `serve` loads them; for `scope` and, when given,
    `licence` (None: the scenario's licence restriction, if any, is not applied).
    """

    record: str
    user_infos: str
    scenario_paths: tuple[Path, ...] = ()
    include_default_pack: bool = True
    licence: str | None = None
    # The scope that answers scores at once (the matching without OTP page).
    scope: str = "matching_notp"
    format: str = "text"
    max_document_bytes: int = MAX_DOCUMENT_BYTES
