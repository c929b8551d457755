"""The whole flow as a state machine: tokens, initiations, consent, polls and time, interleaved.

Invariants, checked on every step: each body matches its schema and each error id is allowed
(the contract checks run on every answer); an expired token always gives 30; a finished
session never goes back to pending and keeps its answer; a refused consent ends in a consent
error, an approved one in the scenario's result (its result_error, or success).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    precondition,
    rule,
    run_state_machine_as_test,
)

from contract_tests.support import (
    PARTNER,
    Magic,
    consent_error_ids,
    get_params,
    get_scope,
    idmobile_params,
    magic_table,
)
from contract_tests.target import Target
from mockserver.contract.checks import Response
from mockserver.contract.scopes import scope_values
from mockserver.testing.strategies import number_formats

pytestmark = pytest.mark.mock_only
# Real time passes too (the suite's mock runs a live clock): stay this far from a token's end.
MARGIN = 30


def _magic() -> st.SearchStrategy[Magic]:
    """Rows of the hand-written magic-number table."""
    return st.sampled_from(sorted(magic_table().values(), key=str))


def _consenting() -> st.SearchStrategy[Magic]:
    """Magic numbers whose /IDMOBILE/ answers (most of the time) with a consent url."""
    return _magic().filter(lambda row: row.initiate is None)


@dataclass
class Flow:
    """The current session of one token, as the machine knows it."""

    token: str
    scope: str
    url: str
    row: Magic
    redirected: str | None = None
    final: Any = None

    @property
    def auto(self) -> bool:
        """Consent completed by itself at /IDMOBILE/."""
        return self.row.auto


class FlowMachine(RuleBasedStateMachine):
    """Drive the mock; `target` is set by the test."""

    target: Target

    def __init__(self) -> None:
        super().__init__()
        self.ttl: dict[str, float] = {}
        self.advanced: dict[str, float] = {}
        self.flows: dict[str, Flow] = {}

    def expired(self, token: str) -> bool:
        return self.advanced[token] >= self.ttl[token]

    def call(self, endpoint: str, params: dict[str, str]) -> Response:
        response = self.target.call(endpoint, params)  # every contract check runs here
        if self.expired(params["token"]):
            assert response.error_id == "30", response.body
        return response

    def new_token(self) -> str:
        target = self.target
        body = target.call(
            "ACCESS_TOKEN",
            {
                "client_secret": target.secret,
                "grant_type": "client_idmobile",
                "licence": target.licence,
            },
        ).body
        token = str(body["access_token"])
        self.ttl[token], self.advanced[token] = float(body["expires_in"]), 0.0
        return token

    def pick(self, data: st.DataObject) -> Flow:
        return self.flows[data.draw(st.sampled_from(sorted(self.flows)))]

    def initiate(self, token: str, row: Magic, data: st.DataObject) -> None:
        scope = data.draw(st.sampled_from(scope_values()))
        text = data.draw(number_formats(row.number))
        params = idmobile_params(token, self.target.licence, scope, text, redirect_uri=PARTNER)
        response = self.call("IDMOBILE", params)
        initiate_error = row.initiate_error(scope)
        if initiate_error and not self.expired(token):
            assert response.error_id == initiate_error
        if response.error_id is None and "url" in response.body:
            self.flows[token] = Flow(token, get_scope(scope), response.body["url"], row)

    @rule(magic=st.one_of(_consenting(), _magic()), data=st.data())
    def initiate_with_a_new_token(self, magic: Magic, data: st.DataObject) -> None:
        self.initiate(self.new_token(), magic, data)

    @precondition(lambda self: self.flows)
    @rule(magic=_magic(), data=st.data())
    def initiate_again_with_a_token(self, magic: Magic, data: st.DataObject) -> None:
        """A later /IDMOBILE/ with the same token replaces its session (unless it fails)."""
        self.initiate(self.pick(data).token, magic, data)

    @precondition(lambda self: self.flows)
    @rule(data=st.data(), decision=st.sampled_from([None, "approve", "deny"]))
    def answer_consent(self, data: st.DataObject, decision: str | None) -> None:
        flow = self.pick(data)
        awaiting = flow.redirected is None and not flow.auto
        raw = self.target.visit(flow.url, **({"decision": decision} if decision else {}))
        if awaiting and self.expired(flow.token):
            assert raw.status == 410, "an expired consent step still answers"
            return
        if raw.status == 302:
            assert raw.location is not None
            status = parse_qs(urlsplit(raw.location).query)["status"][0]
            assert flow.redirected in (None, status), "the consent's outcome changed"
            flow.redirected = status
        if awaiting and decision == "deny":
            assert flow.redirected == "error", "a refusal did not end the consent in error"

    @precondition(lambda self: self.flows)
    @rule(data=st.data())
    def poll(self, data: st.DataObject) -> None:
        flow = self.pick(data)
        response = self.call("GET", get_params(flow.token, self.target.licence, flow.scope))
        if self.expired(flow.token):
            return
        if flow.final is not None:
            assert response.body == flow.final, "a finished session changed its answer"
        elif response.status_field != "pending":
            flow.final = response.body
            self.check_final(flow, response)

    def check_final(self, flow: Flow, response: Response) -> None:
        """Consent happened; a refusal ends in its error, an approval in the scenario's."""
        assert flow.redirected is not None or flow.auto, "a result without consent"
        if flow.redirected == "error":
            assert response.error_id in consent_error_ids()
        else:
            assert response.error_id == flow.row.result

    @precondition(lambda self: self.flows)
    @rule(data=st.data(), seconds=st.sampled_from([5, 10, 20, 35, None]))
    def advance_clock(self, data: st.DataObject, seconds: int | None) -> None:
        """A few seconds of one token's clock, or (None) past its expiry."""
        token = self.pick(data).token
        left = self.ttl[token] - self.advanced[token]
        past = max(left, 0.0) + 1.0
        step = float(seconds) if seconds is not None and seconds < left - MARGIN else past
        self.target.expire(token, step)
        self.advanced[token] += step


def test_the_flow_keeps_its_invariants_whatever_the_order(target: Target) -> None:
    machine = type("BoundFlowMachine", (FlowMachine,), {"target": target})
    run_state_machine_as_test(machine, settings=settings(stateful_step_count=15))
