"""Access tokens: issued per licence, valid for a time, then error 30."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class AccessToken:
    """One token issued by /ACCESS_TOKEN/."""

    value: str
    refresh: str
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
    """Issued tokens; values come from a seeded generator so runs are reproducible."""

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self._rng = _rng(seed)
        self._tokens: dict[str, AccessToken] = {}

    def issue(self, licence: str, now: float, ttl: int, namespace: str = "default") -> AccessToken:
        """A new token for `licence`, valid `ttl` seconds from `now`."""
        value = f"TK{self._rng.getrandbits(160):040x}"
        refresh = f"*TK{self._rng.getrandbits(160):040x}"
        token = AccessToken(value, refresh, licence, now, now + ttl, namespace)
        self._tokens[value] = token
        return token

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
            del self._tokens[value]
        return gone

    def __len__(self) -> int:
        return len(self._tokens)

    def reset(self, namespace: str | None = None) -> list[str]:
        """Forget every token (restarting the generator), or one namespace's; return them."""
        if namespace is not None:
            dropped = [v for v, t in self._tokens.items() if t.namespace == namespace]
            for value in dropped:
                del self._tokens[value]
            return dropped
        dropped = list(self._tokens)
        self._tokens.clear()
        self._rng = _rng(self._seed)
        return dropped


def _rng(seed: int | None) -> random.Random:
    """A generator of its own for this store: seeded runs repeat, unseeded ones do not."""
    return random.Random(f"tokens:{seed}") if seed is not None else random.Random()
