"""The Redis state store: several workers and replicas share tokens, sessions, the journal,
report counters, runtime scenarios and clock offsets (docs/state-stores.md).

Keys (all under `dqe:`; one key per record, each with a TTL, so Redis expires what the mock
no longer needs and a Redis Cluster could shard them by token):

    dqe:tk:{token}        the token (licence, issued_at, expires_at, namespace)
    dqe:ts:{token}        the id of the token's current session
    dqe:ss:{session id}   the session (phase, decision, pending counters, timeline...)
    dqe:rp:{session id}   what is kept of a session a later /IDMOBILE/ replaced
    dqe:fx:{digest}       the facts many sessions share (scenario outcome, subscriber record)
    dqe:ck:off            the global clock advance; dqe:ck:k:{token} one token's own
    dqe:ck:frozen         the base every process of a frozen clock agrees on (tests)
    dqe:ids, dqe:seq      counters handing out the salt of new values, the session numbers
    dqe:sq                sorted set of session numbers -> ids (the admin listing's order)
    dqe:rt:names, dqe:rt:{namespace}   runtime scenario changes per namespace (replayed)
    dqe:rt:bytes          hash: namespace -> bytes its changes hold (bounded)
    dqe:rt:gen            counts runtime changes and resets: a process that reads a value it
                          has not seen catches up before answering (StateStore.sync)
    dqe:events            stream of journal entries, resets, journal clears, scenario changes
    dqe:jn:id             the journal's entry numbers
    dqe:fh:{namespace}    hash: fault id -> requests it applied to (`first: N`)

Atomic transitions (store/base.py): a request's records are read by one Lua script (LOAD),
the domain runs on them in this process, and the records that changed are written by another
(COMMIT) only if each still holds what was read, else nothing is written and the request runs
again on fresh records. Two processes answering polls of one session at once therefore never
both consume the same pending step, and a consent completes once.

The journal and the client report are a fold of the event stream: each process appends what
it answered and follows the stream (XREAD), so every process's journal and counters see every
request in one order. Runtime scenario changes are kept per namespace (the truth a process
starting later rebuilds from) and announced in the stream (every process applies them).

Redis lost: every call raises StoreUnavailable (a 503 naming the store); redis-py reconnects
on the next call, so the mock answers again when Redis is back, with whatever Redis kept.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from redis.backoff import ExponentialBackoff
from redis.exceptions import RedisError

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
# process's successful write, so 50 concurrent polls of one session need at most 50).
MAX_ATTEMPTS = 200
FACTS_TTL = 2 * 86400.0  # seconds; refreshed by every session that uses them
SCAN_BATCH = 1000
# Seconds a namespace's fault counts live after its last counted request (a day).
FAULT_COUNTS_TTL = 86400.0

# One round trip: the global clock advance, when asked the next salt and session number, then
# per token [token, record, session id, session, own clock advance] and per session id
# [id, session, replacement, its token's part].
_LOAD = """
local out = {redis.call('GET', 'dqe:ck:off') or false, false, false}
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

# Compare-and-set of n records (key, expected or '' for absent or '*' for any, new value or
# '' to delete, TTL in ms), then m (number, id) pairs added to the listing, trimmed to a size.
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
  else redis.call('SET', key, new, 'PX', ARGV[5 + 4 * i]) end
end
local base = 2 + 4 * n
local m = tonumber(ARGV[base])
for j = 0, m - 1 do
  redis.call('ZADD', 'dqe:sq', ARGV[base + 1 + 2 * j], ARGV[base + 2 + 2 * j])
end
if m > 0 then
  local limit = tonumber(ARGV[base + 1 + 2 * m])
  local size = redis.call('ZCARD', 'dqe:sq')
  if size > limit then redis.call('ZREMRANGEBYRANK', 'dqe:sq', 0, size - limit - 1) end
end
return 1
"""

# A journal entry: numbered and appended in one step, so the stream's order is the numbers'.
_RECORD = """
local id = redis.call('INCR', 'dqe:jn:id')
redis.call('XADD', 'dqe:events', 'MAXLEN', '~', ARGV[2], '*', 'k', 'entry', 'id', id,
           'd', ARGV[1])
return id
"""

Quad = tuple[str, bytes, bytes, int]


def _stream_key(stream_id: bytes | str) -> tuple[int, int]:
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


@dataclass
class _Loaded:
    """What LOAD read, decoded (before it is installed in the MockState)."""

    offset: float
    salt: int | None
    seq: int | None
    tokens: list[str] = field(default_factory=list)
    # key -> stored bytes (absent keys are absent), for the compare-and-set
    raw: dict[str, bytes] = field(default_factory=dict)
    # per token: (record, session, own clock advance); the pointer read
    records: dict[str, tuple[Any, Session | None, float]] = field(default_factory=dict)
    pointers: dict[str, str] = field(default_factory=dict)
    # per consent session id: what is kept of it if replaced
    replaced: dict[str, Any] = field(default_factory=dict)


class RedisStore(StateStore):
    """The state in Redis at `url` (see the module docstring); `shown` is the URL without
    its password. `stream_length` bounds the event stream; `max_sessions` the listing."""

    def __init__(
        self,
        state: MockState,
        url: str,
        shown: str,
        max_document_bytes: int,
        max_sessions: int,
        stream_length: int = STREAM_LENGTH,
    ) -> None:
        self.state = state
        self.url = url
        self.shown = shown
        self.max_document_bytes = max_document_bytes
        self.max_sessions = max_sessions
        self.stream_length = stream_length
        # redis-py's own annotations type replies as bytes | str | ...: read as bytes here.
        self._redis: Any = None
        self._lock = asyncio.Lock()
        self._last = "0-0"
        self._last_key = (0, 0)
        self._follower: asyncio.Task[None] | None = None
        self._down: str | None = None
        self._last_entry = 0  # the number of the latest journal entry folded
        # Per record key (token or session id): its lock and how many requests use it (_turn).
        self._turns: dict[str, list[Any]] = {}
        # dqe:rt:gen as last read: it changes with every runtime change and reset (sync()).
        self._generation: bytes | None = None
        # Layers this process loaded for a change it announced (by event id): not parsed twice.
        self._own_layers: dict[str, ScenarioSet] = {}
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
            detail = str(exc) or type(exc).__name__
            if self._down is None:
                log.warning("state store %s unavailable: %s", self.shown, detail)
            self._down = detail
            raise StoreUnavailable(self.shown, detail) from None
        if self._down is not None:
            log.info("state store %s reachable again", self.shown)
            self._down = None

    async def start(self) -> None:
        self._redis = aioredis.Redis.from_url(
            self.url,
            socket_connect_timeout=2.0,
            socket_timeout=5.0,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
        )
        async with self._guard():
            await self.redis.ping()
            self._load_script = self.redis.register_script(_LOAD)
            self._commit_script = self.redis.register_script(_COMMIT)
            self._record_script = self.redis.register_script(_RECORD)
            if self.state.clock.frozen:
                await self.redis.set("dqe:ck:frozen", math.floor(time.time()), nx=True)
                self.state.clock.freeze_at(float(await self.redis.get("dqe:ck:frozen") or 0))
            newest = await self.redis.xrevrange(STREAM, count=1)
            await self._rebuild_runtime()
            upto = _stream_key(newest[0][0]) if newest else (0, 0)
            await self._read_all(replayed_upto=upto)
        self._follower = asyncio.create_task(self._follow(), name="dqe-mock redis follower")

    async def stop(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            await asyncio.gather(self._follower, return_exceptions=True)
        if self._redis is not None:
            await self._redis.aclose()

    # -- transitions ---------------------------------------------------------------------

    async def run(self, touch: Touch, action: Callable[[Call], T], call: Call) -> T:
        # Requests of this process on the same records take turns (a load test's connections
        # polling one session would otherwise each lose the compare-and-set to the others and
        # retry); only another process's writes make a transition run again.
        async with self._turn((*touch.tokens, *touch.session_ids)):
            return await self._run(touch, action, call)

    @asynccontextmanager
    async def _turn(self, keys: tuple[str, ...]) -> AsyncIterator[None]:
        """Hold the local locks of `keys` (in sorted order: no two requests wait on each
        other); each lock is dropped when its last user leaves."""
        names = sorted(set(keys))
        registered: list[str] = []
        acquired: list[str] = []
        try:
            for name in names:
                entry = self._turns.setdefault(name, [asyncio.Lock(), 0])
                entry[1] += 1
                registered.append(name)
                await entry[0].acquire()
                acquired.append(name)
            yield
        finally:
            for name in reversed(acquired):
                self._turns[name][0].release()
            for name in registered:
                entry = self._turns[name]
                entry[1] -= 1
                if entry[1] == 0:
                    del self._turns[name]

    async def _run(self, touch: Touch, action: Callable[[Call], T], call: Call) -> T:
        for _ in range(MAX_ATTEMPTS):
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
            quads, listing = self._changes(loaded, attempt)
            if quads and not await self._commit(quads, listing):
                continue  # another process changed a record meanwhile: again, on fresh ones
            call.__dict__.update(attempt.__dict__)
            if error is not None:
                raise error
            return result  # type: ignore[return-value]
        raise StoreUnavailable(self.shown, f"a record kept changing under {MAX_ATTEMPTS} attempts")

    async def prepare(self, touch: Touch) -> None:
        self._install(await self._load(touch))

    async def _load(self, touch: Touch) -> _Loaded:
        args: list[str] = ["1" if touch.issues else "0", str(len(touch.tokens))]
        args += touch.tokens
        args += touch.session_ids
        async with self._guard():
            out = await self._load_script(args=args)
        loaded = _Loaded(
            float(out[0]) if out[0] else 0.0,
            int(out[1]) if out[1] else None,
            int(out[2]) if out[2] else None,
        )
        parts: list[tuple[Any, ...]] = list(out[3 : 3 + len(touch.tokens)])
        for session_part in out[3 + len(touch.tokens) :]:
            sid = session_part[0].decode()
            if session_part[2]:
                loaded.replaced[sid] = self._decoded(codec.decode_replacement, session_part[2])
            elif sid not in loaded.replaced:
                loaded.replaced[sid] = None
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
            loaded.records[token] = (decoded, session, float(own) if own else 0.0)
        return loaded

    def _decoded(self, decode: Callable[[bytes], Any], raw: bytes | None) -> Any:
        """A record decoded, or None (logged) when it is not what this store writes."""
        if not raw:
            return None
        try:
            return decode(raw)
        except codec.CodecError as exc:
            log.warning(
                "state store %s: a record is unreadable, taken as absent: %s", self.shown, exc
            )
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
        return max(1, int((max(left, 0.0) + RETENTION) * 1000))

    def _changes(self, loaded: _Loaded, call: Call) -> tuple[list[Quad], list[tuple[int, str]]]:
        """The records that differ from what was read, and the sessions to list."""
        state = self.state
        quads: list[Quad] = []
        listing: list[tuple[int, str]] = []
        tokens = list(loaded.tokens)
        issued = call.token if call.token not in loaded.records else None
        if issued is not None and state.tokens.get(issued) is not None:
            tokens.append(issued)  # issued by this request
        for token in tokens:
            ttl = self._ttl_ms(token)
            record = state.tokens.get(token)
            self._put(
                quads,
                loaded,
                f"dqe:tk:{token}",
                codec.encode_token(record) if record else None,
                ttl,
            )
            session = state.sessions.by_token(token)
            self._put(
                quads, loaded, f"dqe:ts:{token}", session.id.encode() if session else None, ttl
            )
            old_id = loaded.pointers.get(token)
            if session is not None:
                digest, facts_raw = codec.facts_digest(session.facts)
                key = f"dqe:ss:{session.id}"
                is_new = key not in loaded.raw
                self._put(quads, loaded, key, codec.encode_session(session, digest), ttl)
                if is_new:
                    quads.append((f"dqe:fx:{digest}", b"*", facts_raw, int(FACTS_TTL * 1000)))
                    listing.append((session.seq, session.id))
            if old_id is not None and (session is None or session.id != old_id):
                self._put(quads, loaded, f"dqe:ss:{old_id}", None, ttl)
                gone = state.sessions.replaced(old_id)
                if gone is not None:
                    raw = codec.encode_replacement(gone)
                    quads.append((f"dqe:rp:{old_id}", b"*", raw, int(RETENTION * 1000)))
        # Clock advances change only through advance(), never in a transition.
        return quads, listing

    @staticmethod
    def _put(quads: list[Quad], loaded: _Loaded, key: str, new: bytes | None, ttl: int) -> None:
        old = loaded.raw.get(key)
        if new != old:
            quads.append((key, old or b"", new or b"", ttl))

    async def _commit(self, quads: list[Quad], listing: list[tuple[int, str]]) -> bool:
        args: list[Any] = [len(quads)]
        for key, expected, new, ttl in quads:
            args += [key, expected, new, ttl]
        args.append(len(listing))
        for seq, sid in listing:
            args += [seq, sid]
        if listing:
            args.append(self.max_sessions)
        async with self._guard():
            return bool(await self._commit_script(args=args))

    # -- the journal and the report: a fold of the event stream ---------------------------

    async def record(self, entry: JournalEntry) -> None:
        state = self.state
        session = state.sessions.by_token(entry.token) if entry.token else None
        snapshot = None
        if session is not None:
            digest, _ = codec.facts_digest(session.facts)
            snapshot = [digest, codec.loads(codec.encode_session(session, digest))]
        expired = state.token_expired(entry.token) if entry.token else False
        payload = codec.dumps({"e": codec.encode_entry(entry), "s": snapshot, "x": expired})
        async with self._guard():
            await self._record_script(args=[payload, self.stream_length])

    def _snapshot_session(self, token: str) -> Session | None:
        return self._snapshot[0]

    def _snapshot_expired(self, token: str) -> bool:
        return self._snapshot[1]

    async def sync(self) -> None:
        async with self._guard():
            generation = await self.redis.get("dqe:rt:gen")
            if generation != self._generation:
                await self._read_all()
                self._generation = generation

    async def catch_up(self) -> None:
        async with self._guard():
            await self._read_all()

    async def _read_all(self, replayed_upto: tuple[int, int] = (0, 0)) -> None:
        """Apply every event after the last one applied (under the lock)."""
        async with self._lock:
            while True:
                found = await self.redis.xread({STREAM: self._last}, count=1000)
                if not found:
                    return
                await self._apply(found[0][1], replayed_upto)

    async def _follow(self) -> None:
        """Apply events as other processes append them; reconnect (and rebuild the runtime
        scenarios, changes may have been missed) after an outage."""
        pause = 0.05
        lost = False
        while True:
            try:
                found = await self.redis.xread({STREAM: self._last}, count=1000, block=1000)
                if lost:
                    await self._rebuild_runtime()
                    lost = False
                if found:
                    async with self._lock:
                        await self._apply(found[0][1])
                pause = 0.05
            except asyncio.CancelledError:
                raise
            except RedisError as exc:
                if self._down is None:
                    log.warning("state store %s unavailable: %s", self.shown, exc)
                    self._down = str(exc) or type(exc).__name__
                lost = True
                await asyncio.sleep(pause)  # a reconnection's backoff, not a wait on a race
                pause = min(pause * 2, 2.0)
            except Exception:
                log.exception("BUG: the state store's follower failed; it goes on")
                await asyncio.sleep(1.0)

    async def _apply(
        self,
        events: Sequence[tuple[bytes, dict[bytes, bytes]]],
        replayed_upto: tuple[int, int] = (0, 0),
    ) -> None:
        entries: dict[bytes, Any] = {}
        opened: list[bytes] = []
        for event_id, fields in events:
            if fields.get(b"k") != b"entry":
                continue
            with contextlib.suppress(codec.CodecError, KeyError):
                data = entries[event_id] = codec.loads(fields[b"d"])
                found = data.get("s") if isinstance(data, dict) else None
                if isinstance(found, list) and len(found) == 2:
                    opened.append(codec.dumps(found[1]))
        await self._fetch_facts(opened)  # the shared facts of sessions others opened, once
        for event_id, fields in events:
            key = _stream_key(event_id)
            if key <= self._last_key:
                continue  # applied already (by catch_up or the follower)
            replaying = key <= replayed_upto
            kind = fields.get(b"k", b"").decode()
            namespace = fields.get(b"ns", b"").decode() or None
            try:
                if kind == "entry":
                    self._fold(int(fields[b"id"]), entries[event_id])
                elif kind == "reset":
                    self._local_reset(namespace, registry=not replaying)
                elif kind == "journal":
                    self.state.journal.reset(namespace)
                elif kind == "scenarios" and not replaying:
                    await self._apply_change(event_id.decode(), fields)
            except (codec.CodecError, KeyError, ValueError, TypeError, AttributeError) as exc:
                log.warning("state store %s: event %s skipped: %s", self.shown, event_id, exc)
            self._last, self._last_key = event_id.decode(), key

    def _fold(self, entry_id: int, data: Any) -> None:
        entry = codec.decode_entry(entry_id, data["e"])
        session = None
        if data.get("s"):
            digest, value = data["s"]
            facts = codec.known_facts(digest)
            if facts is not None:
                session = codec.decode_session(codec.dumps(value), facts)
        if entry_id <= self._last_entry:
            # Numbered again from 1: Redis lost its data (a restart without persistence, a
            # FLUSHALL). Journal and counters start over, as Redis holds nothing older.
            log.warning(
                "state store %s: its data was lost; journal and report start over", self.shown
            )
            self.state.journal.reset()
            self.state.report.reset(None, self.state.clock.now())
        self._last_entry = entry_id
        self.state.journal.add(entry)
        self._snapshot = (session, bool(data.get("x")))
        try:
            self.state.report.observe(entry)
        finally:
            self._snapshot = (None, False)

    def _local_reset(self, namespace: str | None, registry: bool) -> None:
        """MockState.reset on this process's copy (its registry too unless replaying: the
        runtime changes kept in Redis were rebuilt already)."""
        state = self.state
        for token in state.tokens.reset(namespace):
            state.clock.forget(token)
        state.sessions.reset(namespace)
        state.journal.reset(namespace)
        if registry:
            state.registry.reset(namespace)
        state.faults.reset(namespace)
        if namespace is None:
            state.clock.reset()
            self._last_entry = 0  # a global reset numbers the journal from 1 again
        state.report.reset(namespace, state.clock.now())

    # -- runtime scenarios ---------------------------------------------------------------

    async def change_scenarios(
        self, op: str, namespace: str, text: str = "", layer: ScenarioSet | None = None
    ) -> None:
        key = f"dqe:rt:{namespace}"
        change = codec.dumps([op, text])
        async with self._guard():
            if op != "replace":
                await self._room_for(namespace, len(change))
            pipe = self.redis.pipeline(transaction=True)
            if op == "replace":
                pipe.delete(key)
                pipe.hset("dqe:rt:bytes", namespace, len(change))
            else:
                pipe.hincrby("dqe:rt:bytes", namespace, len(change))
            pipe.rpush(key, change)
            pipe.sadd("dqe:rt:names", namespace)
            pipe.incr("dqe:rt:gen")
            pipe.xadd(
                STREAM,
                {"k": "scenarios", "ns": namespace, "op": op, "t": text},
                maxlen=self.stream_length,
                approximate=True,
            )
            done = await pipe.execute()
            if layer is not None:
                self._own_layers[done[-1].decode()] = layer
            await self._read_all()

    async def _room_for(self, namespace: str, size: int) -> None:
        """Raise RuntimeChangesFull when one more change of `size` bytes passes a bound."""
        count = await self.redis.llen(f"dqe:rt:{namespace}")
        if count >= MAX_RUNTIME_CHANGES:
            raise RuntimeChangesFull(namespace, f"{count} changes")
        held = int(await self.redis.hget("dqe:rt:bytes", namespace) or 0)
        if held + size > MAX_RUNTIME_DOCUMENTS * self.max_document_bytes:
            raise RuntimeChangesFull(
                namespace, f"{held} bytes (+{size} > {MAX_RUNTIME_DOCUMENTS} documents' worth)"
            )

    async def _apply_change(self, event_id: str, fields: dict[bytes, bytes]) -> None:
        namespace = fields[b"ns"].decode()
        op, text = fields[b"op"].decode(), fields[b"t"].decode()
        layer = self._own_layers.pop(event_id, None)
        if layer is None and op != "remove":
            layer = await self._loaded(text, namespace)
            if layer is None:
                return
        apply_change(self.state.registry, op, namespace, text, layer)

    async def _loaded(self, text: str, namespace: str) -> ScenarioSet | None:
        """A runtime document loaded as admin.py loads it (in a worker thread)."""
        try:
            return await asyncio.to_thread(
                load_text, text, f"<admin:{namespace}>", self.max_document_bytes
            )
        except ScenarioFileError as exc:  # accepted once: another version of the mock?
            log.warning("runtime scenarios of %s: a change cannot be loaded: %s", namespace, exc)
            return None

    async def _rebuild_runtime(self) -> None:
        """Every namespace's runtime layer from the changes kept in Redis (the truth)."""
        names = sorted(n.decode() for n in await self.redis.smembers("dqe:rt:names"))
        scratch = ScenarioRegistry(ScenarioSet())
        for namespace in names:
            for raw in await self.redis.lrange(f"dqe:rt:{namespace}", 0, -1):
                op, text = codec.loads(raw)
                layer = None if op == "remove" else await self._loaded(text, namespace)
                if op == "remove" or layer is not None:
                    apply_change(scratch, op, namespace, text, layer)
        registry = self.state.registry
        for namespace in registry.namespaces():
            if namespace not in names:
                registry.reset(namespace)
        for namespace in names:
            registry.replace(namespace, scratch.runtime(namespace))

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
                offset = float(await self.redis.incrbyfloat("dqe:ck:off", seconds))
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
        clock.install(float(offset or 0.0), token, float(own))
        return clock.now(token)

    async def reset(self, namespace: str | None) -> None:
        async with self._guard():
            if namespace is None:
                doomed = [k async for k in self.redis.scan_iter(match="dqe:*", count=SCAN_BATCH)]
                # The frozen base stays, as a reset keeps the clock's; the generation stays
                # and goes up: a process that read it before must see a new value.
                doomed = [k for k in doomed if k not in (b"dqe:ck:frozen", b"dqe:rt:gen")]
                for start in range(0, len(doomed), SCAN_BATCH):
                    await self.redis.unlink(*doomed[start : start + SCAN_BATCH])
            else:
                await self._forget_namespace(namespace)
            fields = {"k": "reset", "ns": namespace or ""}
            pipe = self.redis.pipeline(transaction=True)
            pipe.xadd(STREAM, fields, maxlen=self.stream_length, approximate=True)
            pipe.incr("dqe:rt:gen")
            await pipe.execute()
        await self.catch_up()

    async def _forget_namespace(self, namespace: str) -> None:
        doomed: list[str] = [f"dqe:rt:{namespace}", f"dqe:fh:{namespace}"]
        await self.redis.srem("dqe:rt:names", namespace)
        await self.redis.hdel("dqe:rt:bytes", namespace)
        for prefix, position in (("dqe:tk:", 3), ("dqe:rp:", 3)):
            keys = [k async for k in self.redis.scan_iter(match=prefix + "*", count=SCAN_BATCH)]
            for start in range(0, len(keys), SCAN_BATCH):
                chunk = keys[start : start + SCAN_BATCH]
                for key, raw in zip(chunk, await self.redis.mget(chunk), strict=True):
                    try:
                        owner = codec.loads(raw)[position] if raw else None
                    except (codec.CodecError, IndexError, TypeError):
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
        for start in range(0, len(doomed), SCAN_BATCH):
            await self.redis.unlink(*doomed[start : start + SCAN_BATCH])

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
