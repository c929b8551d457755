"""The mock's behaviour over plain parameters (domain/service.py), without HTTP.

Oracles: the vendor pages (token body, expires_in a string, pending then result, the consent
answer's `operator` and `url`), the Contract notes (docs/contract-notes.md) ("The matching result",
"The consent step", "Precedence"), its admin table (timelines, reset per namespace, the journal's
scenario and token columns) and the scenario file reference (token_ttl, consent.auto, pending polls,
result_error). The scenario document is written here, by hand.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.contract.errors import DqeError
from mockserver.domain.clock import Clock
from mockserver.domain.faults import Fault, FaultTarget
from mockserver.domain.journal import JournalEntry
from mockserver.domain.loading import load_text
from mockserver.domain.registry import ScenarioRegistry
from mockserver.domain.service import PRUNE_EVERY, RETENTION, Call, IdMobile, MockState
from mockserver.domain.sessions import Session, SessionStore
from mockserver.domain.tokens import TokenStore
from mockserver.testing.client import user_infos

DOCUMENT = """
version: 1
licences:
  - {licence: "700001", client_secret: s3cret}
  - {licence: "700002", client_secret: s3cret, token_ttl: 60}
operators:
  - name: Opera
scenarios:
  - id: auto-approve
    match: {numbers: ["+33639987001"]}
    operator: Opera
    subscriber: {family_name: Martin, given_name: Marie}
    outcome: {consent: {auto: true}, pending: {polls: 2}}
  - id: auto-deny
    match: {numbers: ["+33639987002"]}
    operator: Opera
    outcome: {consent: {auto: true, decision: deny}}
  - id: needs-a-visit
    match: {numbers: ["+33639987003"]}
    operator: Opera
    outcome: {consent: {auto: true, decision: abandon}}
  - id: consent-for-notp
    match: {numbers: ["+33639987004"]}
    operator: Opera
    subscriber: {family_name: Martin}
    outcome: {consent_required: true, consent: {auto: true}}
  - id: scores-pinned
    match: {numbers: ["+33639987005"]}
    operator: Opera
    subscriber: {family_name: Martin, given_name: Marie}
    outcome: {scores: {family_name: 0.42}}
  - id: notp-override
    match: {numbers: ["+33639987007"]}
    operator: Opera
    subscriber: {family_name: Martin}
    scopes:
      matching_notp: {scores: {family_name: 0.33}}
  - id: per-scope
    match: {numbers: ["+33639987006"], licences: ["700001"], scopes: [formfilling]}
    operator: Opera
    outcome: {consent: {auto: true}}
    scopes:
      formfilling: {pending: {seconds: 30}}
"""
USER_INFOS = user_infos(phone="0639987001", lastname="Martin", firstname="Marie")


RUNTIME = """
version: 1
scenarios:
  - id: ns-only
    match: {numbers: ["+33639987009"]}
    operator: Opera
"""


def make() -> tuple[IdMobile, MockState]:
    state = MockState(
        registry=ScenarioRegistry(load_text(DOCUMENT, "unit.yaml")),
        tokens=TokenStore(seed=1),
        sessions=SessionStore(seed=1),
        clock=Clock(frozen=True),
        default_ttl=300,
    )
    return IdMobile(state), state


def token(mock: IdMobile, licence: str = "700001", call: Call | None = None) -> str:
    grant = {"licence": licence, "client_secret": "s3cret", "grant_type": "client_idmobile"}
    return mock.issue_token(grant, call)["access_token"]


def url_of(session: Session) -> str:
    return f"https://mock.test/consent/{session.id}"


def initiate(
    mock: IdMobile, tok: str, number: str, scope: str = "numVerify", call: Call | None = None,
    **extra: str,
) -> dict[str, Any]:  # fmt: skip
    params = {"number": number, "token": tok, "licence": "700001", "scope": scope, "name": "Acme"}
    if scope != "numVerify":
        params["mode"] = "2"
    if "matching" in scope:
        params["user_infos"] = USER_INFOS
    return mock.initiate({**params, **extra}, url_of, call)


def poll(mock: IdMobile, tok: str, scope: str = "numVerify", call: Call | None = None) -> Any:
    return mock.retrieve({"token": tok, "Licence": "700001", "scope": scope}, call)


def test_a_token_lives_the_default_or_its_licences_lifetime() -> None:
    mock, _ = make()
    grant = {"licence": "700001", "client_secret": "s3cret", "grant_type": "client_idmobile"}
    body = mock.issue_token(grant)
    assert body["expires_in"] == "300"  # a string, as the token page shows
    assert body["access_token"] != body["refresh_token"]
    body = mock.issue_token({**grant, "licence": "700002"})
    assert body["expires_in"] == "60"


def test_the_call_records_what_the_journal_shows() -> None:
    mock, _ = make()
    call = Call()
    tok = token(mock, call=call)
    assert call.token == tok
    assert call.namespace == "700001"  # no X-Dqe-Namespace: the licence code
    call = Call()
    initiate(mock, tok, "+33639987001", call=call)
    assert (call.scenario_id, call.token) == ("auto-approve", tok)
    call = Call()
    poll(mock, tok, call=call)
    assert call.scenario_id == "auto-approve"
    refused = Call()
    with pytest.raises(DqeError):
        poll(mock, "nope", call=refused)
    assert refused.token == "nope"
    assert refused.scenario_id is None


def test_a_namespace_header_wins_over_the_licence() -> None:
    mock, state = make()
    call = Call(namespace_hint="team-a")
    tok = token(mock, call=call)
    assert call.namespace == "team-a"
    assert state.tokens.get(tok) is not None
    with pytest.raises(DqeError) as refused:  # the licence's namespace holds no such token
        initiate(mock, tok, "+33639987001")
    assert refused.value.error_id == "30"
    initiate(mock, tok, "+33639987001", call=Call(namespace_hint="team-a"))


def test_pending_polls_then_the_result_once_and_for_all() -> None:
    mock, state = make()
    tok = token(mock)
    answer = initiate(mock, tok, "+33639987001")
    assert answer["status"] == "success"
    assert answer["operator"] == "Opera"
    session = state.sessions.by_token(tok)
    assert session is not None
    assert answer["url"] == url_of(session)
    assert poll(mock, tok) == {"status": "pending", "scope": "numVerify"}
    assert poll(mock, tok) == {"status": "pending", "scope": "numVerify"}
    first = poll(mock, tok)
    assert first["status"] == "success"
    assert poll(mock, tok) == first  # a finished session stays finished
    kinds = [event.kind for event in session.events]
    assert kinds == ["initiate", "consent", "poll", "poll", "done"]  # done once
    assert session.events[-1].detail == "success"


def test_a_refusal_ends_in_its_error_every_time() -> None:
    mock, state = make()
    tok = token(mock)
    initiate(mock, tok, "+33639987002")
    for _ in range(2):
        with pytest.raises(DqeError) as refused:
            poll(mock, tok)
        assert (refused.value.error_id, refused.value.operator) == ("21", "Opera")
        assert refused.value.scope == "numVerify"
    session = state.sessions.by_token(tok)
    assert session is not None
    assert [e.detail for e in session.events if e.kind == "done"] == ["21"]


def test_an_abandon_is_never_completed_without_a_visit() -> None:
    mock, state = make()
    tok = token(mock)
    initiate(mock, tok, "+33639987003")
    session = state.sessions.by_token(tok)
    assert session is not None
    assert session.decision is None
    assert poll(mock, tok)["status"] == "pending"


def test_the_session_keeps_what_the_request_said() -> None:
    mock, state = make()
    tok = token(mock)
    initiate(
        mock, tok, "0639987001", scope="formfilling", code_name="C-9",
        redirect_uri="https://partner.example/cb",
    )  # fmt: skip
    session = state.sessions.by_token(tok)
    assert session is not None
    assert (session.number, session.scope, session.operator) == (
        "+33639987001",
        "formfilling",
        "Opera",
    )
    assert (session.partner, session.code_name, session.licence) == ("Acme", "C-9", "700001")
    assert session.redirect_uri == "https://partner.example/cb"
    assert session.token == tok
    assert session.scores is None  # formfilling computes no scores
    other = token(mock)
    initiate(mock, other, "+33639987001")
    again = state.sessions.by_token(other)
    assert again is not None
    assert again.redirect_uri is None  # none sent: no redirect
    assert again.code_name == ""


def test_matching_notp_answers_scores_unless_the_operator_wants_consent() -> None:
    mock, state = make()
    tok = token(mock)
    scores = initiate(mock, tok, "+33639987005", scope="matching_notp")
    assert scores["family_name"] == 0.42  # pinned by the scenario
    assert state.sessions.by_token(tok) is None  # answered at once: no session
    answer = initiate(mock, tok, "+33639987004", scope="matching_notp")
    assert set(answer) == {"status", "operator", "url"}
    session = state.sessions.by_token(tok)
    assert session is not None
    assert session.scope == "matching"  # retrieved with scope=matching (Contract notes)
    assert session.scores is not None
    result = poll(mock, tok, scope="matching")
    assert result["scope"] == "matching"
    assert result["matching"]["family_name"] == 1.0


def test_a_reset_of_one_namespace_leaves_the_others() -> None:
    mock, state = make()
    mine = token(mock, call=Call(namespace_hint="mine"))
    theirs = token(mock, call=Call(namespace_hint="theirs"))
    initiate(mock, mine, "+33639987001", call=Call(namespace_hint="mine"))
    state.clock.advance(5, key=mine)
    state.reset("mine")
    assert state.tokens.get(mine) is None
    assert state.sessions.by_token(mine) is None
    assert state.tokens.get(theirs) is not None
    assert state.clock.now(mine) == state.clock.now()  # its offset forgotten
    state.clock.advance(7)
    state.reset()
    assert state.tokens.get(theirs) is None
    assert len(state.tokens) == 0


def test_expired_tokens_are_forgotten_an_hour_later_in_batches() -> None:
    mock, state = make()
    old = token(mock, licence="700002")  # lives 60 s
    initiate(mock, old, "+33639987001", licence="700002")
    state.clock.advance(60 + RETENTION + 1)
    for _ in range(PRUNE_EVERY - 2):
        token(mock)
    assert state.tokens.get(old) is not None  # not yet: the check runs every PRUNE_EVERY
    token(mock)
    assert state.tokens.get(old) is None
    assert state.sessions.by_token(old) is None
    fresh = token(mock, licence="700002")
    state.clock.advance(60 + RETENTION - 1)
    for _ in range(PRUNE_EVERY):
        token(mock)
    assert state.tokens.get(fresh) is not None  # expired less than an hour ago: kept


def test_a_fault_target_names_the_licence_number_and_scenario() -> None:
    mock, state = make()
    tok = token(mock)
    call = Call()
    params = {"number": "06 39 98 70 01", "licence": "700001", "scope": "numVerify"}
    target = mock.fault_target("IDMOBILE", params, call)
    assert (target.endpoint, target.licence, target.number, target.scenario_id) == (
        "IDMOBILE",
        "700001",
        "+33639987001",
        "auto-approve",
    )
    assert call.namespace == "700001"
    bad = mock.fault_target("IDMOBILE", {"number": "abc", "licence": "700001"}, Call())
    assert (bad.number, bad.scenario_id) == (None, None)
    plain = mock.fault_target("ACCESS_TOKEN", {"licence": "700001"}, Call())
    assert (plain.licence, plain.number, plain.scenario_id) == ("700001", None, None)
    with pytest.raises(DqeError):  # the token is not ns-1's: refused before any session
        initiate(mock, tok, "+33639987001", call=Call(namespace_hint="ns-1"))
    assert state.sessions.by_token(tok) is None
    initiate(mock, tok, "+33639987001")
    session = state.sessions.by_token(tok)
    assert session is not None
    on_get = Call()
    target = mock.fault_target("GET", {"token": tok}, on_get)
    assert (target.endpoint, target.licence, target.number, target.scenario_id) == (
        "GET",
        "700001",
        "+33639987001",
        "auto-approve",
    )
    assert on_get.namespace == "700001"
    assert mock.fault_target("IDMOBILE", {"licence": "700001"}, Call()).scenario_id is None
    by_id = mock.fault_target("CONSENT", {}, Call(), session_id=session.id)
    assert by_id.scenario_id == "auto-approve"


def test_scores_are_computed_unless_pinned_and_the_refresh_token_is_sent() -> None:
    mock, _ = make()
    tok = token(mock)
    scores = initiate(mock, tok, "+33639987005", scope="matching_notp")
    assert (scores["family_name"], scores["given_name"]) == (0.42, 1.0)  # Marie = Marie
    grant = {"licence": "700001", "client_secret": "s3cret", "grant_type": "client_idmobile"}
    body = mock.issue_token(grant)
    assert isinstance(body["refresh_token"], str)
    assert body["refresh_token"]


def test_a_scope_override_and_the_tokens_own_clock() -> None:
    mock, state = make()
    tok = token(mock)
    state.clock.advance(100, key=tok)  # this token's clock only
    initiate(mock, tok, "+33639987006", scope="formfilling")
    session = state.sessions.by_token(tok)
    assert session is not None
    assert session.created_at == state.clock.now(tok)
    assert session.events[0].at == state.clock.now(tok)
    assert poll(mock, tok, scope="formfilling")["status"] == "pending"  # 30 s for formfilling
    poll_event = session.events[-1]
    assert (poll_event.kind, poll_event.detail, poll_event.at) == (
        "poll",
        "pending",
        state.clock.now(tok),
    )
    state.clock.advance(30, key=tok)
    assert poll(mock, tok, scope="formfilling")["status"] == "success"
    assert session.events[-1].at == state.clock.now(tok)


def test_a_scenario_for_one_licence_or_scope_is_not_another_s() -> None:
    mock, _ = make()
    params = {"number": "+33639987006", "licence": "700001", "scope": "formfilling"}
    assert mock.fault_target("IDMOBILE", params, Call()).scenario_id == "per-scope"
    other = mock.fault_target("IDMOBILE", {**params, "licence": "700002"}, Call())
    assert other.scenario_id is None
    scope = mock.fault_target("IDMOBILE", {**params, "scope": "numVerify"}, Call())
    assert scope.scenario_id is None
    assert mock.fault_target("GET", {"licence": "700001"}, Call()).endpoint == "GET"


def test_a_namespace_reset_keeps_the_clock_and_the_others() -> None:
    mock, state = make()
    theirs = token(mock, call=Call(namespace_hint="theirs"))
    initiate(mock, theirs, "+33639987001", call=Call(namespace_hint="theirs"))
    fault = Fault("f", "status")
    state.faults.pick([fault], FaultTarget("GET"), "theirs")
    layer = load_text(DOCUMENT, "runtime.yaml")
    state.registry.add("theirs", layer)
    state.clock.advance(7)
    now = state.clock.now()
    state.journal.add(
        JournalEntry(
            id=state.journal.next_id(),
            namespace="theirs",
            at=0.0,
            method="GET",
            path="/GET/",
            endpoint="GET",
            params={},
            status=200,
            response={"status": "pending"},
        )
    )
    state.reset("mine")
    assert state.clock.now() == now  # only a global reset rewinds the clock
    assert state.faults.hits("theirs", "f") == 1
    assert len(state.journal.entries(namespace="theirs")) == 1
    assert state.sessions.by_token(theirs) is not None
    assert state.registry.runtime("theirs").scenarios
    state.reset()
    assert state.clock.now() < now
    assert state.sessions.by_token(theirs) is None
    assert not state.registry.runtime("theirs").scenarios


def test_forgotten_tokens_forget_their_clock_offsets() -> None:
    _, state = make()
    state.clock.advance(5, key="t1")
    keys = state.clock.keys()
    state.forget_tokens(["t1"])
    assert state.clock.keys() == keys - 1


def test_the_namespace_of_a_licence_that_is_no_namespace_name() -> None:
    call = Call()
    call.settle("a licence, with spaces")
    assert call.namespace == "default"
    call.settle("700001")
    assert call.namespace == "700001"


def test_parse_params_reads_user_infos() -> None:
    from mockserver.domain.service import parse_params

    assert parse_params({"user_infos": "  "}) == {"user_infos": ""}  # blank is empty (05)
    assert parse_params({"user_infos": "{not json"}) == {"user_infos": "{not json"}
    deep = "[" * 100_000
    assert parse_params({"user_infos": deep}) == {"user_infos": deep}  # too deep: left as text
    assert parse_params({"user_infos": '{"a": 1}', "x": "y"}) == {"user_infos": {"a": 1}, "x": "y"}


def test_judging_keeps_what_the_http_layer_noted_and_reads_the_namespace_view() -> None:
    mock, state = make()
    state.registry.add("ns-7", load_text(RUNTIME, "runtime.yaml"))
    call = Call(namespace_hint="ns-7", request_violations=("noted before",))
    tok = token(mock, call=call)
    call = Call(namespace_hint="ns-7", request_violations=("noted before",))
    with pytest.raises(DqeError):
        initiate(mock, tok, "+33639987001", call=call, mode="3", scope="formfilling")
    assert call.request_violations[0] == "noted before"
    assert len(call.request_violations) > 1
    answer = initiate(mock, tok, "+33639987009", call=Call(namespace_hint="ns-7"))
    assert answer["operator"] == "Opera"  # the namespace's own scenario


def test_the_consent_step_through_the_service() -> None:
    mock, state = make()
    tok = token(mock)
    initiate(mock, tok, "+33639987003")  # abandon unless the user acts
    session = state.sessions.by_token(tok)
    assert session is not None
    assert mock.consent_view("nope") is None
    assert mock.consent_view(session.id) is not None
    assert session.decision is None  # viewing changes nothing
    step = mock.consent(session.id, "deny", None)
    assert step is not None
    assert session.decision == "deny"
    with pytest.raises(DqeError) as refused:
        poll(mock, tok)
    assert refused.value.error_id == "21"


def test_the_code_reaches_the_consent_step() -> None:
    mock, state = make()
    tok = token(mock)
    initiate(mock, tok, "+33639987003", scope="formfilling")  # a code by SMS (docs/consent-page.md)
    session = state.sessions.by_token(tok)
    assert session is not None
    assert mock.consent(session.id, "approve", "000000") is not None  # not the default code
    assert session.decision is None  # the page again
    mock.consent(session.id, "approve", "123456")  # the default code (scenario reference)
    assert session.decision == "approve"


def test_a_scope_override_of_the_direct_answer() -> None:
    mock, _ = make()
    scores = initiate(mock, token(mock), "+33639987007", scope="matching_notp")
    assert scores["family_name"] == 0.33  # scopes.matching_notp pins it (scenario reference)
