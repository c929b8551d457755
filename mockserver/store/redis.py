"""The Redis state store: several workers and replicas share tokens, sessions, the journal,
report counters, runtime scenarios, fault counts and clock offsets (docs/state-stores.md).

Keys (all under `dqe:`; records carry a TTL, so Redis expires what the mock no longer needs):

    dqe:tk:{token}        the token (licence, issued_at, expires_at, namespace)
    dqe:ts:{token}        the id of the token's current session
    dqe:ss:{session id}   the session (phase, decision, pending counters, timeline...)
    dqe:rp:{session id}   what is kept of a session a later /IDMOBILE/ replaced
    dqe:fx:{digest}       the facts many sessions share (scenario outcome, subscriber record)
    dqe:tq, dqe:sq        sorted sets of tokens and sessions in order of arrival: the bounds
                          --max-tokens and --max-sessions (the oldest go), the admin listing
    dqe:ck:off            the global clock advance; dqe:ck:k:{token} one token's own
    dqe:ck:frozen         the base every process of a frozen clock agrees on (tests)
    dqe:ids, dqe:seq      counters handing out the salt of new values, the session numbers
    dqe:rt:ns:{namespace} list of a namespace's runtime scenario changes (replayed)
    dqe:rt:versions       hash: namespace -> the generation of its latest change
    dqe:rt:bytes          hash: namespace -> bytes its changes hold (bounded)
    dqe:rt:gen            counts runtime changes and resets (every request reads it)
    dqe:fh:{namespace}    hash: fault id -> requests it applied to (`first: N`)
    dqe:events            stream of journal entries, resets and journal clears
    dqe:jn:id             the journal's entry numbers

Atomic transitions (store/base.py): a request's records are read by one Lua script (LOAD),
the domain runs on them in this process, and the records that changed are written by another
(COMMIT) only if each record read still holds what was read, else nothing is written and the
request runs again on fresh records. Two processes answering polls of one session at once
therefore never both consume the same pending step, and a consent completes once. No command
is retried by the client library: a reply lost after the script ran must not apply it twice.

Runtime scenarios: the truth is each namespace's list of changes; LOAD also reads
`dqe:rt:gen`, and a process that sees a value it has not seen rebuilds the namespaces whose
version changed before answering, so a scenario added through one replica is matched by the
next request whichever replica answers it.

The journal and the client report are a fold of the event stream: each process appends what
it answered (several requests' entries in one round trip) and follows the stream, so every
process's journal and counters see every request in one order.

Redis lost: every call raises StoreUnavailable (a 503 naming the store); the next call
reconnects, so the mock answers again when Redis is back, with whatever Redis kept.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from mockserver.contract.errors import DqeError
from mockserver.domain.client_report import ClientReport
from mockserver.domain.faults import Fault, FaultTarget
from mockserver.domain.journal import JournalEntry
from mockserver.domain.loading import ScenarioFileError, load_text
from mockserver.domain.registry import ScenarioRegistry
from mockserver.domain.scenarios import ScenarioSet
from mockserver.domain.service import RETENTION, Call, MockState
from mockserver.domain.sessions import Session
from mockserver.store import codec
from mockserver.store.base import (
    MAX_RUNTIME_CHANGES,
    MAX_RUNTIME_DOCUMENTS,
    RuntimeChangesFull,
    StateStore,
    StoreUnavailable,
    Touch,
    apply_change,
)

log = logging.getLogger("dqe_mock.store")
T = TypeVar("T")

STREAM = "dqe:events"
# Events the stream keeps (about: MAXLEN ~). A process started later rebuilds its journal and
# report counters from these; ~1 KB each.
STREAM_LENGTH = 10_000
# Attempts of one transition before giving up with a 503 (each loses only to another
# process's successful write: requests of one process on one record take turns).
MAX_ATTEMPTS = 200
FACTS_TTL = 2 * 86400.0  # seconds; refreshed by every session that uses them
# What is kept of a replaced session (its consent url answers 410 rather than 404): a day.
REPLACED_TTL = 86400.0
SCAN_BATCH = 1000
# Seconds a namespace's fault counts live after its last counted request (a day).
FAULT_COUNTS_TTL = 86400.0
# Seconds one Redis call may take before the request is answered 503 (a stalled Redis).
CALL_TIMEOUT = 2.0
# Journal entries this process appended and has not yet read back from the stream, at most.
MAX_UNREAD_OWN = 10_000

# One round trip: the global clock advance, when asked the next salt and session number, the
# scenario generation, then per token [token, record, session id, session, own clock advance]
# and per session id [id, session, replacement, its token's part].
_LOAD = """
local out = {redis.call('GET', 'dqe:ck:off') or false, false, false,
             redis.call('GET', 'dqe:rt:gen') or false}
if ARGV[1] == '1' then
  out[2] = redis.call('INCR', 'dqe:ids')
  out[3] = redis.call('INCR', 'dqe:seq')
end
local function token_part(t)
  local sid = redis.call('GET', 'dqe:ts:' .. t)
  local ss = false
  if sid then ss = redis.call('GET', 'dqe:ss:' .. sid) or false end
  return {t, redis.call('GET', 'dqe:tk:' .. t) or false, sid or false, ss,
          redis.call('GET', 'dqe:ck:k:' .. t) or false}
end
local n = tonumber(ARGV[2])
for i = 1, n do out[#out + 1] = token_part(ARGV[2 + i]) end
for i = 3 + n, #ARGV do
  local id = ARGV[i]
  local ss = redis.call('GET', 'dqe:ss:' .. id)
  local part = {id, ss or false, redis.call('GET', 'dqe:rp:' .. id) or false}
  if ss then
    local ok, rec = pcall(cjson.decode, ss)
    if ok and type(rec) == 'table' and type(rec[2]) == 'string' then
      part[4] = token_part(rec[2])
    end
  end
  out[#out + 1] = part
end
return out
"""

# Compare-and-set of n records: key, expected ('' for absent, '*' for any), new value ('' to
# delete, '*' to leave as it is: a record only checked), TTL in ms. Then the sessions and the
# tokens to list, each list trimmed to its bound, the oldest entries' records deleted.
_COMMIT = """
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  local expected = ARGV[3 + 4 * i]
  if expected ~= '*' then
    local current = redis.call('GET', ARGV[2 + 4 * i]) or ''
    if current ~= expected then return 0 end
  end
end
for i = 0, n - 1 do
  local key, new = ARGV[2 + 4 * i], ARGV[4 + 4 * i]
  if new == '' then redis.call('DEL', key)
  elseif new ~= '*' then redis.call('SET', key, new, 'PX', ARGV[5 + 4 * i]) end
end
local at = 2 + 4 * n
local function listed(name, forget)
  local m = tonumber(ARGV[at])
  for j = 0, m - 1 do
    redis.call('ZADD', name, ARGV[at + 1 + 2 * j], ARGV[at + 2 + 2 * j])
  end
  local limit = tonumber(ARGV[at + 1 + 2 * m])
  at = at + 2 + 2 * m
  if m == 0 then return end
  local size = redis.call('ZCARD', name)
  if size > limit then
    for _, gone in ipairs(redis.call('ZRANGE', name, 0, size - limit - 1)) do forget(gone) end
    redis.call('ZREMRANGEBYRANK', name, 0, size - limit - 1)
  end
end
listed('dqe:sq', function(id) redis.call('DEL', 'dqe:ss:' .. id) end)
listed('dqe:tq', function(t)
  local sid = redis.call('GET', 'dqe:ts:' .. t)
  if sid then redis.call('DEL', 'dqe:ss:' .. sid) end
  redis.call('DEL', 'dqe:tk:' .. t, 'dqe:ts:' .. t, 'dqe:ck:k:' .. t)
end)
return 1
"""

# A journal entry: numbered and appended in one step, so the stream's order is the numbers'.
# ARGV: the stream's length, then the fields (name, value...). Returns [number, stream id].
_RECORD = """
local id = redis.call('INCR', 'dqe:jn:id')
local args = {'XADD', 'dqe:events', 'MAXLEN', '~', ARGV[1], '*', 'k', 'entry', 'id', id}
for i = 2, #ARGV do args[#args + 1] = ARGV[i] end
return {id, redis.call(unpack(args))}
"""

# A runtime scenario change, within the namespace's bounds, atomically. ARGV: namespace, op,
# the change (JSON), its size, the most changes, the most bytes. Returns {1, generation} or
# {0, 'count'|'bytes', held}.
_CHANGE = """
local list = 'dqe:rt:ns:' .. ARGV[1]
if ARGV[2] == 'replace' then
  redis.call('DEL', list)
  redis.call('HSET', 'dqe:rt:bytes', ARGV[1], ARGV[4])
else
  local count = redis.call('LLEN', list)
  if count >= tonumber(ARGV[5]) then return {0, 'count', count} end
  local held = tonumber(redis.call('HGET', 'dqe:rt:bytes', ARGV[1]) or '0')
  if held + tonumber(ARGV[4]) > tonumber(ARGV[6]) then return {0, 'bytes', held} end
  redis.call('HINCRBY', 'dqe:rt:bytes', ARGV[1], ARGV[4])
end
redis.call('RPUSH', list, ARGV[3])
local generation = redis.call('INCR', 'dqe:rt:gen')
redis.call('HSET', 'dqe:rt:versions', ARGV[1], generation)
return {1, generation}
"""

# Keys a global reset keeps: the frozen base (a reset keeps the clock's), the generation (it
# goes up: a process that read it before must see a new value) and the event stream (the
# reset is an event in it, after the entries it clears).
_KEPT_BY_RESET = (b"dqe:ck:frozen", b"dqe:rt:gen", STREAM.encode())

Quad = tuple[str, bytes, bytes, int]


def _stream_key(stream_id: bytes | str) -> tuple[int, int]:
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def _seconds(raw: bytes | None, what: str) -> float:
    """A stored number of seconds (0 when absent); CodecError when it is not a finite one."""
    if not raw:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise codec.CodecError(f"{what} is not a number: {raw[:40]!r}") from None
    if not math.isfinite(value):
        raise codec.CodecError(f"{what} is not a finite number: {raw[:40]!r}")
    return value


@dataclass
class _Loaded:
    """What LOAD read, decoded (before it is installed in the MockState)."""

    offset: float
    salt: int | None
    seq: int | None
    generation: bytes | None
    tokens: list[str] = field(default_factory=list)
    # key -> stored bytes (absent keys are absent), for the compare-and-set
    raw: dict[str, bytes] = field(default_factory=dict)
    # per token: (record, session, own clock advance); the pointer read
    records: dict[str, tuple[Any, Session | None, float]] = field(default_factory=dict)
    pointers: dict[str, str] = field(default_factory=dict)
    # per consent session id: what is kept of it if replaced; the ids Redis does not hold
    replaced: dict[str, Any] = field(default_factory=dict)
    absent: list[str] = field(default_factory=list)


@dataclass
class _Outgoing:
    """A journal entry waiting to be appended, and the request waiting for it."""

    fields: list[Any]
    entry: JournalEntry
    session: Session | None
    expired: bool
    done: asyncio.Future[None]


class RedisStore(StateStore):
    """The state in Redis at `url` (see the module docstring); `shown` is the URL without
    its password. `max_tokens` and `max_sessions` bound what Redis keeps (the oldest go);
    `stream_length` the event stream."""

    shared = True

    def __init__(
        self,
        state: MockState,
        url: str,
        shown: str,
        max_document_bytes: int,
        max_sessions: int,
        max_tokens: int,
        stream_length: int = STREAM_LENGTH,
    ) -> None:
        self.state = state
        self.url = url
        self.shown = shown
        self.max_document_bytes = max_document_bytes
        self.max_sessions = max_sessions
        self.max_tokens = max_tokens
        self.stream_length = stream_length
        # redis-py's own annotations type replies as bytes | str | ...: read as bytes here.
        self._redis: Any = None
        self._lock = asyncio.Lock()
        self._last = "0-0"
        self._last_key = (0, 0)
        self._last_entry = 0  # the number of the latest journal entry folded
        self._follower: asyncio.Task[None] | None = None
        self._down: str | None = None
        # dqe:rt:gen as last read, and each namespace's version this process serves.
        self._generation: bytes | None = None
        self._versions: dict[str, bytes] = {}
        self._scenarios_lock = asyncio.Lock()
        # Per record key (token or session id): its lock and how many requests use it (_turn).
        self._turns: dict[str, list[Any]] = {}
        # Journal entries waiting for the next round trip, and the task that sends them.
        self._outbox: list[_Outgoing] = []
        self._sender: asyncio.Task[None] | None = None
        # This process's own entries by stream id, folded without decoding them again.
        self._own: dict[bytes, tuple[JournalEntry, Session | None, bool]] = {}
        # The report's view of the session and token an entry being folded names, as the
        # process that answered saw them when it recorded the entry.
        self._snapshot: tuple[Session | None, bool] = (None, False)
        state.report = ClientReport(
            state.report_rules, self._snapshot_session, self._snapshot_expired, state.clock.now()
        )

    # -- connection ----------------------------------------------------------------------

    @property
    def redis(self) -> Any:
        """The client (after start)."""
        if self._redis is None:
            raise StoreUnavailable(self.shown, "not started")
        return self._redis

    @asynccontextmanager
    async def _guard(self) -> AsyncIterator[None]:
        """Redis errors as StoreUnavailable, logged once per outage; recovery logged."""
        try:
            yield
        except RedisError as exc:
            raise self._unavailable(exc) from None
        if self._down is not None:
            log.info("state store %s reachable again", self.shown)
            self._down = None

    def _unavailable(self, exc: RedisError) -> StoreUnavailable:
        detail = str(exc) or type(exc).__name__
        reachable = not isinstance(exc, RedisConnectionError | RedisTimeoutError)
        if self._down is None:
            log.warning("state store %s unavailable: %s", self.shown, detail)
        self._down = detail
        return StoreUnavailable(self.shown, detail, reachable=reachable)

    async def start(self) -> None:
        self._redis = aioredis.Redis.from_url(
            self.url,
            socket_connect_timeout=CALL_TIMEOUT,
            socket_timeout=CALL_TIMEOUT,
            # No retry: a script whose reply was lost may have run; running it again would
            # apply a transition twice (a pending step consumed twice).
            retry=Retry(NoBackoff(), 0),
        )
        async with self._guard():
            await self.redis.ping()
            self._load_script = self.redis.register_script(_LOAD)
            self._commit_script = self.redis.register_script(_COMMIT)
            self._record_script = self.redis.register_script(_RECORD)
            self._change_script = self.redis.register_script(_CHANGE)
            if self.state.clock.frozen:
                await self.redis.set("dqe:ck:frozen", math.floor(time.time()), nx=True)
                base = _seconds(await self.redis.get("dqe:ck:frozen"), "dqe:ck:frozen")
                self.state.clock.freeze_at(base)
            await self._sync_scenarios(await self.redis.get("dqe:rt:gen"))
            await self._read_all()
        self._follower = asyncio.create_task(self._follow(), name="dqe-mock redis follower")

    async def stop(self) -> None:
        for task in (self._follower, self._sender):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._redis is not None:
            await self._redis.aclose()

    # -- transitions ---------------------------------------------------------------------

    async def begin(self, touch: Touch) -> object:
        loaded = await self._load(touch)
        await self._sync_scenarios(loaded.generation)
        self._install(loaded)
        return loaded

    async def run(
        self, touch: Touch, action: Callable[[Call], T], call: Call, first: object = None
    ) -> T:
        # Requests of this process on the same records take turns (a load test's connections
        # polling one session would otherwise each lose the compare-and-set to the others and
        # retry); only another process's writes make a transition run again.
        async with self._turn((*touch.tokens, *touch.session_ids)) as waited:
            # After a wait, what begin() read is older than the turn before: read again.
            prefetched = first if isinstance(first, _Loaded) and not waited else None
            return await self._run(touch, action, call, prefetched)

    @asynccontextmanager
    async def _turn(self, keys: tuple[str, ...]) -> AsyncIterator[bool]:
        """Hold the local locks of `keys` (in sorted order: no two requests wait on each
        other); each lock is dropped when its last user leaves. Yields whether it waited."""
        names = sorted(set(keys))
        registered: list[str] = []
        acquired: list[str] = []
        waited = False
        try:
            for name in names:
                entry = self._turns.setdefault(name, [asyncio.Lock(), 0])
                entry[1] += 1
                registered.append(name)
                waited = waited or entry[0].locked()
                await entry[0].acquire()
                acquired.append(name)
            yield waited
        finally:
            for name in reversed(acquired):
                self._turns[name][0].release()
            for name in registered:
                entry = self._turns[name]
                entry[1] -= 1
                if entry[1] == 0:
                    del self._turns[name]

    async def _run(
        self, touch: Touch, action: Callable[[Call], T], call: Call, first: _Loaded | None
    ) -> T:
        loaded = first
        for _ in range(MAX_ATTEMPTS):
            if loaded is None:
                loaded = await self._load(touch)
            attempt = replace(call)
            # From here to the changes: synchronous, no other request of this process
            # interleaves between installing the records and reading what changed.
            self._install(loaded)
            error: DqeError | None = None
            try:
                result: T | None = action(attempt)
            except DqeError as exc:
                error, result = exc, None
            commit = self._changes(loaded, attempt)
            if commit is not None and not await self._commit(*commit):
                loaded = None
                continue  # another process changed a record meanwhile: again, on fresh ones
            call.__dict__.update(attempt.__dict__)
            if error is not None:
                raise error
            return result  # type: ignore[return-value]
        raise StoreUnavailable(
            self.shown, f"a record kept changing under {MAX_ATTEMPTS} attempts", reachable=True
        )

    async def prepare(self, touch: Touch) -> None:
        self._install(await self._load(touch))

    async def _load(self, touch: Touch) -> _Loaded:
        args: list[str] = ["1" if touch.issues else "0", str(len(touch.tokens))]
        args += touch.tokens
        args += touch.session_ids
        async with self._guard():
            out = await self._load_script(args=args)
        loaded = _Loaded(
            self._decoded(partial(_seconds, what="dqe:ck:off"), out[0]) or 0.0,
            int(out[1]) if out[1] else None,
            int(out[2]) if out[2] else None,
            out[3] or None,
        )
        parts: list[tuple[Any, ...]] = list(out[4 : 4 + len(touch.tokens)])
        for session_part in out[4 + len(touch.tokens) :]:
            sid = session_part[0].decode()
            loaded.replaced[sid] = self._decoded(codec.decode_replacement, session_part[2])
            if not session_part[1]:
                loaded.absent.append(sid)
            if len(session_part) > 3 and session_part[3]:
                parts.append(session_part[3])
        await self._fetch_facts([p[3] for p in parts if p[3]])
        for token_b, record, pointer, session_raw, own in parts:
            token = token_b.decode()
            if token in loaded.records:
                continue
            loaded.tokens.append(token)
            if record:
                loaded.raw[f"dqe:tk:{token}"] = record
            if pointer:
                loaded.raw[f"dqe:ts:{token}"] = pointer
                loaded.pointers[token] = pointer.decode()
            session = None
            if session_raw and pointer:
                loaded.raw[f"dqe:ss:{pointer.decode()}"] = session_raw
                session = self._session(session_raw)
            decoded = self._decoded(partial(codec.decode_token, token), record)
            seconds = self._decoded(partial(_seconds, what=f"dqe:ck:k:{token}"), own) or 0.0
            loaded.records[token] = (decoded, session, seconds)
        return loaded

    def _decoded(self, decode: Callable[[bytes], Any], raw: bytes | None) -> Any:
        """A record decoded, or None (logged) when it is not what this store writes."""
        if not raw:
            return None
        try:
            return decode(raw)
        except codec.CodecError as exc:
            log.warning("state store %s: unreadable record taken as absent: %s", self.shown, exc)
            return None

    def _session(self, raw: bytes) -> Session | None:
        def decode(data: bytes) -> Session:
            facts = codec.known_facts(codec.session_facts_digest(data))
            if facts is None:
                raise codec.CodecError("its shared facts are gone from the store")
            return codec.decode_session(data, facts)

        found: Session | None = self._decoded(decode, raw)
        return found

    async def _fetch_facts(self, sessions: Sequence[bytes]) -> None:
        """Read the shared facts of these stored sessions this process has not seen yet."""
        wanted: list[str] = []
        for raw in sessions:
            try:
                digest = codec.session_facts_digest(raw)
            except codec.CodecError:
                continue
            if codec.known_facts(digest) is None and digest not in wanted:
                wanted.append(digest)
        await self._fetch_digests(wanted)

    async def _fetch_digests(self, wanted: Sequence[str]) -> None:
        if not wanted:
            return
        async with self._guard():
            found = await self.redis.mget([f"dqe:fx:{d}" for d in wanted])
        for digest, raw in zip(wanted, found, strict=True):
            if raw:
                self._decoded(partial(codec.decode_facts, digest), raw)

    def _install(self, loaded: _Loaded) -> None:
        state = self.state
        state.clock.install(loaded.offset)
        if loaded.salt is not None and loaded.seq is not None:
            state.tokens.reseed(str(loaded.salt))
            state.sessions.reseed(str(loaded.salt), loaded.seq)
        for sid in loaded.absent:
            state.sessions.forget_id(sid)  # gone from Redis: this process's copy goes too
        for token, (record, session, own) in loaded.records.items():
            state.tokens.install(token, record)
            state.sessions.install(token, session)
            state.clock.install(loaded.offset, token, own)
        for sid, replacement in loaded.replaced.items():
            state.sessions.install_replaced(sid, replacement)

    def _ttl_ms(self, token: str) -> int:
        """How long a token's records live, in ms: its remaining life plus RETENTION."""
        record = self.state.tokens.get(token)
        left = record.expires_at - self.state.clock.now(token) if record is not None else 0.0
        return max(1, int((min(max(left, 0.0), 10 * 86400.0) + RETENTION) * 1000))

    def _changes(self, loaded: _Loaded, call: Call) -> tuple[list[Quad], list[Any]] | None:
        """The records that differ from what was read (with the checks that keep them
        consistent) and the listings to add to; None when nothing changed."""
        state = self.state
        quads: list[Quad] = []
        sessions: list[tuple[int, str]] = []
        tokens: list[tuple[int, str]] = []
        touched = list(loaded.tokens)
        issued = call.token if call.token not in loaded.records else None
        if issued is not None and state.tokens.get(issued) is not None:
            touched.append(issued)  # issued by this request
            tokens.append((loaded.salt or 0, issued))
        for token in touched:
            ttl = self._ttl_ms(token)
            written = len(quads)
            record = state.tokens.get(token)
            encoded = codec.encode_token(record) if record else None
            self._put(quads, loaded, f"dqe:tk:{token}", encoded, ttl)
            session = state.sessions.by_token(token)
            pointer = session.id.encode() if session else None
            self._put(quads, loaded, f"dqe:ts:{token}", pointer, ttl)
            old_id = loaded.pointers.get(token)
            if session is not None:
                digest, facts_raw = codec.facts_digest(session.facts)
                key = f"dqe:ss:{session.id}"
                is_new = key not in loaded.raw
                self._put(quads, loaded, key, codec.encode_session(session, digest), ttl)
                if is_new:
                    quads.append((f"dqe:fx:{digest}", b"*", facts_raw, int(FACTS_TTL * 1000)))
                    sessions.append((session.seq, session.id))
            if old_id is not None and (session is None or session.id != old_id):
                self._put(quads, loaded, f"dqe:ss:{old_id}", None, ttl)
                gone = state.sessions.replaced(old_id)
                if gone is not None:
                    raw = codec.encode_replacement(gone)
                    quads.append((f"dqe:rp:{old_id}", b"*", raw, int(REPLACED_TTL * 1000)))
            tk_key = f"dqe:tk:{token}"
            if len(quads) > written and not any(q[0] == tk_key for q in quads[written:]):
                # The token must still be there (a reset may have removed it meanwhile).
                quads.append((tk_key, loaded.raw.get(tk_key, b""), b"*", 0))
        if not quads:
            return None
        return quads, [sessions, self.max_sessions, tokens, self.max_tokens]

    @staticmethod
    def _put(quads: list[Quad], loaded: _Loaded, key: str, new: bytes | None, ttl: int) -> None:
        old = loaded.raw.get(key)
        if new != old:
            quads.append((key, old or b"", new or b"", ttl))

    async def _commit(self, quads: list[Quad], listings: list[Any]) -> bool:
        args: list[Any] = [len(quads)]
        for key, expected, new, ttl in quads:
            args += [key, expected, new, ttl]
        for entries, limit in ((listings[0], listings[1]), (listings[2], listings[3])):
            args.append(len(entries))
            for score, member in entries:
                args += [score, member]
            args.append(limit)
        async with self._guard():
            return bool(await self._commit_script(args=args))

    # -- the journal and the report: a fold of the event stream ---------------------------

    async def record(self, entry: JournalEntry) -> None:
        state = self.state
        session = state.sessions.by_token(entry.token) if entry.token else None
        expired = state.token_expired(entry.token) if entry.token else False
        fields: list[Any] = ["e", codec.dumps(codec.encode_entry(entry)), "x", int(expired)]
        if session is not None:
            digest, _ = codec.facts_digest(session.facts)
            fields += ["f", digest, "s", codec.encode_session(session, digest)]
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outbox.append(_Outgoing(fields, entry, session, expired, done))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send())
        await done

    async def _send(self) -> None:
        """Append the waiting entries, several in one round trip (a pipeline of scripts):
        requests finishing together share it; each waits for its own entry's number."""
        await asyncio.sleep(0)  # the requests of this turn of the loop join the batch
        while self._outbox:
            batch, self._outbox = self._outbox, []
            try:
                replies = await self._append(batch)
            except RedisError as exc:
                failure = self._unavailable(exc)
                for out in batch:
                    if not out.done.done():
                        out.done.set_exception(failure)
                continue
            except Exception as exc:  # a bug: the requests must not wait forever
                for out in batch:
                    if not out.done.done():
                        out.done.set_exception(exc)
                raise
            for out, (number, stream_id) in zip(batch, replies, strict=True):
                if _stream_key(stream_id) > self._last_key:  # not read back already
                    entry = replace(out.entry, id=int(number))
                    self._own[stream_id] = (entry, out.session, out.expired)
                if not out.done.done():
                    out.done.set_result(None)
            while len(self._own) > MAX_UNREAD_OWN:
                del self._own[next(iter(self._own))]

    async def _append(self, batch: Sequence[_Outgoing]) -> list[Any]:
        """The batch's entries appended in one round trip: EVALSHA of the record script,
        pipelined (redis-py's pipelined scripts would first ask SCRIPT EXISTS, a round trip
        each time); loaded when Redis does not know it (restarted), and those sent again."""
        replies = await self._pipelined(batch)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:  # NOSCRIPT: nothing of the script ran for those, so none runs twice
            self._record_script.sha = await self.redis.script_load(_RECORD)
            again = await self._pipelined([batch[i] for i in missing])
            for i, reply in zip(missing, again, strict=True):
                replies[i] = reply
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    async def _pipelined(self, batch: Sequence[_Outgoing]) -> list[Any]:
        pipe = self.redis.pipeline(transaction=False)
        for out in batch:
            pipe.evalsha(self._record_script.sha, 0, self.stream_length, *out.fields)
        replies: list[Any] = await pipe.execute(raise_on_error=False)
        return replies

    def _snapshot_session(self, token: str) -> Session | None:
        return self._snapshot[0]

    def _snapshot_expired(self, token: str) -> bool:
        return self._snapshot[1]

    async def catch_up(self) -> None:
        async with self._guard():
            await self._sync_scenarios(await self.redis.get("dqe:rt:gen"))
            await self._read_all()

    async def _read_all(self) -> None:
        """Apply every event after the last one applied (under the lock)."""
        async with self._lock:
            while True:
                found = await self.redis.xread({STREAM: self._last}, count=1000)
                if not found:
                    return
                await self._apply(found[0][1])

    async def _follow(self) -> None:
        """Apply events as every process appends them; reconnect after an outage."""
        pause = 0.05
        while True:
            try:
                found = await self.redis.xread({STREAM: self._last}, count=1000, block=1000)
                if found:
                    async with self._lock:
                        await self._apply(found[0][1])
                pause = 0.05
            except asyncio.CancelledError:
                raise
            except RedisError as exc:
                self._unavailable(exc)
                await asyncio.sleep(pause)  # a reconnection's backoff, not a wait on a race
                pause = min(pause * 2, 2.0)
            except Exception:
                log.exception("BUG: the state store's follower failed; it goes on")
                await asyncio.sleep(1.0)

    async def _apply(self, events: Sequence[tuple[bytes, dict[bytes, bytes]]]) -> None:
        # The shared facts of sessions other processes opened, read once per batch.
        digests = {f[b"f"].decode() for i, f in events if b"f" in f and i not in self._own}
        await self._fetch_digests([d for d in sorted(digests) if codec.known_facts(d) is None])
        for event_id, fields in events:
            key = _stream_key(event_id)
            if key <= self._last_key:
                continue  # applied already (by catch_up or the follower)
            kind = fields.get(b"k", b"").decode()
            namespace = fields.get(b"ns", b"").decode() or None
            try:
                if kind == "entry":
                    self._fold(event_id, fields)
                elif kind == "reset":
                    self._local_reset(namespace)
                elif kind == "journal":
                    self.state.journal.reset(namespace)
            except (codec.CodecError, KeyError, ValueError, TypeError, AttributeError) as exc:
                log.warning("state store %s: event %s skipped: %s", self.shown, event_id, exc)
            self._last, self._last_key = event_id.decode(), key

    def _fold(self, event_id: bytes, fields: dict[bytes, bytes]) -> None:
        own = self._own.pop(event_id, None)
        if own is not None:
            entry, session, expired = own
        else:
            entry = codec.decode_entry(int(fields[b"id"]), codec.loads(fields[b"e"]))
            facts = codec.known_facts(fields[b"f"].decode()) if b"f" in fields else None
            session = codec.decode_session(fields[b"s"], facts) if facts is not None else None
            expired = fields.get(b"x") == b"1"
        if entry.id <= self._last_entry:
            # Numbered again from 1: Redis lost its data (a restart without persistence, a
            # FLUSHALL). Journal and counters start over, as Redis holds nothing older.
            log.warning("state store %s lost its data: journal, report start over", self.shown)
            self.state.journal.reset()
            self.state.report.reset(None, self.state.clock.now())
        self._last_entry = entry.id
        self.state.journal.add(entry)
        self._snapshot = (session, expired)
        try:
            self.state.report.observe(entry)
        finally:
            self._snapshot = (None, False)

    def _local_reset(self, namespace: str | None) -> None:
        """MockState.reset on this process's copy (the registry follows the versions)."""
        self.state.reset(namespace, runtime=False)
        if namespace is None:
            self._last_entry = 0  # a global reset numbers the journal from 1 again

    # -- runtime scenarios ---------------------------------------------------------------

    async def change_scenarios(
        self, op: str, namespace: str, text: str = "", layer: ScenarioSet | None = None
    ) -> None:
        change = codec.dumps([op, text])
        limit = MAX_RUNTIME_DOCUMENTS * self.max_document_bytes
        async with self._guard():
            reply = await self._change_script(
                args=[namespace, op, change, len(change), MAX_RUNTIME_CHANGES, limit]
            )
        if not int(reply[0]):
            what = "changes" if reply[1] == b"count" else "bytes"
            raise RuntimeChangesFull(namespace, f"{int(reply[2])} {what}")
        generation = int(reply[1])
        async with self._scenarios_lock:
            seen = int(self._generation or 0)
            if generation == seen + 1 and (layer is not None or op == "remove"):
                # Nothing changed anywhere since this process last caught up: apply the change
                # as loaded here rather than reading the namespace back and parsing it again.
                apply_change(self.state.registry, op, namespace, text, layer)
                self._versions[namespace] = self._generation = str(generation).encode()
                return
        async with self._guard():
            await self._sync_scenarios(await self.redis.get("dqe:rt:gen"))

    async def _sync_scenarios(self, generation: bytes | None) -> None:
        """Rebuild the namespaces whose version changed since this process last looked."""
        if generation == self._generation:
            return
        async with self._scenarios_lock:
            if generation == self._generation:
                return
            versions = {
                k.decode(): v for k, v in (await self.redis.hgetall("dqe:rt:versions")).items()
            }
            registry = self.state.registry
            for namespace in list(self._versions):
                if namespace not in versions:
                    registry.reset(namespace)
                    del self._versions[namespace]
            for namespace, version in versions.items():
                if self._versions.get(namespace) != version:
                    registry.replace(namespace, await self._rebuilt(namespace))
                    self._versions[namespace] = version
            self._generation = generation

    async def _rebuilt(self, namespace: str) -> ScenarioSet:
        """A namespace's runtime layer from the changes Redis keeps (the truth)."""
        scratch = ScenarioRegistry(ScenarioSet())
        for raw in await self.redis.lrange(f"dqe:rt:ns:{namespace}", 0, -1):
            try:
                op, text = codec.loads(raw)
            except (codec.CodecError, ValueError, TypeError):
                log.warning("runtime scenarios of %s: a change is unreadable", namespace)
                continue
            layer = None if op == "remove" else await self._loaded(str(text), namespace)
            if op == "remove" or layer is not None:
                apply_change(scratch, str(op), namespace, str(text), layer)
        return scratch.runtime(namespace)

    async def _loaded(self, text: str, namespace: str) -> ScenarioSet | None:
        """A runtime document loaded as admin.py loads it (in a worker thread)."""
        try:
            return await asyncio.to_thread(
                load_text, text, f"<admin:{namespace}>", self.max_document_bytes
            )
        except ScenarioFileError as exc:  # accepted once: another version of the mock?
            log.warning("runtime scenarios of %s: a change cannot be loaded: %s", namespace, exc)
            return None

    # -- admin ---------------------------------------------------------------------------

    async def sessions_page(
        self, after: int, limit: int, namespace: str | None
    ) -> tuple[list[Session], int | None]:
        found: list[Session] = []
        cursor = after
        async with self._guard():
            while True:
                batch = await self.redis.zrangebyscore(
                    "dqe:sq", f"({cursor}", "+inf", start=0, num=max(limit, 100), withscores=True
                )
                if not batch:
                    return found, None
                raws = await self.redis.mget([f"dqe:ss:{sid.decode()}" for sid, _ in batch])
                await self._fetch_facts([r for r in raws if r])
                for (_, score), raw in zip(batch, raws, strict=True):
                    cursor = int(score)
                    session = self._session(raw) if raw else None
                    if session is None:
                        continue
                    if namespace is None or session.namespace == namespace:
                        if len(found) == limit:
                            return found, found[-1].seq
                        found.append(session)

    async def advance(self, seconds: float, token: str | None) -> float | None:
        clock = self.state.clock
        async with self._guard():
            if token is None:
                offset = _seconds(await self.redis.incrbyfloat("dqe:ck:off", seconds), "offset")
                clock.install(offset)
                return clock.now()
            left = await self.redis.pttl(f"dqe:tk:{token}")
            if left is None or left < 0:
                return None
            pipe = self.redis.pipeline(transaction=True)
            pipe.incrbyfloat(f"dqe:ck:k:{token}", seconds)
            pipe.pexpire(f"dqe:ck:k:{token}", left)
            pipe.get("dqe:ck:off")
            own, _, offset = await pipe.execute()
        try:
            clock.install(_seconds(offset, "dqe:ck:off"), token, _seconds(own, "offset"))
        except codec.CodecError as exc:
            raise StoreUnavailable(self.shown, str(exc), reachable=True) from None
        return clock.now(token)

    async def reset(self, namespace: str | None) -> None:
        async with self._guard():
            # Announced first: if Redis refuses writes (full), nothing is deleted either.
            pipe = self.redis.pipeline(transaction=True)
            pipe.xadd(
                STREAM,
                {"k": "reset", "ns": namespace or ""},
                maxlen=self.stream_length,
                approximate=True,
            )
            pipe.incr("dqe:rt:gen")
            if namespace is not None:
                pipe.hdel("dqe:rt:versions", namespace)
                pipe.hdel("dqe:rt:bytes", namespace)
                pipe.delete(f"dqe:rt:ns:{namespace}", f"dqe:fh:{namespace}")
            await pipe.execute()
            if namespace is None:
                doomed = [
                    k
                    async for k in self.redis.scan_iter(match="dqe:*", count=SCAN_BATCH)
                    if k not in _KEPT_BY_RESET
                ]
                await self._unlink(doomed)
            else:
                await self._forget_namespace(namespace)
        await self.catch_up()

    async def _unlink(self, keys: Sequence[bytes | str]) -> None:
        for start in range(0, len(keys), SCAN_BATCH):
            await self.redis.unlink(*keys[start : start + SCAN_BATCH])

    async def _forget_namespace(self, namespace: str) -> None:
        doomed: list[str] = []
        for prefix in ("dqe:tk:", "dqe:rp:"):
            keys = [k async for k in self.redis.scan_iter(match=prefix + "*", count=SCAN_BATCH)]
            for start in range(0, len(keys), SCAN_BATCH):
                chunk = keys[start : start + SCAN_BATCH]
                for key, raw in zip(chunk, await self.redis.mget(chunk), strict=True):
                    try:
                        owner = codec.loads(raw)[3] if raw else None
                    except (codec.CodecError, IndexError, TypeError, KeyError):
                        continue
                    if owner != namespace:
                        continue
                    name = key.decode()
                    doomed.append(name)
                    if prefix == "dqe:tk:":
                        token = name[len(prefix) :]
                        pointer = await self.redis.get(f"dqe:ts:{token}")
                        doomed += [f"dqe:ts:{token}", f"dqe:ck:k:{token}"]
                        if pointer:
                            doomed.append(f"dqe:ss:{pointer.decode()}")
        await self._unlink(doomed)

    async def clear_journal(self, namespace: str | None) -> None:
        async with self._guard():
            fields = {"k": "journal", "ns": namespace or ""}
            await self.redis.xadd(STREAM, fields, maxlen=self.stream_length, approximate=True)
        await self.catch_up()

    async def pick_fault(
        self, faults: Sequence[Fault], target: FaultTarget, namespace: str
    ) -> Fault | None:
        book = self.state.faults
        for fault in faults:
            if not fault.applies(target):
                continue
            async with self._guard():
                pipe = self.redis.pipeline(transaction=True)
                pipe.hincrby(f"dqe:fh:{namespace}", fault.id, 1)
                pipe.expire(f"dqe:fh:{namespace}", int(FAULT_COUNTS_TTL))
                hits, _ = await pipe.execute()
            book.install(namespace, fault.id, int(hits))
            if fault.first is None or int(hits) <= fault.first:
                return fault
        return None

    async def counts(self) -> tuple[int, int]:
        async with self._guard():
            tokens = await self._count("dqe:tk:*")
            sessions = await self._count("dqe:ss:*")
        return tokens, sessions

    async def _count(self, pattern: str) -> int:
        """Keys matching `pattern` (a SCAN: O(keys), for the admin status, off the hot path)."""
        found = 0
        async for _ in self.redis.scan_iter(match=pattern, count=SCAN_BATCH):
            found += 1
        return found
