"""`--state`: which state store a server uses, as a URL (docs/state-stores.md).

`memory` (the default) keeps everything in the process; `redis://[:password@]host[:port][/db]`
(`rediss://` over TLS, `unix:///path/to/redis.sock[?db=N]`) shares it through Redis, which
`serve --workers N` (N > 1) and replicas behind a load balancer require.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MEMORY = "memory"
REDIS_SCHEMES = ("redis", "rediss", "unix")
DEFAULT_REDIS_PORT = 6379
MAX_DB = 15  # Redis's default `databases 16`


class StateUrlError(ValueError):
    """A `--state` value that names no store; the message says what is accepted."""


@dataclass(frozen=True)
class StateUrl:
    """A parsed `--state` value.

    `url` is as given (it may hold a password: never log it, log `shown`); `shown` is the
    same URL with any password replaced by `***`, fit for logs and 503 bodies.
    """

    url: str
    shown: str

    @property
    def is_memory(self) -> bool:
        """The in-process store (no Redis)."""
        return self.url == MEMORY


def parse_state_url(text: str) -> StateUrl:
    """`memory`, or a Redis URL; raises StateUrlError saying what is accepted otherwise."""
    value = text.strip()
    if value == MEMORY:
        return StateUrl(MEMORY, MEMORY)
    accepted = (
        "expected `memory` or a Redis URL: redis://host:port/db (rediss:// for TLS, "
        "unix:///path/redis.sock?db=N)"
    )
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise StateUrlError(f"{_masked(value)!r}: {exc}; {accepted}") from None
    if parts.scheme not in REDIS_SCHEMES:
        raise StateUrlError(f"{_masked(value)!r}: unknown store; {accepted}")
    if parts.scheme == "unix":
        if not parts.path:
            raise StateUrlError(f"{_masked(value)!r}: no socket path; {accepted}")
    else:
        if not parts.hostname:
            raise StateUrlError(f"{_masked(value)!r}: no host; {accepted}")
        if port == 0:
            raise StateUrlError(f"{_masked(value)!r}: port 0; {accepted}")
        db = parts.path.strip("/")
        if db and (not re.fullmatch(r"\d{1,2}", db) or int(db) > MAX_DB):
            raise StateUrlError(
                f"{_masked(value)!r}: database {db!r} is not a number from 0 to {MAX_DB}"
            )
    return StateUrl(value, _masked(value))


def _masked(value: str) -> str:
    """The URL with any password replaced by ***: the userinfo's (everything between the
    user name's `:` and the last `@` before the path, so a password holding `@`, `:` or `/`
    unencoded is hidden whole) and a `password=` query parameter's (redis-py reads it too)."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        return value
    path_at = len(rest)
    for mark in "?#":
        found = rest.find(mark)
        if found != -1:
            path_at = min(path_at, found)
    at = rest.rfind("@", 0, path_at)
    if at != -1:
        userinfo = rest[:at]
        user, colon, _ = userinfo.partition(":")
        rest = (f"{user}:***" if colon else "***") + rest[at:]
    rest = re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", rest)
    return f"{scheme}://{rest}"
