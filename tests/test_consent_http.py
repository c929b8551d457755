"""The operator's consent step over plain HTTP: the page, each outcome, safety."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from mockserver.contract.decisions import consent_decisions, expiry_errors
from mockserver.contract.scopes import consent_scopes
from mockserver.domain.service import MockState
from mockserver.http import pages
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient, Reply

# The same tests on the memory store and on a real Redis (issue 16).
pytestmark = pytest.mark.both_stores
# The conftest's `advance` fixture: moves the clock through the admin API (every store).
Advance = Callable[..., Awaitable[float]]

ORANGE = "+33639980001"
DENIED = "+33639983001"
WRONG_OTP = "+33639983002"
ABANDONED = "+33639983003"
OPERATOR_FAILURE = "+33639983004"
AUTO = "+33639983005"
NUMVERIFY_FALSE = "+33639985001"
OWN_CODE = "+33639989501"
PENDING_AFTER_CONSENT = "+33639989502"
PARTNER = "https://partner.example/cb?order=42&lang=fr"

# Layered over the built-in pack (numbers the pack leaves free).
EXTRA_SCENARIOS = """\
version: 1
scenarios:
  - id: own-code
    description: Bouygues Telecom, code 4321, two tries.
    match: {numbers: ["+33639989501"]}
    operator: Bouygues Telecom
    outcome: {consent: {otp: "4321", max_attempts: 2}}
  - id: pending-after-manual-consent
    description: Consent on the page, then two pending polls.
    match: {numbers: ["+33639989502"]}
    operator: Orange
    subscriber: {given_name: Jean, family_name: Dupont}
    outcome: {pending: {polls: 2}}
"""


@pytest.fixture
def settings(tmp_path: Path, state_store: str) -> Settings:
    """The usual test settings, plus this module's scenarios."""
    extra = tmp_path / "consent.yaml"
    extra.write_text(EXTRA_SCENARIOS)
    return Settings(
        seed=7,
        frozen_clock=True,
        check_responses=True,
        scenario_paths=(extra,),
        state=state_store,
    )


async def start(
    dqe: DqeClient,
    number: str,
    scope: str = "formfilling",
    redirect_uri: str | None = PARTNER,
    **extra: str,
) -> tuple[str, str]:
    """(token, consent url) of a fresh check, redirecting to redirect_uri unless it is None."""
    token = await dqe.token()
    if redirect_uri is not None:
        extra["redirect_uri"] = redirect_uri
    reply = await dqe.idmobile(token, number, scope, **extra)
    assert reply.status == 200, reply.body
    assert reply.violations == []
    assert reply.body["status"] == "success"
    return token, str(reply.body["url"])


async def page(dqe: DqeClient, url: str) -> tuple[int, str, dict[str, str]]:
    """GET the consent page: (status, html, headers)."""
    async with dqe.session.get(url, allow_redirects=False) as response:
        return response.status, await response.text(), dict(response.headers)


def redirect_query(location: str | None) -> dict[str, str]:
    """The query of a redirect to PARTNER (asserting it goes there)."""
    assert location is not None
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "partner.example", "/cb")
    return dict(parse_qsl(parts.query))


async def result(dqe: DqeClient, token: str, scope: str = "formfilling") -> Reply:
    reply = await dqe.get(token, scope)
    assert reply.violations == []
    return reply


# --- the page ---------------------------------------------------------------------------------


async def test_formfilling_page_shows_operator_partner_shared_data_and_code(
    dqe: DqeClient,
) -> None:
    _, url = await start(dqe, ORANGE, code_name="SHOP-7")
    status, text, headers = await page(dqe, url)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "<span class='logo' id='operator'>Orange</span>" in text
    assert "<strong id='partner'>ACME</strong>" in text
    assert "(code SHOP-7)" in text
    for shared in ("identity", "birth date", "email", "postal address"):
        assert shared in text
    assert "+33 6 39 98 00 01" in text
    assert "<code id='expected-code'>123456</code>" in text
    assert "name='otp'" in text
    assert "name='decision' value='approve'" in text
    assert "name='decision' value='deny'" in text
    assert ">Accept</button>" in text
    assert ">Refuse</button>" in text
    assert "script-src" not in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "--brand:#ff7900" in text


@pytest.mark.parametrize(
    ("scope", "shared", "asks_code"),
    [
        ("numVerify", ["this line is the number ACME has for you"], False),
        ("formfilling", ["identity", "birth date", "email", "postal address"], True),
        ("matching", ["comparison of the data ACME holds"], True),
        ("matching,formfilling", ["comparison of the data ACME holds", "birth date"], True),
    ],
)
async def test_page_says_what_each_scope_shares(
    dqe: DqeClient, scope: str, shared: list[str], asks_code: bool
) -> None:
    _, url = await start(dqe, ORANGE, scope)
    status, text, _ = await page(dqe, url)
    assert status == 200
    for item in shared:
        assert item in text
    assert ("name='otp'" in text) is asks_code
    assert ("id='expected-code'" in text) is asks_code
    assert ">Accept</button>" in text
    assert ">Refuse</button>" in text
    if not asks_code:
        assert "Orange detected your line" in text


async def test_expected_code_and_attempts_come_from_the_scenario(dqe: DqeClient) -> None:
    token, url = await start(dqe, OWN_CODE)
    _, text, _ = await page(dqe, url)
    assert "<code id='expected-code'>4321</code>" in text
    assert "123456" not in text
    assert "2 tries left" in text
    assert "--brand:#00529c" in text  # Bouygues Telecom's colour
    status, location, text = await dqe.visit(url, decision="approve", otp="123456")
    assert (status, location) == (200, None)
    assert "Wrong code, 1 try left." in text
    status, location, _ = await dqe.visit(url, decision="approve", otp="4321")
    assert status == 302
    assert redirect_query(location)["status"] == "success"
    assert (await result(dqe, token)).body["status"] == "success"


async def test_viewing_the_page_changes_nothing(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, ORANGE)
    first = await page(dqe, url)
    second = await page(dqe, url)
    assert first[:2] == second[:2]
    session = state.sessions.by_token(token)
    assert session is not None
    assert (session.otp_attempts, session.decision) == (0, None)
    assert [e.kind for e in session.events] == ["initiate"]
    assert (await result(dqe, token)).body == {"status": "pending", "scope": "formfilling"}


async def test_unknown_consent_url_is_an_html_404(dqe: DqeClient) -> None:
    _, url = await start(dqe, ORANGE)
    unknown = url.rsplit("/", 1)[0] + "/s000000000000000000000000"
    status, text, _ = await page(dqe, unknown)
    assert status == 404
    assert "Unknown request" in text
    status, _, _ = await dqe.visit(unknown, decision="approve", otp="123456")
    assert status == 404


# --- outcomes ---------------------------------------------------------------------------------


async def test_right_code_and_accept_redirect_with_success_then_get_gives_the_data(
    dqe: DqeClient,
) -> None:
    token, url = await start(dqe, ORANGE)
    status, location, _ = await dqe.visit(url, decision="approve", otp="123456")
    assert status == 302
    assert location is not None
    assert location.startswith("https://partner.example/cb?order=42&lang=fr&")
    assert redirect_query(location) == {
        "order": "42",
        "lang": "fr",
        "token": token,
        "status": "success",
    }
    done = await result(dqe, token)
    assert done.body["status"] == "success"
    assert done.body["formfilling"]["family_name"] == "Dupont"
    assert done.body["formfilling"]["email"] == "jean.dupont@example.com"


async def test_success_is_visible_after_the_scenarios_pending(dqe: DqeClient) -> None:
    token, url = await start(dqe, PENDING_AFTER_CONSENT)
    status, location, _ = await dqe.visit(url, decision="approve", otp="123456")
    assert status == 302
    assert redirect_query(location)["status"] == "success"
    for _ in range(2):
        assert (await result(dqe, token)).body == {"status": "pending", "scope": "formfilling"}
    done = await result(dqe, token)
    assert done.body["formfilling"]["given_name"] == "Jean"


async def test_finished_page_shows_the_result_and_a_link_back(dqe: DqeClient) -> None:
    token, url = await start(dqe, ORANGE)
    await dqe.visit(url, decision="approve", otp="123456")
    status, text, _ = await page(dqe, url)
    assert status == 200
    assert "<span id='result'>success</span>" in text
    assert "name='otp'" not in text
    back = f"https://partner.example/cb?order=42&amp;lang=fr&amp;token={token}&amp;status=success"
    assert f"href='{back}'" in text
    assert "Back to ACME" in text


async def test_finished_page_without_redirect_uri_has_no_link(dqe: DqeClient) -> None:
    _, url = await start(dqe, ORANGE, redirect_uri=None)
    status, location, text = await dqe.visit(url, decision="approve", otp="123456")
    assert (status, location) == (200, None)
    assert "<span id='result'>success</span>" in text
    assert "id='back'" not in text


async def test_answering_twice_changes_nothing(dqe: DqeClient) -> None:
    token, url = await start(dqe, ORANGE)
    await dqe.visit(url, decision="approve", otp="123456")
    status, location, _ = await dqe.visit(url, decision="deny")
    assert status == 302
    assert redirect_query(location)["status"] == "success"
    assert (await result(dqe, token)).body["status"] == "success"


async def test_refuse_redirects_with_error_then_21(dqe: DqeClient) -> None:
    token, url = await start(dqe, ORANGE)
    status, location, _ = await dqe.visit(url, decision="deny", otp="123456")
    assert status == 302
    assert redirect_query(location) == {
        "order": "42",
        "lang": "fr",
        "token": token,
        "status": "error",
    }
    assert (await result(dqe, token)).error_id == "21"
    _, text, _ = await page(dqe, url)
    assert "You refused" in text


async def test_wrong_codes_until_max_attempts_give_20(dqe: DqeClient) -> None:
    token, url = await start(dqe, ORANGE)
    for left in ("2 tries", "1 try"):
        status, location, text = await dqe.visit(url, decision="approve", otp="000000")
        assert (status, location) == (200, None)
        assert f"Wrong code, {left} left." in text
        assert "name='otp'" in text
        assert (await result(dqe, token)).body["status"] == "pending"
    status, location, _ = await dqe.visit(url, decision="approve", otp="000000")
    assert status == 302
    assert redirect_query(location)["status"] == "error"
    assert (await result(dqe, token)).error_id == "20"


async def test_right_code_after_a_wrong_one_succeeds(dqe: DqeClient) -> None:
    token, url = await start(dqe, WRONG_OTP)  # the scenario's user would fail; this one doesn't
    status, _, text = await dqe.visit(url, decision="approve", otp="654321")
    assert status == 200
    assert "Wrong code, 2 tries left." in text
    status, location, _ = await dqe.visit(url, decision="approve", otp=" 123456 ")
    assert status == 302
    assert redirect_query(location)["status"] == "success"
    assert (await result(dqe, token)).body["status"] == "success"


async def test_an_empty_code_costs_no_attempt(dqe: DqeClient, state: MockState) -> None:
    token, url = await start(dqe, ORANGE)
    status, _, text = await dqe.visit(url, decision="approve", otp="")
    assert status == 200
    assert "Enter the code sent by SMS." in text
    session = state.sessions.by_token(token)
    assert session is not None
    assert session.otp_attempts == 0


async def test_abandoned_page_stays_pending_until_the_token_expires_then_30(
    dqe: DqeClient,
    state: MockState,
    advance: Advance,
) -> None:
    token, url = await start(dqe, ABANDONED)
    assert (await page(dqe, url))[0] == 200
    status, location, _ = await dqe.visit(url)  # the scenario's user leaves
    assert (status, location) == (200, None)
    for _ in range(3):
        assert (await result(dqe, token)).body["status"] == "pending"
    await advance(301)
    assert (await result(dqe, token)).error_id == "30"
    status, text, _ = await page(dqe, url)
    assert status == 410
    assert "This request has expired" in text
    assert "name='otp'" not in text
    assert "<form" not in text
    status, location, _ = await dqe.visit(url, decision="approve", otp="123456")
    assert (status, location) == (410, None)


async def test_operator_failure_after_the_right_code_gives_18(dqe: DqeClient) -> None:
    token, url = await start(dqe, OPERATOR_FAILURE)
    status, location, _ = await dqe.visit(url, decision="approve", otp="123456")
    assert status == 302
    assert redirect_query(location)["status"] == "error"
    assert (await result(dqe, token)).error_id == "18"
    _, text, _ = await page(dqe, url)
    assert "Operator error" in text


@pytest.mark.parametrize(
    ("number", "decision", "status", "expected"),
    [
        (ORANGE, "approve", "success", True),
        (NUMVERIFY_FALSE, "approve", "success", False),
        (WRONG_OTP, "approve", "error", "20"),
        (OPERATOR_FAILURE, "approve", "error", "18"),
        (ORANGE, "deny", "error", "21"),
    ],
)
async def test_numverify_accept_or_refuse_without_a_code(
    dqe: DqeClient, number: str, decision: str, status: str, expected: bool | str
) -> None:
    token, url = await start(dqe, number, "numVerify")
    http_status, location, _ = await dqe.visit(url, decision=decision)
    assert http_status == 302
    assert redirect_query(location)["status"] == status
    done = await result(dqe, token, "numVerify")
    if isinstance(expected, bool):
        assert done.body == {"status": "success", "scope": "numVerify", "numVerify": expected}
    else:
        assert done.error_id == expected


# --- clients without a browser ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "status", "error_id"),
    [(ORANGE, "success", None), (DENIED, "error", "21"), (WRONG_OTP, "error", "20")],
)
async def test_empty_post_acts_as_the_scenario_says(
    dqe: DqeClient, number: str, status: str, error_id: str | None
) -> None:
    token, url = await start(dqe, number)
    http_status, location, _ = await dqe.visit(url)
    assert http_status == 302
    assert redirect_query(location)["status"] == status
    assert (await result(dqe, token)).error_id == error_id


async def test_a_code_without_a_decision_is_checked(dqe: DqeClient) -> None:
    token, url = await start(dqe, ORANGE)
    status, location, text = await dqe.visit(url, otp="111111")
    assert (status, location) == (200, None)
    assert "Wrong code, 2 tries left." in text
    status, location, _ = await dqe.visit(url, otp="123456")
    assert status == 302
    assert redirect_query(location)["status"] == "success"
    assert (await result(dqe, token)).body["status"] == "success"


async def test_a_code_without_a_decision_leaves_a_refusing_scenario_refusing(
    dqe: DqeClient,
) -> None:
    token, url = await start(dqe, DENIED)
    status, location, _ = await dqe.visit(url, otp="123456")
    assert status == 302
    assert redirect_query(location)["status"] == "error"
    assert (await result(dqe, token)).error_id == "21"


async def test_approve_without_a_code_is_the_right_code(dqe: DqeClient) -> None:
    token, url = await start(dqe, ORANGE)
    status, location, _ = await dqe.visit(url, decision="approve")
    assert status == 302
    assert redirect_query(location)["status"] == "success"
    assert (await result(dqe, token)).body["status"] == "success"


async def test_automatic_consent_needs_no_visit(dqe: DqeClient) -> None:
    token, url = await start(dqe, AUTO)
    assert (await result(dqe, token)).body["status"] == "success"
    status, text, _ = await page(dqe, url)
    assert status == 200
    assert "<span id='result'>success</span>" in text


async def test_an_unknown_decision_is_a_400(dqe: DqeClient) -> None:
    _, url = await start(dqe, ORANGE)
    status, location, text = await dqe.visit(url, decision="maybe")
    assert (status, location) == (400, None)
    assert "decision must be one of" in text


# --- safety -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://partner.example/cb",
        "//partner.example/cb",
        "partner.example/cb",
        "https://",
        "https://user@evil.example/cb",
    ],
)
async def test_only_http_and_https_redirect_uris_are_accepted(
    dqe: DqeClient, redirect_uri: str
) -> None:
    token = await dqe.token()
    reply = await dqe.idmobile(token, ORANGE, "formfilling", redirect_uri=redirect_uri)
    assert reply.status == 200
    assert reply.violations == []
    assert reply.error_id == "01"


@pytest.mark.parametrize(
    "redirect_uri", ["http://localhost:8000/back", "HTTPS://partner.example/cb?x=1#top"]
)
async def test_http_and_https_redirect_uris_are_accepted(dqe: DqeClient, redirect_uri: str) -> None:
    token, url = await start(dqe, ORANGE, redirect_uri=redirect_uri)
    status, location, _ = await dqe.visit(url, decision="approve", otp="123456")
    assert status == 302
    assert location is not None
    assert location.lower().startswith(redirect_uri.split("?")[0].split("#")[0].lower())
    assert f"token={token}" in location


async def test_every_value_on_the_page_is_escaped(dqe: DqeClient) -> None:
    script = "<script>alert(1)</script>"
    code_name = "\"quoted\" & 'single'"
    # Quotes and angle brackets are refused in a redirect_uri (not RFC 3986); ' and & are not.
    redirect = "https://partner.example/cb?next='onmouseover='alert(2)&x=1"
    _, url = await start(dqe, ORANGE, name=script, code_name=code_name, redirect_uri=redirect)
    pages = [(await page(dqe, url))[1]]
    pages.append((await dqe.visit(url, decision="approve", otp="0"))[2])
    await dqe.visit(url, decision="approve", otp="123456")
    pages.append((await page(dqe, url))[1])
    for text in pages:
        assert "<script" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "&quot;quoted&quot; &amp; &#x27;single&#x27;" in text
        assert code_name not in text
    assert "alert(2)" not in pages[0]
    assert "id='back'" in pages[2]
    assert "next='onmouseover" not in pages[2]


def test_the_consent_page_has_words_for_every_scope_and_decision() -> None:
    """The page's texts are keyed by the contract's consent scopes and decisions (the
    decision that leaves the page, abandon, has none)."""
    assert set(pages.SHARED) == consent_scopes()
    assert set(pages.RESULTS) == set(consent_decisions()) - set(expiry_errors())
