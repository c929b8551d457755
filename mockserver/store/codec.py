"""The JSON a shared store keeps: tokens, sessions (their shared facts apart), replacements,
journal entries.

Everything is JSON text (orjson), never pickle: what is read back from Redis is data, not code
(anyone who can write to the Redis a mock uses could otherwise run code in the mock).
Every encode/decode pair round-trips (tests/unit/test_store_codec.py holds it to that as a
property over generated values).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import orjson

from mockserver.contract.conformance import Note
from mockserver.domain.journal import JournalEntry
from mockserver.domain.scenarios import Consent, Outcome, Pending
from mockserver.domain.sessions import Event, Facts, Phase, Replacement, Session, shared_facts
from mockserver.domain.tokens import AccessToken

# Facts records decoded (by digest) and digests computed (by record), kept at most: a mock
# sees a few licences x scopes x scenarios x namespaces.
MAX_FACTS = 1024
_DECODED: dict[str, Facts] = {}
_DIGESTS: dict[int, tuple[Facts, str, bytes]] = {}


class CodecError(ValueError):
    """Stored text that is not what this module writes (another program's key, a damaged
    value): the store treats the record as absent and logs why."""


def dumps(value: Any) -> bytes:
    """Compact JSON bytes (text a JSON encoder cannot write, a date say, as its str())."""
    return orjson.dumps(value, default=str)


def loads(raw: bytes | str) -> Any:
    """Parsed JSON; raises CodecError for anything else."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CodecError(f"not JSON: {exc}") from None


def _row(raw: bytes | str, size: int, what: str) -> list[Any]:
    """The JSON array of `size` items `raw` holds; raises CodecError for anything else."""
    data = loads(raw)
    if not isinstance(data, list) or len(data) != size:
        raise CodecError(f"not a {what} record: not an array of {size}")
    return data


def encode_token(token: AccessToken) -> bytes:
    """A token as JSON: licence, issued_at and expires_at (mock clock seconds), namespace."""
    return dumps([token.licence, token.issued_at, token.expires_at, token.namespace])


def decode_token(value: str, raw: bytes) -> AccessToken:
    """The token `value` from encode_token's bytes; raises CodecError."""
    try:
        licence, issued, expires, namespace = _row(raw, 4, "token")
        return AccessToken(value, str(licence), float(issued), float(expires), str(namespace))
    except (TypeError, ValueError) as exc:
        raise CodecError(f"not a token record: {exc}") from None


def facts_digest(facts: Facts) -> tuple[str, bytes]:
    """The digest naming `facts` in the store (of their JSON), and that JSON."""
    known = _DIGESTS.get(id(facts))
    if known is not None and known[0] is facts:
        return known[1], known[2]
    raw = dumps(_facts_json(facts))
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
    _remember(_DIGESTS, id(facts), (facts, digest, raw))
    _DECODED.setdefault(digest, facts)  # read back by digest (known_facts), one object
    return digest, raw


def _facts_json(facts: Facts) -> dict[str, Any]:
    return {
        "licence": facts.licence,
        "scope": facts.scope,
        "operator": facts.operator,
        "scenario_id": facts.scenario_id,
        "namespace": facts.namespace,
        "outcome": asdict(facts.outcome),
        "subscriber": dict(facts.subscriber),
    }


def known_facts(digest: str) -> Facts | None:
    """The facts of `digest`, if this process decoded or encoded them."""
    return _DECODED.get(digest)


def decode_facts(digest: str, raw: bytes) -> Facts:
    """The Facts record of encode's JSON, one object per digest; raises CodecError."""
    found = _DECODED.get(digest)
    if found is not None:
        return found
    try:
        data = loads(raw)
        if not isinstance(data, dict):
            raise CodecError("not a facts record: not an object")
        raw_outcome = data["outcome"]
        outcome = Outcome(
            initiate_error=raw_outcome["initiate_error"],
            consent_required=bool(raw_outcome["consent_required"]),
            consent=Consent(**raw_outcome["consent"]),
            pending=Pending(**raw_outcome["pending"]),
            result_error=raw_outcome["result_error"],
            numverify=bool(raw_outcome["numverify"]),
            scores=dict(raw_outcome["scores"]),
        )
        subscriber: Mapping[str, Any] = dict(data["subscriber"])
        facts = shared_facts(
            data["licence"],
            data["scope"],
            data["operator"],
            data["scenario_id"],
            outcome,
            subscriber,
            data["namespace"],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"not a facts record: {exc!r}") from None
    _remember(_DECODED, digest, facts)
    _remember(_DIGESTS, id(facts), (facts, digest, bytes(raw)))
    return facts


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= MAX_FACTS:
        del cache[next(iter(cache))]
    cache[key] = value


SESSION_ITEMS = 17


def encode_session(session: Session, digest: str) -> bytes:
    """A session as JSON, its facts named by `digest` (facts_digest)."""
    return dumps(
        [
            session.id,
            session.token,
            session.number,
            session.created_at,
            digest,
            session.partner,
            session.code_name,
            session.redirect_uri,
            session.scores.hex() if session.scores is not None else None,
            session.phase.value,
            session.decision,
            session.consented_at,
            session.polls_after_consent,
            session.otp_attempts,
            session.final,
            [[e.at, e.kind, e.detail] for e in session.later],
            session.seq,
        ]
    )


def session_facts_digest(raw: bytes) -> str:
    """The facts digest a stored session names; raises CodecError."""
    digest = _row(raw, SESSION_ITEMS, "session")[4]
    if not isinstance(digest, str):
        raise CodecError("not a session record: no facts digest")
    return digest


def decode_session(raw: bytes, facts: Facts) -> Session:
    """The session of encode_session's bytes, with its facts; raises CodecError."""
    try:
        (
            sid, token, number, created_at, _digest, partner, code_name, redirect_uri, scores,
            phase, decision, consented_at, polls, otp_attempts, final, later, seq,
        ) = _row(raw, SESSION_ITEMS, "session")  # fmt: skip
        session = Session.__new__(Session)
        session.id, session.token, session.number = str(sid), str(token), str(number)
        session.created_at = float(created_at)
        session.facts = facts
        session.partner, session.code_name = str(partner), str(code_name)
        session.redirect_uri = redirect_uri
        session.scores = bytes.fromhex(scores) if scores is not None else None
        session.phase = Phase(phase)
        session.decision = decision
        session.consented_at = float(consented_at) if consented_at is not None else None
        session.polls_after_consent = int(polls)
        session.otp_attempts = int(otp_attempts)
        session.final = final
        session.later = tuple(
            Event(float(at), str(kind), str(detail)) for at, kind, detail in later
        )
        session.seq = int(seq)
    except (TypeError, ValueError) as exc:
        raise CodecError(f"not a session record: {exc!r}") from None
    return session


def encode_replacement(found: Replacement) -> bytes:
    """What is kept of a replaced session, as JSON."""
    return dumps([found.at, found.by, found.operator, found.namespace])


def decode_replacement(raw: bytes) -> Replacement:
    """encode_replacement's record; raises CodecError."""
    try:
        at, by, operator, namespace = _row(raw, 4, "replacement")
        return Replacement(float(at), str(by), str(operator), str(namespace))
    except (TypeError, ValueError) as exc:
        raise CodecError(f"not a replacement record: {exc!r}") from None


def encode_entry(entry: JournalEntry) -> dict[str, Any]:
    """A journal entry as a JSON-ready mapping, its id aside (the store numbers entries)."""
    return {
        "at": entry.at,
        "namespace": entry.namespace,
        "method": entry.method,
        "path": entry.path,
        "endpoint": entry.endpoint,
        "params": dict(entry.params),
        "status": entry.status,
        "response": entry.response,
        "scenario_id": entry.scenario_id,
        "token": entry.token,
        "error_id": entry.error_id,
        "fault": entry.fault,
        "request_violations": list(entry.request_violations),
        "error_reason": entry.error_reason,
        "notes": [[n.id, n.message, n.page] for n in entry.notes],
        "http_layer": entry.http_layer,
    }


def decode_entry(entry_id: int, data: Mapping[str, Any]) -> JournalEntry:
    """The journal entry `entry_id` of encode_entry's mapping; raises CodecError."""
    try:
        return JournalEntry(
            id=entry_id,
            at=float(data["at"]),
            namespace=str(data["namespace"]),
            method=str(data["method"]),
            path=str(data["path"]),
            endpoint=data["endpoint"],
            params={str(k): str(v) for k, v in data["params"].items()},
            status=int(data["status"]),
            response=data["response"],
            scenario_id=data["scenario_id"],
            token=data["token"],
            error_id=data["error_id"],
            fault=data["fault"],
            request_violations=tuple(str(v) for v in data["request_violations"]),
            error_reason=data["error_reason"],
            notes=tuple(Note(str(i), str(m), str(p)) for i, m, p in data["notes"]),
            http_layer=bool(data["http_layer"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CodecError(f"not a journal entry: {exc!r}") from None
