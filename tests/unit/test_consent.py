"""The operator's consent step (domain/consent.py) over real session and token stores.

Oracles: docs/consent-page.md (its table: right code and Accept -> success;
Refuse -> error 21; wrong code max_attempts times -> 20; operator_failure -> 18; never comes
back -> pending; an expired request shows no form; numVerify has no code), docs/contract-notes.md
"Contract notes", "The consent step" (the redirect keeps the client's URL byte for byte, appends
`token` and `status`, replaces existing ones, keeps the fragment last), scenario.schema.json
(`consent.otp` default 123456, `max_attempts` default 3) and hand-written expected pages.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockserver.contract.scopes import asks_for_code
from mockserver.domain.clock import Clock
from mockserver.domain.consent import ConsentDesk, ConsentStep, redirect_url
from mockserver.domain.scenarios import Consent, Outcome
from mockserver.domain.sessions import Event, Phase, Session, SessionStore
from mockserver.domain.tokens import TokenStore

CALLBACK = "https://partner.example/cb?order=42"
TTL = 300


class Desk:
    """A consent desk with one session, on a frozen clock starting at 1000 s."""

    def __init__(
        self, scope: str = "formfilling", redirect_uri: str | None = CALLBACK, **consent: Any
    ) -> None:
        self.clock = Clock(lambda: 1000.0, frozen=True)
        self.tokens = TokenStore(seed=1)
        self.sessions = SessionStore(seed=1)
        token, _, _ = self.tokens.issue("100001", self.clock.now(), TTL)
        self.token = token.value
        self.session = Session(
            id="s1", token=token.value, licence="100001", scope=scope, number="+33639980001",
            operator="Orange", scenario_id="sc", outcome=Outcome(consent=Consent(**consent)),
            subscriber={}, created_at=1000.0, redirect_uri=redirect_uri,
        )  # fmt: skip
        self.sessions.put(self.session)
        self.desk = ConsentDesk(self.sessions, self.tokens, self.clock)

    def answer(self, decision: str | None = None, otp: str | None = None) -> ConsentStep:
        step = self.desk.answer("s1", decision, otp)
        assert step is not None
        return step

    def view(self) -> ConsentStep:
        step = self.desk.view("s1")
        assert step is not None
        return step

    def later(self) -> tuple[Event, ...]:
        return self.session.events[1:]


def done_url(desk: Desk, status: str) -> str:
    return f"{CALLBACK}&token={desk.token}&status={status}"


# asks_for_code and redirect_url


@pytest.mark.parametrize(
    ("scope", "asks"),
    [("numVerify", False), ("formfilling", True), ("matching", True),
     ("matching,formfilling", True), ("formfilling,matching", True)],
)  # fmt: skip
def test_only_numverify_goes_without_a_code(scope: str, asks: bool) -> None:
    assert asks_for_code(scope) is asks


@pytest.mark.parametrize(
    ("uri", "expected"),
    [  # docs/contract-notes.md "The consent step": byte for byte, token and status appended
        ("https://p.example/cb", "https://p.example/cb?token=TK1&status=success"),
        ("https://p.example/cb?a=1&b=", "https://p.example/cb?a=1&b=&token=TK1&status=success"),
        ("https://p.example/cb?token=old&x=%20&status=pending",
         "https://p.example/cb?x=%20&token=TK1&status=success"),
        ("https://p.example/cb?a=1#part", "https://p.example/cb?a=1&token=TK1&status=success#part"),
        ("http://p.example:8080/cb?", "http://p.example:8080/cb?token=TK1&status=success"),
    ],
)  # fmt: skip
def test_the_redirect_appends_token_and_status(uri: str, expected: str) -> None:
    assert redirect_url(uri, "TK1", "success") == expected


# Looking at the page


def test_unknown_sessions_have_no_page() -> None:
    desk = Desk()
    assert desk.desk.view("s-unknown") is None
    assert desk.desk.answer("s-unknown", "approve", "123456") is None


def test_the_open_page_asks_for_the_code() -> None:
    desk = Desk(otp="4242", max_attempts=5)
    step = desk.view()
    assert step.session is desk.session
    assert (step.completed, step.redirect_to, step.expired, step.error) == (
        False,
        None,
        False,
        False,
    )
    assert step.message == "Enter the code sent by SMS."
    assert (step.show_otp_field, step.expected_code, step.attempts_left) == (True, "4242", 5)


def test_the_numverify_page_asks_only_for_confirmation() -> None:
    step = Desk(scope="numVerify").view()
    assert step.message == "Confirm it is your line."
    assert (step.show_otp_field, step.expected_code, step.error) == (False, None, False)
    assert step.attempts_left == 3


def test_looking_changes_nothing() -> None:
    desk = Desk()
    desk.view()
    desk.view()
    assert desk.session.phase is Phase.AWAITING_CONSENT
    assert desk.later() == ()


@pytest.mark.parametrize(("elapsed", "expired"), [(TTL - 0.5, False), (TTL, True), (TTL + 1, True)])
def test_the_page_expires_with_the_token(elapsed: float, expired: bool) -> None:
    desk = Desk()
    desk.clock.advance(elapsed, key=desk.token)
    step = desk.view()
    assert step.expired is expired
    if expired:
        assert step.message == "This request has expired."
        assert (step.error, step.show_otp_field, step.completed) == (True, False, False)
        assert step.expected_code == "123456"


def test_an_expired_request_takes_no_answer() -> None:
    desk = Desk()
    desk.clock.advance(TTL, key=desk.token)
    step = desk.answer("approve", "123456")
    assert (step.expired, step.error, step.message) == (True, True, "This request has expired.")
    assert desk.session.phase is Phase.AWAITING_CONSENT


def test_a_forgotten_token_expires_the_page() -> None:
    desk = Desk()
    desk.tokens.reset()
    assert desk.view().expired is True


def test_the_timeline_is_on_the_sessions_own_clock() -> None:
    desk = Desk()
    desk.clock.advance(10, key=desk.token)
    desk.answer("approve", "000000")
    desk.answer("approve", "123456")
    assert desk.later() == (
        Event(1010.0, "otp", "wrong code (1)"),
        Event(1010.0, "consent", "approve"),
    )


def test_only_the_sessions_own_clock_counts() -> None:
    desk = Desk()
    desk.clock.advance(TTL, key="someone-else")
    assert desk.view().expired is False


# Answers (docs/consent-page.md's table)


def test_the_right_code_and_accept_succeed() -> None:
    desk = Desk()
    step = desk.answer("approve", "123456")
    assert (step.completed, step.redirect_to) == (True, done_url(desk, "success"))
    assert step.message == "Consent finished: success."
    assert step.session is desk.session
    assert (desk.session.decision, desk.session.final_error()) == ("approve", None)
    assert desk.later() == (Event(1000.0, "consent", "approve"),)


def test_the_code_may_come_with_spaces_around_it() -> None:
    assert Desk().answer("approve", " 123456 ").redirect_to is not None


def test_accept_without_a_code_field_is_accepted() -> None:
    assert Desk().answer("approve").completed is True


def test_refuse_is_error_21() -> None:
    desk = Desk()
    step = desk.answer("deny", "123456")
    assert step.redirect_to == done_url(desk, "error")
    assert step.message == "Consent finished: error."
    assert desk.session.final_error() == "21"
    assert desk.later() == (Event(1000.0, "consent", "deny"),)


def test_wrong_codes_cost_attempts_then_error_20() -> None:
    desk = Desk()
    first = desk.answer("approve", "000000")
    assert (first.message, first.error, first.attempts_left) == (
        "Wrong code, 2 tries left.",
        True,
        2,
    )
    assert (first.completed, first.show_otp_field) == (False, True)
    second = desk.answer("approve", "111111")
    assert (second.message, second.attempts_left) == ("Wrong code, 1 try left.", 1)
    third = desk.answer("approve", "222222")
    assert (third.completed, third.redirect_to) == (True, done_url(desk, "error"))
    assert desk.session.final_error() == "20"
    assert desk.later() == (
        Event(1000.0, "otp", "wrong code (1)"),
        Event(1000.0, "otp", "wrong code (2)"),
        Event(1000.0, "otp", "wrong code (3)"),
        Event(1000.0, "consent", "wrong_otp"),
    )


def test_one_attempt_allowed_fails_at_the_first_wrong_code() -> None:
    desk = Desk(max_attempts=1)
    assert desk.answer("approve", "000000").completed is True
    assert desk.session.final_error() == "20"


def test_a_right_code_after_a_wrong_one_succeeds() -> None:
    desk = Desk()
    desk.answer("approve", "000000")
    assert desk.answer("approve", "123456").redirect_to == done_url(desk, "success")


def test_an_empty_code_asks_again_without_costing_an_attempt() -> None:
    desk = Desk()
    step = desk.answer("approve", "   ")
    assert (step.message, step.error, step.attempts_left) == (
        "Enter the code sent by SMS.",
        True,
        3,
    )
    assert desk.session.otp_attempts == 0
    assert desk.later() == ()


def test_the_operator_failure_of_the_scenario_is_error_18_after_the_right_code() -> None:
    desk = Desk(decision="operator_failure")
    step = desk.answer("approve", "123456")
    assert step.redirect_to == done_url(desk, "error")
    assert desk.session.final_error() == "18"


def test_abandon_leaves_the_request_open() -> None:
    desk = Desk()
    step = desk.answer("abandon")
    assert (step.completed, step.message, step.error) == (
        False,
        "The user left without answering.",
        False,
    )
    assert desk.session.phase is Phase.AWAITING_CONSENT
    assert desk.later() == (Event(1000.0, "visit", "abandoned"),)


@pytest.mark.parametrize(("decision", "error"), [("wrong_otp", "20"), ("operator_failure", "18")])
def test_other_decisions_apply_as_posted(decision: str, error: str) -> None:
    desk = Desk()
    assert desk.answer(decision).redirect_to == done_url(desk, "error")
    assert desk.session.final_error() == error


# The empty POST: the scenario's user acts


@pytest.mark.parametrize(
    ("scripted", "error"), [("approve", None), ("deny", "21"), ("wrong_otp", "20"),
                            ("operator_failure", "18")],
)  # fmt: skip
def test_an_empty_post_does_what_the_scenario_says(scripted: str, error: str | None) -> None:
    desk = Desk(decision=scripted)
    step = desk.answer()
    assert step.completed is True
    assert desk.session.final_error() == error
    assert desk.later() == (Event(1000.0, "consent", scripted),)


@pytest.mark.parametrize(("scripted", "error"), [("approve", None), ("deny", "21")])
def test_an_empty_post_on_numverify_does_what_the_scenario_says(
    scripted: str, error: str | None
) -> None:
    desk = Desk(scope="numVerify", decision=scripted)
    assert desk.answer().redirect_to == done_url(desk, "success" if error is None else "error")
    assert desk.session.final_error() == error


def test_an_empty_post_of_an_abandoning_user_stays_open() -> None:
    desk = Desk(decision="abandon")
    assert desk.answer().completed is False


def test_a_code_without_decision_is_checked_as_accept_would() -> None:
    wrong = Desk()
    assert wrong.answer(otp="999999").message == "Wrong code, 2 tries left."
    right = Desk(decision="operator_failure")
    right.answer(otp="123456")
    assert right.session.final_error() == "18"
    failing = Desk(decision="operator_failure")
    assert failing.answer(otp="999999").message == "Wrong code, 2 tries left."


def test_a_code_without_decision_does_not_override_a_refusal() -> None:
    desk = Desk(decision="deny")
    desk.answer(otp="123456")
    assert desk.session.final_error() == "21"


# numVerify: the operator detects the line


def test_numverify_accept_needs_no_code() -> None:
    desk = Desk(scope="numVerify")
    assert desk.answer("approve", "not-a-code").redirect_to == done_url(desk, "success")


def test_numverify_refuse_is_error_21() -> None:
    desk = Desk(scope="numVerify")
    assert desk.answer("deny").redirect_to == done_url(desk, "error")
    assert desk.session.final_error() == "21"


@pytest.mark.parametrize(
    ("scripted", "error"), [("wrong_otp", "20"), ("operator_failure", "18"), ("deny", None),
                            ("abandon", None)],
)  # fmt: skip
def test_numverify_accept_fails_only_as_the_scenario_scripts(
    scripted: str, error: str | None
) -> None:
    desk = Desk(scope="numVerify", decision=scripted)
    desk.answer("approve")
    assert desk.session.decision == (scripted if error else "approve")
    assert desk.session.final_error() == error


# After the answer


def test_a_finished_step_answers_the_same_again() -> None:
    desk = Desk()
    desk.answer("deny")
    again = desk.answer("approve", "123456")
    assert (again.completed, again.redirect_to) == (True, done_url(desk, "error"))
    assert desk.view().redirect_to == done_url(desk, "error")
    assert desk.session.decision == "deny"


def test_without_redirect_uri_the_page_confirms_instead() -> None:
    desk = Desk(redirect_uri=None)
    step = desk.answer("approve", "123456")
    assert (step.completed, step.redirect_to) == (True, None)
    assert step.message == "Consent finished: success."
    assert step.session is desk.session
