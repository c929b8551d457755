"""The consent step in a real browser: open the url, answer, land on the partner, poll /GET/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.live import LiveMock, Partner, SyncDqe
from tests.browser.pw import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

Shoot = Callable[[Any], Path]

ORANGE = "+33639980001"
SFR = "+33639980002"
ABANDONED = "+33639983003"
OPERATOR_FAILURE = "+33639983004"


def land_on_partner(page: Page, partner: Partner, token: str, status: str) -> None:
    """The browser is on the partner's /cb with the token, the status and its own order=42."""
    page.wait_for_url(lambda url: url.startswith(f"{partner.url}/cb?"))
    expect(page.locator("#q-token")).to_have_text(token)
    expect(page.locator("#q-status")).to_have_text(status)
    expect(page.locator("#q-order")).to_have_text("42")
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"order": ["42"], "token": [token], "status": [status]}
    assert partner.visits == [{"order": "42", "token": token, "status": status}]


def open_consent(page: Page, url: str, operator: str = "Orange") -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200
    expect(page.locator("#operator")).to_have_text(operator)
    expect(page.locator("#partner")).to_have_text("ACME")
    expect(page.locator("#accept")).to_be_visible()
    expect(page.locator("#refuse")).to_be_visible()


def test_right_code_and_accept_give_success_and_the_data(
    page: Page, api: SyncDqe, partner: Partner, shoot: Shoot
) -> None:
    token, url = api.start(ORANGE, "formfilling", partner.callback(order="42"))
    open_consent(page, url)
    shared = page.locator("#shared li")
    expect(shared).to_have_count(1)
    expect(shared).to_contain_text("birth date, email and postal address")
    code = page.locator("#expected-code").inner_text()
    assert code == "123456"
    assert api.get(token, "formfilling") == {"status": "pending", "scope": "formfilling"}
    page.locator("#otp").fill(code)
    shoot(page)
    page.locator("#accept").click()
    land_on_partner(page, partner, token, "success")
    done = api.poll(token, "formfilling")
    assert done["status"] == "success"
    assert done["formfilling"]["family_name"] == "Dupont"
    assert done["formfilling"]["address"]["locality"] == "Paris"


def test_refuse_gives_error_then_21(
    page: Page, api: SyncDqe, partner: Partner, shoot: Shoot
) -> None:
    token, url = api.start(SFR, "formfilling", partner.callback(order="42"))
    open_consent(page, url, "SFR")
    shoot(page)
    page.locator("#refuse").click()  # no code typed: Refuse needs none
    land_on_partner(page, partner, token, "error")
    assert api.poll(token, "formfilling")["error_id"] == "21"


def test_wrong_codes_until_the_last_try_give_20(
    page: Page, api: SyncDqe, partner: Partner, shoot: Shoot
) -> None:
    token, url = api.start(ORANGE, "formfilling", partner.callback(order="42"))
    open_consent(page, url)
    expect(page.locator("#attempts")).to_have_text("3 tries left")
    for left in ("2 tries", "1 try"):
        page.locator("#otp").fill("000000")
        page.locator("#accept").click()
        expect(page.locator("#message")).to_have_text(f"Wrong code, {left} left.")
        expect(page.locator("#attempts")).to_have_text(f"{left} left")
        assert api.get(token, "formfilling")["status"] == "pending"
    shoot(page)
    page.locator("#otp").fill("999999")
    page.locator("#otp").press("Enter")  # Enter submits with the first button: Accept
    land_on_partner(page, partner, token, "error")
    assert api.poll(token, "formfilling")["error_id"] == "20"


def test_abandoned_page_stays_pending_until_the_token_expires_then_30(
    page: Page, api: SyncDqe, mock: LiveMock, partner: Partner, shoot: Shoot
) -> None:
    token, url = api.start(ABANDONED, "formfilling", partner.callback(order="42"))
    open_consent(page, url)
    page.locator("#otp").fill("123")
    shoot(page)
    page.goto("about:blank")  # the user leaves without answering
    for _ in range(3):
        assert api.get(token, "formfilling") == {"status": "pending", "scope": "formfilling"}
    mock.advance(mock.state.default_ttl + 1)
    body = api.get(token, "formfilling")
    assert (body["status"], body["error_id"]) == ("error", "30")
    response = page.goto(url)
    assert response is not None
    assert response.status == 410
    expect(page.locator("h1")).to_have_text("This request has expired")
    expect(page.locator("#otp")).to_have_count(0)
    assert partner.visits == []


def test_operator_failure_after_the_right_code_gives_18(
    page: Page, api: SyncDqe, partner: Partner, shoot: Shoot
) -> None:
    token, url = api.start(OPERATOR_FAILURE, "formfilling", partner.callback(order="42"))
    open_consent(page, url)
    page.locator("#otp").fill(page.locator("#expected-code").inner_text())
    shoot(page)
    page.locator("#accept").click()
    land_on_partner(page, partner, token, "error")
    assert api.poll(token, "formfilling")["error_id"] == "18"


def test_numverify_has_no_code_and_accept_confirms_the_line(
    page: Page, api: SyncDqe, partner: Partner, shoot: Shoot
) -> None:
    token, url = api.start(ORANGE, "numVerify", partner.callback(order="42"))
    open_consent(page, url)
    expect(page.locator("h1")).to_have_text("Orange detected your line")
    expect(page.locator("#shared li")).to_have_text(
        "Confirmation that this line is the number ACME has for you"
    )
    expect(page.locator("#otp")).to_have_count(0)
    expect(page.locator("#expected-code")).to_have_count(0)
    shoot(page)
    page.locator("#accept").click()
    land_on_partner(page, partner, token, "success")
    assert api.poll(token, "numVerify") == {
        "status": "success",
        "scope": "numVerify",
        "numVerify": True,
    }


def test_hostile_partner_names_show_as_text(
    page: Page, api: SyncDqe, partner: Partner, shoot: Shoot
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    name = "<script>alert(1)</script>"
    code_name = "\"quoted\" & 'single' <img src=x onerror=alert(2)>"
    _, url = api.start(
        ORANGE, "matching", partner.callback(order="42"), name=name, code_name=code_name
    )
    response = page.goto(url)
    assert response is not None
    assert response.status == 200
    expect(page.locator("#partner")).to_have_text(name)
    expect(page.locator("#code-name")).to_have_text(f"(code {code_name})")
    expect(page.locator("#shared li")).to_contain_text(f"the data {name} holds")
    expect(page.locator("script")).to_have_count(0)
    expect(page.locator("img")).to_have_count(0)
    shoot(page)
    assert dialogs == []
