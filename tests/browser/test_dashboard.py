"""The live dashboard (/__admin/ui) in a real browser: the admin token, a session's timeline,
the coverage heat map, hostile values, requests arriving.

Expected values are hand-written from the flow each test drives (docs/dashboard.md): the
events of a consent flow in time order, and the counts of its requests. Until the report
endpoint (GET /__admin/report, docs/dashboard.md) answers on this server, the tests hand the
page a report written here with the counts of the flow they drove; once it answers, the page
reads the real one and the same counts must come out.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest

from mockserver.testing.server import BackgroundLoop
from tests.browser.live import LICENCE, TIMEOUT, LiveMock, Partner, SyncDqe
from tests.browser.pw import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = pytest.mark.browser

Shoot = Callable[[Any], Path]
ADMIN_TOKEN = "dash-s3cret-token"
FLOW_NUMBER = "+33639987501"
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
SCENARIOS = f"""
scenarios:
  - id: dashboard-flow
    description: {json.dumps(HOSTILE)}
    match: {{numbers: ["{FLOW_NUMBER}"]}}
    operator: Orange
    outcome: {{pending: {{polls: 1}}}}
"""


@pytest.fixture(scope="module")
def guarded(live: BackgroundLoop) -> LiveMock:
    """A mock run with --admin-token (frozen clock)."""
    return LiveMock(live, admin_token=ADMIN_TOKEN)


@pytest.fixture(autouse=True)
def _fresh_guarded(guarded: LiveMock) -> None:
    guarded.reset()


@pytest.fixture
def dash(page: Page, guarded: LiveMock) -> Iterator[Page]:
    """The page, wide enough for the dashboard, failing on any script error."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 1280, "height": 900})
    yield page
    assert errors == []


def status_of(url: str, bearer: bool = False) -> int:
    """The HTTP status of a GET, with the Bearer header or without any credential."""
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"} if bearer else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def report_served(mock: LiveMock) -> bool:
    """Does this server answer GET /__admin/report (issue 15's report endpoint)?"""
    status = status_of(f"{mock.url}/__admin/report", bearer=True)
    assert status in (200, 404), status
    return status == 200


def serve_report(page: Page, report: dict[str, Any]) -> None:
    """Answer the page's GET /__admin/report with `report`."""

    def fulfill(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(report))

    page.route("**/__admin/report*", fulfill)


def open_dashboard(page: Page, mock: LiveMock) -> None:
    response = page.goto(f"{mock.url}/__admin/ui?token={ADMIN_TOKEN}")
    assert response is not None
    assert response.status == 200
    assert page.url == f"{mock.url}/__admin/ui"  # the token left the address bar
    expect(page.locator("#live")).to_have_class("live ok")


def consent(url: str, decision: str, otp: str) -> None:
    """POST the consent form as the browser would (the 302 to the partner is followed)."""
    data = urlencode({"decision": decision, "otp": otp}).encode()
    with urllib.request.urlopen(url, data=data, timeout=TIMEOUT) as response:
        assert response.status == 200


def report_of_the_flow(token: str) -> dict[str, Any]:
    """The report of test_a_consent_flow_...'s requests, by hand: one token, one /IDMOBILE/
    that answers a consent url, two pending /GET/ (before consent, then the scenario's one
    pending poll after it) and the success."""
    return {
        "namespace": None,
        "generated_at": "2026-11-30T18:40:00Z",
        "since": "2026-11-30T18:00:00Z",
        "rules": {},
        "totals": {"requests": 5, "sessions": 1, "findings": 0},
        "coverage": {
            "ACCESS_TOKEN": {"-": {"success": 1}},
            "IDMOBILE": {"formfilling": {"consent": 1}},
            "GET": {"formfilling": {"pending": 2, "success": 1}},
        },
        "missing": {"scopes": ["matching"], "error_ids": ["30"]},
        "conformance": {"notes": {}, "violations": {}},
        "sessions": [],
        "tokens_used_after_expiry": 0,
        "fault_retries": [],
        "findings": [],
    }


def test_the_dashboard_needs_the_admin_token(page: Page, guarded: LiveMock) -> None:
    base = f"{guarded.url}/__admin/ui"
    assert status_of(base) == 401
    assert status_of(f"{base}?token=wrong") == 401
    refused = page.goto(base)
    assert refused is not None
    assert refused.status == 401
    expect(page.locator("#requests")).to_have_count(0)

    response = page.goto(f"{base}?token={ADMIN_TOKEN}")
    assert response is not None
    assert response.status == 200
    assert page.url == base
    expect(page.locator("#live")).to_have_class("live ok")  # the script's reads get in
    assert ADMIN_TOKEN not in page.content()
    (cookie,) = page.context.cookies()
    assert cookie["name"] == "dqe_mock_admin"
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/__admin"
    assert ADMIN_TOKEN not in cookie["value"]
    # The cookie reads; it never changes the mock.
    assert page.request.get(f"{guarded.url}/__admin/health").status == 200
    assert page.request.post(f"{guarded.url}/__admin/reset").status == 401
    assert page.request.delete(f"{guarded.url}/__admin/journal").status == 401


def test_a_consent_flow_is_drawn_as_a_timeline_and_counted(
    dash: Page, guarded: LiveMock, partner: Partner, shoot: Shoot
) -> None:
    guarded.admin("POST", "/scenarios", SCENARIOS)
    api = SyncDqe(guarded.url)
    token = str(api.token()["access_token"])  # t = 0
    guarded.advance(1)
    body = api.call(
        "IDMOBILE",
        {
            "number": FLOW_NUMBER,
            "token": token,
            "name": "ACME",
            "licence": LICENCE,
            "scope": "formfilling",
            "mode": "2",
            "redirect_uri": partner.callback(order="42"),
        },
    )
    assert body["status"] == "success", body  # t = 1
    guarded.advance(1)
    assert api.get(token, "formfilling")["status"] == "pending"  # t = 2, before consent
    guarded.advance(2)
    consent(body["url"], "approve", "123456")  # t = 4
    guarded.advance(1)
    assert api.get(token, "formfilling")["status"] == "pending"  # t = 5, the one pending poll
    guarded.advance(1)
    assert api.get(token, "formfilling")["status"] == "success"  # t = 6

    if not report_served(guarded):
        serve_report(dash, report_of_the_flow(token))
    open_dashboard(dash, guarded)

    card = dash.locator(f"article.session[data-token='{token}']")
    events = card.locator("svg.timeline g.ev")
    expect(events).to_have_count(6)
    kinds = [events.nth(i).get_attribute("data-kind") for i in range(6)]
    assert kinds == ["token", "initiate", "poll", "consent", "poll", "done"]
    times = [float(events.nth(i).get_attribute("data-at") or "nan") for i in range(6)]
    assert [t - times[0] for t in times] == [0, 1, 2, 4, 5, 6]
    assert events.nth(3).get_attribute("data-detail") == "approve"
    assert events.nth(5).get_attribute("data-detail") == "success"
    # Drawn left to right in time order.
    xs = [float(events.nth(i).locator("circle").get_attribute("cx") or "nan") for i in range(6)]
    assert xs == sorted(xs)
    assert xs[0] < xs[-1]
    export = card.locator("a.export")
    expect(export).to_have_attribute("href", f"/__admin/sessions/{token}/scenario")

    def cell(endpoint: str, scope: str, outcome: str) -> Any:
        return dash.locator(
            f"#coverage td[data-endpoint='{endpoint}'][data-scope='{scope}']"
            f"[data-outcome='{outcome}']"
        )

    expect(cell("ACCESS_TOKEN", "-", "success")).to_have_text("1")
    expect(cell("IDMOBILE", "formfilling", "consent")).to_have_text("1")
    expect(cell("GET", "formfilling", "pending")).to_have_text("2")
    expect(cell("GET", "formfilling", "success")).to_have_text("1")
    expect(dash.locator("#missing .missing-scope")).to_contain_text(["scope matching"])
    shoot(dash)


def test_hostile_values_show_as_text_and_never_run(
    dash: Page, guarded: LiveMock, shoot: Shoot
) -> None:
    dialogs: list[str] = []
    dash.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    guarded.admin("POST", "/scenarios", SCENARIOS)
    api = SyncDqe(guarded.url)
    token = str(api.token()["access_token"])
    api.call(
        "IDMOBILE",
        {
            "number": FLOW_NUMBER,
            "token": token,
            "name": HOSTILE,
            "licence": LICENCE,
            "scope": "numVerify",
            "redirect_uri": f"https://partner.example/cb?x={HOSTILE}",
        },
    )
    report = report_of_the_flow(token)
    report["coverage"]["GET"][HOSTILE] = {HOSTILE: 3}
    report["missing"]["scopes"] = [HOSTILE]
    report["findings"] = [
        {"rule": "poll-interval", "session": HOSTILE, "requests": [1], "message": HOSTILE}
    ]
    serve_report(dash, report)
    open_dashboard(dash, guarded)

    expect(dash.locator("#scenarios tr[data-id='dashboard-flow'] td").last).to_have_text(HOSTILE)
    expect(dash.locator("#requests td.params").first).to_contain_text(f"name={HOSTILE[:60]}")
    expect(dash.locator("#findings .message")).to_have_text([HOSTILE])
    expect(dash.locator("#missing .missing-scope")).to_have_text([f"scope {HOSTILE}"])
    expect(dash.locator("#coverage th.row").filter(has_text="onerror")).to_have_text([HOSTILE])
    hostile_cell = dash.locator("#coverage td.cell").filter(has_text="3")
    expect(hostile_cell).to_have_count(1)
    assert hostile_cell.get_attribute("data-outcome") == HOSTILE
    expect(dash.locator("img")).to_have_count(0)
    expect(dash.locator("script")).to_have_count(1)  # the page's own
    shoot(dash)
    assert dialogs == []


def test_the_requests_list_updates_as_requests_arrive(dash: Page, guarded: LiveMock) -> None:
    open_dashboard(dash, guarded)
    rows = dash.locator("#requests tbody tr")
    expect(rows).to_have_count(0)
    api = SyncDqe(guarded.url)
    api.token()
    expect(rows).to_have_count(1)  # expect() polls the DOM until its deadline
    expect(rows.first.locator("td.path")).to_have_text("/ACCESS_TOKEN/")
    # The page itself asks the mock for nothing a client's report would count (no favicon).
    assert [e["path"] for e in guarded.admin("GET", "/journal")["entries"]] == ["/ACCESS_TOKEN/"]
    api.call("GET", {"token": "TKunknown", "Licence": LICENCE, "scope": "numVerify"})
    expect(rows).to_have_count(2)
    expect(rows.first.locator("td.path")).to_have_text("/GET/")  # newest first
    expect(rows.first).to_have_class(re.compile(r"\bviolations\b"))
    # A reset starts the journal's ids again: the list starts again too.
    guarded.admin("POST", "/reset")
    api.token()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td.path")).to_have_text("/ACCESS_TOKEN/")
