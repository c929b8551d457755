"""What a shared store writes reads back the same (properties: round trips over generated
values), and stored text that is not a record is refused with CodecError, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.contract.conformance import Note
from mockserver.domain.journal import JournalEntry
from mockserver.domain.scenarios import Consent, Outcome, Pending
from mockserver.domain.sessions import Event, Phase, Replacement, Session
from mockserver.domain.tokens import AccessToken
from mockserver.store import codec

text = st.text(max_size=20)
seconds = st.floats(min_value=0, max_value=1e10, allow_nan=False)
json_scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)

outcomes = st.builds(
    Outcome,
    initiate_error=st.none() | st.sampled_from(["10", "11"]),
    consent_required=st.booleans(),
    consent=st.builds(
        Consent,
        decision=st.sampled_from(["approve", "deny", "wrong_otp", "abandon"]),
        auto=st.booleans(),
        otp=st.text(alphabet="0123456789", min_size=4, max_size=8),
        max_attempts=st.integers(1, 9),
    ),
    pending=st.builds(Pending, polls=st.integers(0, 50), seconds=seconds),
    result_error=st.none() | st.sampled_from(["12", "13"]),
    numverify=st.booleans(),
    scores=st.dictionaries(text, json_values, max_size=3),
)


@st.composite
def sessions(draw: st.DrawFn) -> Session:
    session = Session(
        id=draw(text),
        token=draw(text),
        licence=draw(text),
        scope=draw(st.sampled_from(["numVerify", "matching", "formfilling"])),
        number=draw(text),
        operator=draw(text),
        scenario_id=draw(text),
        outcome=draw(outcomes),
        subscriber=draw(st.dictionaries(text, json_values, max_size=4)),
        created_at=draw(seconds),
        partner=draw(text),
        namespace=draw(text),
        code_name=draw(text),
        redirect_uri=draw(st.none() | text),
        scores=draw(st.none() | st.binary(max_size=9)),
    )
    session.phase = draw(st.sampled_from(list(Phase)))
    session.decision = draw(st.none() | text)
    session.consented_at = draw(st.none() | seconds)
    session.polls_after_consent = draw(st.integers(0, 10**6))
    session.otp_attempts = draw(st.integers(0, 9))
    session.final = draw(st.none() | text)
    session.later = tuple(draw(st.lists(st.builds(Event, seconds, text, text), max_size=5)))
    session.seq = draw(st.integers(0, 2**53))
    return session


SESSION_FIELDS = (
    "id", "token", "number", "created_at", "partner", "code_name", "redirect_uri", "scores",
    "phase", "decision", "consented_at", "polls_after_consent", "otp_attempts", "final",
    "later", "seq", "licence", "scope", "operator", "scenario_id", "outcome", "subscriber",
    "namespace",
)  # fmt: skip


@given(sessions())
def test_a_session_reads_back_the_same(session: Session) -> None:
    digest, facts_raw = codec.facts_digest(session.facts)
    facts = codec.decode_facts(digest, facts_raw)
    back = codec.decode_session(codec.encode_session(session, digest), facts)
    for name in SESSION_FIELDS:
        assert getattr(back, name) == getattr(session, name), name
    # Written again, the same bytes: the compare-and-set sees an unchanged record as such.
    assert codec.encode_session(back, digest) == codec.encode_session(session, digest)


@given(text, text, seconds, seconds, text)
def test_a_token_reads_back_the_same(
    value: str, licence: str, issued: float, expires: float, namespace: str
) -> None:
    token = AccessToken(value, licence, issued, expires, namespace)
    assert codec.decode_token(value, codec.encode_token(token)) == token


@given(st.builds(Replacement, seconds, text, text, text))
def test_a_replacement_reads_back_the_same(found: Replacement) -> None:
    assert codec.decode_replacement(codec.encode_replacement(found)) == found


@given(
    st.integers(1, 2**53),
    st.builds(
        JournalEntry,
        id=st.just(0),
        at=seconds,
        namespace=text,
        method=st.sampled_from(["GET", "POST"]),
        path=text,
        endpoint=st.none() | st.sampled_from(["GET", "IDMOBILE", "consent"]),
        params=st.dictionaries(text, text, max_size=3),
        status=st.integers(0, 599),
        response=json_values,
        scenario_id=st.none() | text,
        token=st.none() | text,
        error_id=st.none() | text,
        fault=st.none() | text,
        request_violations=st.lists(text, max_size=3).map(tuple),
        error_reason=st.none() | text,
        notes=st.lists(st.builds(Note, text, text, text), max_size=3).map(tuple),
        http_layer=st.booleans(),
    ),
)
def test_a_journal_entry_reads_back_the_same(entry_id: int, entry: JournalEntry) -> None:
    data = codec.loads(codec.dumps(codec.encode_entry(entry)))
    back = codec.decode_entry(entry_id, data)
    assert back.id == entry_id
    for name in ("at", "namespace", "method", "path", "endpoint", "status", "response"):
        assert getattr(back, name) == getattr(entry, name), name
    assert dict(back.params) == dict(entry.params)
    assert (back.token, back.error_id, back.fault, back.error_reason) == (
        entry.token,
        entry.error_id,
        entry.fault,
        entry.error_reason,
    )
    assert back.request_violations == entry.request_violations
    assert back.notes == entry.notes
    assert back.http_layer == entry.http_layer


# Stored text that is not a record: another program's value, damage, an older layout.
NOT_RECORDS = [b"", b"{", b"null", b"[]", b'"x"', b"[1, 2]", b'{"a": 1}', b"\xff\xfe"]


@pytest.mark.parametrize("raw", NOT_RECORDS)
def test_what_is_not_a_record_is_refused_with_codec_error(raw: bytes) -> None:
    with pytest.raises(codec.CodecError):
        codec.decode_token("TK1", raw)
    with pytest.raises(codec.CodecError):
        codec.decode_replacement(raw)
    with pytest.raises(codec.CodecError):
        codec.decode_facts("not-a-digest-" + raw.hex(), raw)
    with pytest.raises(codec.CodecError):
        codec.session_facts_digest(raw)
