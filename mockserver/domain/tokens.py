"""Access tokens: issued per licence, valid for a time, then error 30."""

from __future__ import annotations

import random
import sys
from collections import deque
from dataclasses import dataclass

# Tokens kept at most; past it, expired ones go first, else the oldest.
DEFAULT_MAX_TOKENS = 100_000


@dataclass(frozen=True, slots=True)
class AccessToken:
    """One token issued by /ACCESS_TOKEN/."""

    value: str
    licence: str
    issued_at: float
    expires_at: float
    namespace: str = "default"

    @property
    def ttl(self) -> int:
        """The lifetime announced as expires_in, in whole seconds."""
        return round(self.expires_at - self.issued_at)

    def valid_at(self, now: float) -> bool:
        """Still usable at `now`?"""
        return now < self.expires_at


class TokenStore:
    """Issued tokens, at most `limit`; values come from a seeded generator (reproducible runs).

    Past `limit`, issuing a token forgets another: the one that expired first, else the oldest.
    Token values are also queued by lifetime, in order of issue: in a queue the first live
    token is the first to expire, so finding an expired token costs one look per lifetime,
    not a scan. A queue may hold values already forgotten; they are skipped at its head.
    """

    def __init__(self, seed: int | None = None, limit: int = DEFAULT_MAX_TOKENS) -> None:
        if limit < 1:
            raise ValueError(f"limit must be 1 or more, not {limit}")
        self.limit = limit
        self._seed = seed
        self._rng = _rng(seed)
        self._tokens: dict[str, AccessToken] = {}  # in order of issue
        self._by_ttl: dict[int, deque[str]] = {}  # lifetime -> values, in order of issue
        self.evicted = 0

    def issue(
        self, licence: str, now: float, ttl: int, namespace: str = "default"
    ) -> tuple[AccessToken, str, list[str]]:
        """A new token for `licence`, valid `ttl` seconds from `now` (which never goes back),
        its refresh token (announced, never kept: nothing takes it back), and the values of
        the tokens forgotten to make room for it."""
        value = f"TK{self._rng.getrandbits(160):040x}"
        refresh = f"*TK{self._rng.getrandbits(160):040x}"
        token = AccessToken(value, sys.intern(licence), now, now + ttl, sys.intern(namespace))
        gone = []
        while len(self._tokens) >= self.limit:
            gone.append(self._victim(now))
            self._drop(gone[-1])
            self.evicted += 1
        self._tokens[value] = token
        self._by_ttl.setdefault(token.ttl, deque()).append(value)
        return token, refresh, gone

    def _victim(self, now: float) -> str:
        """The token to forget: the first to have expired, else the oldest."""
        firsts = (self._tokens[queue[0]] for queue in self._heads())
        expired = [t for t in firsts if not t.valid_at(now)]
        if expired:
            return min(expired, key=lambda t: t.expires_at).value
        return next(iter(self._tokens))

    def _heads(self) -> list[deque[str]]:
        """The queues, each with a stored token at its head (forgotten values dropped)."""
        for ttl, queue in list(self._by_ttl.items()):
            while queue and queue[0] not in self._tokens:
                queue.popleft()
            if not queue:
                del self._by_ttl[ttl]
        return list(self._by_ttl.values())

    def _drop(self, value: str) -> None:
        del self._tokens[value]  # its queue entry goes when it reaches the head

    def install(self, value: str, token: AccessToken | None) -> None:
        """Hold `token` as the copy of `value` (None: forget `value`), as a shared store
        (mockserver/store/) read it: not an issue, nothing is generated or counted."""
        if token is None:
            if value in self._tokens:
                self._drop(value)
            return
        if value not in self._tokens:
            while len(self._tokens) >= self.limit:
                self._drop(self._victim(token.issued_at))
            self._by_ttl.setdefault(token.ttl, deque()).append(value)
        self._tokens[value] = token

    def reseed(self, salt: str) -> None:
        """With a seed, draw the next values from (seed, salt): processes sharing a store and
        a seed each take a salt the store hands out once (a counter), so their values differ
        and a run that repeats its requests in the same order repeats them. No-op unseeded
        (each process's generator is then seeded by the OS)."""
        if self._seed is not None:
            self._rng = random.Random(f"tokens:{self._seed}:{salt}")

    def get(self, value: str) -> AccessToken | None:
        """The token with this value, expired or not."""
        return self._tokens.get(value)

    def valid(
        self, value: str, licence: str, now: float, namespace: str | None = None
    ) -> AccessToken | None:
        """The token if it exists, belongs to `licence` (and `namespace`) and has not expired."""
        token = self._tokens.get(value)
        if token is None or token.licence != licence or not token.valid_at(now):
            return None
        if namespace is not None and token.namespace != namespace:
            return None
        return token

    def prune(self, before: float) -> list[str]:
        """Forget tokens that expired before `before`; return their values."""
        gone = [v for v, t in self._tokens.items() if t.expires_at < before]
        for value in gone:
            self._drop(value)
        self._heads()  # the pruned tokens were at the heads: their entries go now
        return gone

    def all(self) -> list[AccessToken]:
        """Every stored token, oldest first."""
        return list(self._tokens.values())

    def __len__(self) -> int:
        return len(self._tokens)

    def reset(self, namespace: str | None = None) -> list[str]:
        """Forget every token (restarting the generator), or one namespace's; return them."""
        if namespace is not None:
            dropped = [v for v, t in self._tokens.items() if t.namespace == namespace]
            for value in dropped:
                self._drop(value)
            self._by_ttl = {}
            for value, token in self._tokens.items():  # rebuilt: no entry left mid-queue
                self._by_ttl.setdefault(token.ttl, deque()).append(value)
            return dropped
        dropped = list(self._tokens)
        self._tokens.clear()
        self._by_ttl.clear()
        self._rng = _rng(self._seed)
        return dropped


def _rng(seed: int | None) -> random.Random:
    """A generator of its own for this store: seeded runs repeat, unseeded ones do not."""
    return random.Random(f"tokens:{seed}") if seed is not None else random.Random()
