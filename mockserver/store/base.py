"""The state store interface, and the in-memory store (the default).

Every mutable thing the mock holds (tokens, sessions with their pending counters and consent
outcomes, the journal, runtime scenarios per namespace, the client report's counters, clock
offsets) is reached by the HTTP layer through a StateStore. The domain stays synchronous and
pure: it works on a MockState (domain/service.py), which for the memory store *is* the state,
and for the Redis store (store/redis.py) is this process's working copy of the records one
request touches, read before the domain runs and written back atomically after it.

How a request's transition stays atomic (docs/state-stores.md, "Atomic transitions"):
`run(touch, action, call)` reads the records `touch` names, installs them in the MockState,
runs `action` (synchronous: no other request interleaves), then writes back only what changed,
each record compared with what was read (compare-and-set, in one Lua script on Redis). When
another process changed a record meanwhile, nothing is written and the request is run again
on fresh records. In memory, `run` is just `action(call)`: the event loop runs one at a time.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from mockserver.domain.faults import Fault, FaultTarget
from mockserver.domain.journal import JournalEntry
from mockserver.domain.registry import ScenarioRegistry
from mockserver.domain.scenarios import ScenarioSet
from mockserver.domain.service import Call, MockState
from mockserver.domain.sessions import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Touch:
    """The records one request reads or changes.

    `tokens`: token values (with each, its current session and clock offset); `session_ids`:
    session ids of consent urls (with each, its token's records and, if it was replaced, what
    is kept of it); `issues`: the request may issue a token or open a session (a shared store
    then hands out the salt of new values and the next session number, once).
    """

    tokens: tuple[str, ...] = ()
    session_ids: tuple[str, ...] = ()
    issues: bool = False

    @classmethod
    def of(
        cls,
        tokens: Iterable[object] = (),
        session_ids: Iterable[object] = (),
        issues: bool = False,
    ) -> Touch:
        """The touch of these values, keeping only those of KEY_SHAPE: a value of any other
        shape names no record the mock can hold (tokens are `TK` and hex, ids `s` and hex), and
        a client cannot make the store look up megabyte keys."""
        return cls(_keys(tokens), _keys(session_ids), issues)


# What a token or session id must look like to be looked up in a store (the admin API's
# session_token: admin/common.schema.json#/$defs/session_token).
KEY_SHAPE = re.compile(r"[A-Za-z0-9._~-]{1,128}")


def _keys(values: Iterable[object]) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        if isinstance(value, str) and KEY_SHAPE.fullmatch(value) and value not in found:
            found.append(value)
    return tuple(found)


NOTHING = Touch()
# Runtime scenario changes a shared store keeps per namespace (each a document, replayed by a
# process that starts later): at most this many, and at most this many documents' worth of
# bytes (--max-scenario-bytes each); past either, a PUT (it replaces them all) or a reset of
# the namespace. Memory keeps the layer, not the changes: no bound is needed there.
MAX_RUNTIME_CHANGES = 1000
MAX_RUNTIME_DOCUMENTS = 16


class RuntimeChangesFull(Exception):
    """A namespace holds as many runtime changes as a shared store keeps (the admin API
    answers 409); the message says which bound and what to do."""

    def __init__(self, namespace: str, held: str) -> None:
        super().__init__(
            f"namespace {namespace!r} holds {held} of runtime scenario changes, the most a "
            "shared store keeps: PUT a document (it replaces them all) or reset the namespace"
        )


class StoreUnavailable(Exception):
    """The state store cannot be reached: the request is answered 503 (http/middleware.py).

    `shown` is the store's URL without its password; `detail` what the client library said.
    """

    def __init__(self, shown: str, detail: str, reachable: bool = False) -> None:
        self.shown = shown
        self.detail = detail
        self.reachable = reachable
        super().__init__(self.message)

    @property
    def reason(self) -> str:
        """What is wrong, in one clause (what `serve` says when it cannot start): the store
        cannot be reached, or (`reachable`) it answered with an error (full, a wrong type)."""
        if self.reachable:
            return f"the mock's state store {self.shown} answered an error ({self.detail})"
        return f"the mock's state store {self.shown} cannot be reached ({self.detail})"

    @property
    def message(self) -> str:
        """The sentence a 503 answers and the log line says."""
        if self.reachable:
            return (
                f"{self.reason}; no answer is given rather than a wrong one. The mock answers "
                "again once the store accepts its commands (see its log)."
            )
        return (
            f"{self.reason}; no answer is given rather than a wrong one. The mock answers "
            "again as soon as the store is back (nothing to restart)."
        )


class StateStore(ABC):
    """Where the state lives; the HTTP layer's only way to it (see the module docstring).

    `state` is the MockState the domain works on; `shown` names the store in logs and answers.
    Every coroutine may raise StoreUnavailable.
    """

    state: MockState
    shown: str
    # Shared with other processes (begin() then reads what a request touches up front).
    shared = False

    @abstractmethod
    async def start(self) -> None:
        """Connect and catch up (the app's startup); raises StoreUnavailable."""

    @abstractmethod
    async def stop(self) -> None:
        """Disconnect (the app's cleanup)."""

    async def begin(self, touch: Touch) -> object:
        """At a request's start (before faults are chosen): catch up with what other
        processes changed in the runtime scenarios and read the records `touch` names; what
        is returned may be given to run() as `first`. The memory store has nothing to do."""
        return None

    @abstractmethod
    async def run(
        self, touch: Touch, action: Callable[[Call], T], call: Call, first: object = None
    ) -> T:
        """`action(call)` as one atomic transition over the records `touch` names; its result,
        or the DqeError it raised (re-raised). `call` ends as the successful attempt left it.
        `first`: what begin() read for this request, used when still current."""

    @abstractmethod
    async def prepare(self, touch: Touch) -> None:
        """Read the records `touch` names into `state`, for a look without a change."""

    @abstractmethod
    async def record(self, entry: JournalEntry) -> None:
        """Journal one request and count it in the client report (the store numbers it)."""

    @abstractmethod
    async def catch_up(self) -> None:
        """Bring the journal, report counters and runtime scenarios up to date (what other
        processes recorded or changed); before any admin read."""

    @abstractmethod
    async def sessions_page(
        self, after: int, limit: int, namespace: str | None
    ) -> tuple[list[Session], int | None]:
        """As SessionStore.page: up to `limit` sessions after cursor `after`, next cursor."""

    @abstractmethod
    async def advance(self, seconds: float, token: str | None) -> float | None:
        """Move the clock (for everyone, or one token); the new now(), None for a token the
        store does not hold."""

    @abstractmethod
    async def reset(self, namespace: str | None) -> None:
        """MockState.reset everywhere: tokens, sessions, journal, counters, runtime scenarios."""

    @abstractmethod
    async def clear_journal(self, namespace: str | None) -> None:
        """Forget journal entries (one namespace's, or all), everywhere."""

    @abstractmethod
    async def change_scenarios(
        self, op: str, namespace: str, text: str = "", layer: ScenarioSet | None = None
    ) -> None:
        """Runtime scenarios of `namespace`: op `add` or `replace` with the document `text`
        (already loaded as `layer`), or `remove` with the scenario id as `text`."""

    @abstractmethod
    async def pick_fault(
        self, faults: Sequence[Fault], target: FaultTarget, namespace: str
    ) -> Fault | None:
        """FaultBook.pick with counts every process shares: the first fault that applies to
        `target` and has not used up its `first: N` (each applying fault's count goes up)."""

    @abstractmethod
    async def counts(self) -> tuple[int, int]:
        """How many tokens and sessions the store holds."""


class MemoryStore(StateStore):
    """Everything in this process: the MockState is the state. Nothing to set up."""

    shown = "memory"

    def __init__(self, state: MockState) -> None:
        self.state = state

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def run(
        self, touch: Touch, action: Callable[[Call], T], call: Call, first: object = None
    ) -> T:
        return action(call)

    async def prepare(self, touch: Touch) -> None:
        return None

    async def record(self, entry: JournalEntry) -> None:
        self.state.journal.add(entry)
        self.state.report.observe(entry)  # the client report's counters: O(1), no JSON

    async def catch_up(self) -> None:
        return None

    async def sessions_page(
        self, after: int, limit: int, namespace: str | None
    ) -> tuple[list[Session], int | None]:
        return self.state.sessions.page(after, limit, namespace)

    async def advance(self, seconds: float, token: str | None) -> float | None:
        if token is not None and self.state.tokens.get(token) is None:
            return None
        return self.state.clock.advance(seconds, token)

    async def reset(self, namespace: str | None) -> None:
        self.state.reset(namespace)

    async def clear_journal(self, namespace: str | None) -> None:
        self.state.journal.reset(namespace)

    async def change_scenarios(
        self, op: str, namespace: str, text: str = "", layer: ScenarioSet | None = None
    ) -> None:
        apply_change(self.state.registry, op, namespace, text, layer)

    async def pick_fault(
        self, faults: Sequence[Fault], target: FaultTarget, namespace: str
    ) -> Fault | None:
        return self.state.faults.pick(faults, target, namespace)

    async def counts(self) -> tuple[int, int]:
        return len(self.state.tokens), len(self.state.sessions)


def apply_change(
    registry: ScenarioRegistry, op: str, namespace: str, text: str, layer: ScenarioSet | None
) -> None:
    """One runtime-scenario change on `registry` (see StateStore.change_scenarios)."""
    if op == "remove":
        registry.remove(namespace, text)
    elif layer is None:
        raise ValueError(f"{op}: no scenario layer")
    elif op == "add":
        registry.add(namespace, layer)
    elif op == "replace":
        registry.replace(namespace, layer)
    else:
        raise ValueError(f"unknown change {op!r}")
