"""Bounds on what the mock keeps or prints about a request: one place for journal, report, logs.

A client may send thousands of parameters, a 1 MB parameter name or a 60 KB value; every
violation message, journal entry and proxy report line is cut to the lengths below, and a
parameter whose name looks like a secret is masked wherever parameters are shown.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from functools import lru_cache

MAX_MESSAGE = 300  # characters of one violation message (journal, proxy report, log line)
MAX_VIOLATIONS = 20  # violations kept of one request; the rest are counted in a last line
MAX_NAME = 64  # characters of a parameter name kept in the journal
MAX_VALUE = 1000  # characters of a parameter value kept in the journal
MAX_PARAMS = 32  # parameters kept in one journal entry (the first ones)
MASK = "***"
# A parameter is masked when its name, in any case, is one of these or contains one of
# SECRET_PARTS: client_secret, Client_Secret, password, api_key, refresh_token...
SECRET_NAMES = frozenset({"access_token", "refresh_token", "id_token", "api_key", "apikey"})
SECRET_PARTS = ("secret", "password", "passwd", "authorization")


def cut(text: str, limit: int = MAX_MESSAGE) -> str:
    """`text` if at most `limit` characters, else its start and `…[+N chars]` (N cut off)."""
    return text if len(text) <= limit else f"{text[:limit]}…[+{len(text) - limit} chars]"


@lru_cache(maxsize=1024)  # the journal asks for every parameter of every request
def is_secret(name: str) -> bool:
    """Does a parameter of this name hold a secret (compared case-insensitively)?"""
    folded = name.casefold()
    return folded in SECRET_NAMES or any(part in folded for part in SECRET_PARTS)


def bounded_messages(messages: Iterable[str]) -> tuple[str, ...]:
    """The first MAX_VIOLATIONS messages, each cut to MAX_MESSAGE characters; past them one
    last line `…[+N more violations]`. At most MAX_VIOLATIONS + 1 lines."""
    items = iter(messages)
    kept = tuple(cut(m) for m in itertools.islice(items, MAX_VIOLATIONS))
    rest = sum(1 for _ in items)
    return (*kept, f"…[+{rest} more violations]") if rest else kept


def masked(name: str, value: str) -> str:
    """The value as shown: MASK for a secret, else the value cut to MAX_VALUE characters."""
    return MASK if is_secret(name) else cut(value, MAX_VALUE)
