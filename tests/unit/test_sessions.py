"""Sessions (domain/sessions.py): the timeline, consent, pending, final errors, the store.

Oracles: docs/consent-page.md (Refuse: 21, wrong code: 20, operator failure:
18; redirect status success only on approve), docs/contract-notes.md (a second /IDMOBILE/
with the same token replaces the first session), the pending rule of docs/scenarios.md
(`pending: {polls: N}` answers pending N times; `seconds: S` until S seconds after consent),
docs/limits.md (past the limit the session that finished first goes, else the
oldest) and hand-written tables.
"""

from __future__ import annotations

import re

import pytest

from mockserver.domain.scenarios import Consent, Outcome, Pending
from mockserver.domain.sessions import (
    _FACTS,
    MAX_EVENTS,
    MAX_SHARED_FACTS,
    Event,
    Phase,
    Session,
    SessionStore,
    shared_facts,
)

PLAIN = Outcome()
SUBSCRIBER = {"sub": "x"}


def make(
    token: str = "TKa",
    sid: str = "s1",
    outcome: Outcome = PLAIN,
    namespace: str = "default",
    created_at: float = 0.0,
    licence: str = "100001",
) -> Session:
    return Session(
        id=sid, token=token, licence=licence, scope="formfilling", number="+33639980001",
        operator="Orange", scenario_id="happy", outcome=outcome, subscriber=SUBSCRIBER,
        created_at=created_at, partner="Partner", namespace=namespace, code_name="CODE",
        redirect_uri="https://partner.example/cb",
    )  # fmt: skip


def test_a_new_session_awaits_consent_with_what_it_was_opened_with() -> None:
    _FACTS.clear()  # a cache (which a forked test run inherits): emptying it changes no session
    session = make(created_at=12.5, namespace="fresh-new-session")
    assert session.phase is Phase.AWAITING_CONSENT
    assert (session.licence, session.scope, session.operator, session.scenario_id) == (
        "100001",
        "formfilling",
        "Orange",
        "happy",
    )
    assert (session.namespace, session.partner) == ("fresh-new-session", "Partner")
    assert session.code_name == "CODE"
    assert session.subscriber == {"sub": "x"}
    assert session.outcome is PLAIN
    assert (session.decision, session.consented_at, session.final) == (None, None, None)
    assert (session.otp_attempts, session.polls_after_consent, session.scores) == (0, 0, None)
    assert session.events == (Event(12.5, "initiate", "scope=formfilling scenario=happy"),)


def test_partner_code_name_and_namespace_default_to_none_given() -> None:
    session = Session(
        id="s1", token="TKa", licence="100001", scope="numVerify", number="+33639980001",
        operator="Orange", scenario_id="happy", outcome=PLAIN, subscriber=SUBSCRIBER,
        created_at=0.0,
    )  # fmt: skip
    assert (session.partner, session.code_name, session.namespace) == ("", "", "default")
    assert session.redirect_uri is None


def test_sessions_with_different_subscriber_records_keep_their_own() -> None:
    mine, theirs = {"sub": "mine"}, {"sub": "theirs"}
    _FACTS.clear()
    first = Session(
        id="s1", token="TKa", licence="L-own-record", scope="numVerify", number="+33639980001",
        operator="Orange", scenario_id="happy", outcome=PLAIN, subscriber=mine, created_at=0.0,
    )  # fmt: skip
    second = Session(
        id="s2", token="TKb", licence="L-own-record", scope="numVerify", number="+33639980001",
        operator="Orange", scenario_id="happy", outcome=PLAIN, subscriber=theirs, created_at=0.0,
    )  # fmt: skip
    assert (first.subscriber, second.subscriber) == (mine, theirs)


def test_sessions_of_the_same_kind_share_one_facts_record() -> None:
    first, second = make(sid="s1"), make(sid="s2", token="TKb")
    assert first.facts is second.facts
    assert make(namespace="other").facts is not first.facts


def test_the_shared_facts_are_bounded() -> None:
    outcome, record = Outcome(), {}
    _FACTS.clear()  # a cache: emptying it changes no session
    first = shared_facts("L0", "numVerify", "Orange", "x", outcome, record, "bound")
    for n in range(1, MAX_SHARED_FACTS):
        shared_facts(f"L{n}", "numVerify", "Orange", "x", outcome, record, "bound")
    assert shared_facts("L0", "numVerify", "Orange", "x", outcome, record, "bound") is first
    shared_facts("one-more", "numVerify", "Orange", "x", outcome, record, "bound")
    assert len(_FACTS) == MAX_SHARED_FACTS == 1024
    again = shared_facts("L0", "numVerify", "Orange", "x", outcome, record, "bound")
    assert again == first
    assert again is not first  # the oldest record was no longer shared


@pytest.mark.parametrize(
    ("decision", "status", "error"),
    [  # docs/consent-page.md
        ("approve", "success", None),
        ("deny", "error", "21"),
        ("wrong_otp", "error", "20"),
        ("operator_failure", "error", "18"),
    ],
)
def test_consent_decisions_give_the_documented_status_and_error(
    decision: str, status: str, error: str | None
) -> None:
    session = make()
    session.complete_consent(decision, now=3.0)
    assert session.phase is Phase.AWAITING_OPERATOR
    assert (session.decision, session.consented_at) == (decision, 3.0)
    assert session.redirect_status == status
    assert session.final_error() == error
    assert session.events[-1] == Event(3.0, "consent", decision)


def test_the_scenario_result_error_applies_after_approval() -> None:
    session = make(outcome=Outcome(result_error="30"))
    session.complete_consent("approve", now=1.0)
    assert session.final_error() == "30"
    denied = make(outcome=Outcome(result_error="30"))
    denied.complete_consent("deny", now=1.0)
    assert denied.final_error() == "21"


def test_consent_is_completed_once() -> None:
    session = make()
    session.complete_consent("deny", now=1.0)
    session.complete_consent("approve", now=2.0)
    assert (session.decision, session.consented_at) == ("deny", 1.0)
    assert [e.kind for e in session.events] == ["initiate", "consent"]


def test_a_session_is_pending_while_awaiting_consent_and_never_once_done() -> None:
    session = make(outcome=Outcome(pending=Pending(polls=0, seconds=0.0)))
    assert session.still_pending(100.0) is True
    assert session.polls_after_consent == 0
    session.phase = Phase.DONE
    assert session.still_pending(100.0) is False


@pytest.mark.parametrize("polls", [0, 1, 3])
def test_pending_polls_are_answered_pending_that_many_times(polls: int) -> None:
    session = make(outcome=Outcome(pending=Pending(polls=polls)))
    session.complete_consent("approve", now=0.0)
    answers = [session.still_pending(0.0) for _ in range(polls + 2)]
    assert answers == [True] * polls + [False, False]
    assert session.polls_after_consent == polls + 2


def test_pending_seconds_end_exactly_that_long_after_consent() -> None:
    session = make(outcome=Outcome(pending=Pending(seconds=5.0)))
    session.complete_consent("approve", now=10.0)
    assert session.still_pending(14.9) is True
    assert session.still_pending(15.0) is False


def test_pending_polls_come_before_seconds() -> None:
    session = make(outcome=Outcome(pending=Pending(polls=1, seconds=5.0)))
    session.complete_consent("approve", now=10.0)
    assert session.still_pending(100.0) is True  # the first poll is pending whatever the time
    assert session.still_pending(100.0) is False


def test_the_timeline_keeps_the_first_events_and_the_latest() -> None:
    session = make()
    for n in range(MAX_EVENTS + 10):
        session.record(float(n), "poll", str(n))
    events = session.events
    assert len(events) == MAX_EVENTS == 64
    assert events[0].kind == "initiate"
    assert [e.detail for e in events[1:-1]] == [str(n) for n in range(MAX_EVENTS - 2)]
    assert events[-1] == Event(float(MAX_EVENTS + 9), "poll", str(MAX_EVENTS + 9))


def test_the_timeline_is_whole_up_to_its_bound() -> None:
    session = make()
    for n in range(MAX_EVENTS - 1):
        session.record(float(n), "poll")
    assert [e.at for e in session.events[1:]] == [float(n) for n in range(MAX_EVENTS - 1)]
    assert session.events[1].detail == ""


# The store


def test_a_store_holds_at_least_one_session() -> None:
    with pytest.raises(ValueError, match="limit must be 1 or more, not 0"):
        SessionStore(limit=0)
    assert SessionStore(limit=1).limit == 1


def test_ids_are_reproducible_from_the_seed_and_restart_on_reset() -> None:
    store = SessionStore(seed=4)
    ids = [store.new_id() for _ in range(3)]
    assert all(re.fullmatch(r"s[0-9a-f]{24}", i) for i in ids)
    assert len(set(ids)) == 3
    assert [SessionStore(seed=4).new_id() for _ in range(1)] == ids[:1]
    assert SessionStore(seed=5).new_id() not in ids
    store.reset()
    assert store.new_id() == ids[0]
    assert SessionStore().new_id() != SessionStore().new_id()


def test_sessions_are_found_by_token_and_by_id() -> None:
    store = SessionStore(seed=1)
    session = make()
    store.put(session)
    assert store.by_token("TKa") is session
    assert store.by_id("s1") is session
    assert store.by_token("TKz") is None
    assert store.by_id("s9") is None
    assert (store.all(), len(store)) == ([session], 1)


def test_a_second_initiate_with_the_same_token_replaces_the_first() -> None:
    store = SessionStore(seed=1)
    first, second = make(sid="s1"), make(sid="s2")
    store.put(first)
    store.put(second)
    assert store.by_token("TKa") is second
    assert store.by_id("s1") is None
    assert store.all() == [second]


def test_arrival_numbers_increase_and_never_restart() -> None:
    store = SessionStore(seed=1)
    a, b = make(sid="s1", token="TKa"), make(sid="s2", token="TKb")
    store.put(a)
    store.put(b)
    store.reset()
    c = make(sid="s3", token="TKc")
    store.put(c)
    assert (a.seq, b.seq, c.seq) == (1, 2, 3)


def test_past_the_limit_the_first_finished_goes_else_the_oldest() -> None:
    store = SessionStore(seed=1, limit=2)
    a, b, c, d = (make(sid=f"s{n}", token=f"TK{n}") for n in "abcd")
    store.put(a)
    store.put(b)
    store.finished(b)
    store.put(c)  # b finished: it goes, not a
    assert store.all() == [a, c]
    store.put(d)  # nothing finished: the oldest, a
    assert store.all() == [c, d]
    assert store.evicted == 2


def test_a_session_stored_done_counts_as_finished() -> None:
    store = SessionStore(seed=1, limit=2)
    a, b, c = (make(sid=f"s{n}", token=f"TK{n}") for n in "abc")
    b.phase = Phase.DONE
    store.put(a)
    store.put(b)
    store.put(c)
    assert store.all() == [a, c]


def test_finished_ignores_a_session_no_longer_stored() -> None:
    store = SessionStore(seed=1, limit=2)
    a, b, c, gone = (make(sid=f"s{n}", token=f"TK{n}") for n in "abcx")
    store.put(a)
    store.put(b)
    store.finished(gone)  # never stored: must not be picked as a victim later
    store.put(c)
    assert store.all() == [b, c]


def test_drop_tokens_forgets_their_sessions_even_twice() -> None:
    store = SessionStore(seed=1)
    a, b = make(sid="s1", token="TKa"), make(sid="s2", token="TKb")
    store.put(a)
    store.put(b)
    store.drop_tokens(["TKa", "TKa", "TKunknown"])
    store.drop_tokens(["TKa"])
    assert store.all() == [b]
    assert store.by_token("TKa") is None
    assert store.by_id("s1") is None


def test_a_replaced_session_forgotten_later_leaves_the_new_one() -> None:
    store = SessionStore(seed=1, limit=2)
    old, new, other = make(sid="s1"), make(sid="s2"), make(sid="s3", token="TKb")
    store.put(old)
    store.finished(old)
    store.put(new)
    store.put(other)
    assert store.by_token("TKa") is new
    assert store.all() == [new, other]


def test_pages_follow_arrival_with_a_cursor() -> None:
    store = SessionStore(seed=1)
    sessions = [make(sid=f"s{n}", token=f"TK{n}", namespace="odd" if n % 2 else "even")
                for n in range(5)]  # fmt: skip
    for s in sessions:
        store.put(s)
    assert store.page(limit=2) == (sessions[:2], 2)
    assert store.page(after=2, limit=2) == (sessions[2:4], 4)
    assert store.page(after=4, limit=2) == (sessions[4:], None)
    assert store.page(after=1, limit=10, namespace="odd") == ([sessions[1], sessions[3]], None)
    assert store.page(limit=1, namespace="odd") == ([sessions[1]], 2)
    assert store.page() == (sessions, None)
    assert store.page(limit=5) == (sessions, None)
    for n in range(5, 101):
        store.put(make(sid=f"s{n}", token=f"TK{n}"))
    page, cursor = store.page()  # 100 by default (docs/limits.md)
    assert (len(page), cursor) == (100, 100)


def test_reset_of_a_namespace_forgets_only_its_sessions() -> None:
    store = SessionStore(seed=1)
    mine, theirs = make(sid="s1", token="TKa", namespace="mine"), make(sid="s2", token="TKb")
    store.put(mine)
    store.put(theirs)
    first_id = SessionStore(seed=1).new_id()
    store.reset("mine")
    assert store.all() == [theirs]
    assert store.by_token("TKa") is None
    assert store.new_id() == first_id  # the generator went on: no restart


def test_reset_forgets_every_session() -> None:
    store = SessionStore(seed=1, limit=2)
    a, b, c = (make(sid=f"s{n}", token=f"TK{n}") for n in "abc")
    store.put(a)
    store.finished(a)
    store.reset()
    assert (store.all(), len(store), store.by_token("TKa"), store.by_id("sa")) == (
        [],
        0,
        None,
        None,
    )
    store.put(b)
    store.put(c)
    assert store.all() == [b, c]  # no finished entry of a is left to pick


def test_consent_settings_reach_the_session_outcome() -> None:
    outcome = Outcome(consent=Consent(decision="deny"))
    assert make(outcome=outcome).outcome.consent.decision == "deny"
