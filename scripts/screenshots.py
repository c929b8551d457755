#!/usr/bin/env python3
"""Take the dashboard screenshots of docs/dashboard.md: docs/screenshots/dashboard-*.png.

    .venv/bin/python scripts/screenshots.py              (Chromium: scripts/test installs it)
    .venv/bin/python scripts/screenshots.py --out DIR

Starts a mock in this process (frozen clock, seed 11, one fault), drives a few clients
through HTTP (a formfilling flow answered on the consent page, a client that polls without
waiting, a refusal, a token request retried at once after a 503), moving the mock's clock
between steps, then opens /__admin/ui in headless Chromium (Playwright) with the admin token
and saves the whole page (dashboard-overview.png) and the first session's timeline
(dashboard-timeline.png). The same in every run: nothing depends on the wall clock but the
"live" badge.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the blocking client lives in tests/
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from mockserver.testing.server import BackgroundLoop  # noqa: E402
from tests.browser.live import LICENCE, SECRET, TIMEOUT, LiveMock, SyncDqe  # noqa: E402
from tests.browser.pw import CHROMIUM_ARGS  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
ADMIN_TOKEN = "screenshots"
FAULTS = """
faults:
  - id: token-gateway-down
    description: The token gateway answers 503 once.
    endpoint: ACCESS_TOKEN
    kind: http_error
    status: 503
    first: 1
"""


def consent(url: str) -> None:
    """Approve on the consent page with the test code (no redirect_uri: a page answers)."""
    data = urlencode({"decision": "approve", "otp": "123456"}).encode()
    with urllib.request.urlopen(url, data=data, timeout=TIMEOUT) as response:
        response.read()


def idmobile(api: SyncDqe, token: str, number: str, scope: str) -> dict[str, Any]:
    params = {"number": number, "token": token, "name": "ACME", "licence": LICENCE}
    params["scope"] = scope
    if scope != "numVerify":
        params["mode"] = "2"
    return api.call("IDMOBILE", params)


def drive(mock: LiveMock) -> None:
    """The clients whose requests the screenshots show."""
    api = SyncDqe(mock.url)
    # A formfilling flow: token, initiation, a poll, consent, polls until the answer.
    token = str(api.token()["access_token"])
    mock.advance(0.6)
    started = idmobile(api, token, "+33639980001", "formfilling")
    mock.advance(1.5)
    api.get(token, "formfilling")
    mock.advance(3.2)
    consent(str(started["url"]))
    mock.advance(1.1)
    api.get(token, "formfilling")
    mock.advance(5)
    # A client that polls in a tight loop, and on after the answer.
    hasty = str(api.token()["access_token"])
    idmobile(api, hasty, "+33639984003", "numVerify")
    for _ in range(6):
        api.get(hasty, "numVerify")
    mock.advance(2)
    # The user refuses.
    refused = str(api.token()["access_token"])
    started = idmobile(api, refused, "+33639983001", "formfilling")
    mock.advance(4)
    with urllib.request.urlopen(
        str(started["url"]), data=b"decision=deny", timeout=TIMEOUT
    ) as response:
        response.read()
    mock.advance(1.2)
    api.get(refused, "formfilling")
    mock.advance(3)
    # A 503 from the token gateway, retried at once.
    mock.admin("POST", "/scenarios", FAULTS)
    params = {"client_secret": SECRET, "grant_type": "client_idmobile", "licence": LICENCE}
    for _ in range(2):
        _quiet(api, params)


def _quiet(api: SyncDqe, params: dict[str, str]) -> None:
    """/ACCESS_TOKEN/, whatever comes back (the fault's 503 is an HTML page)."""
    url = f"{api.base_url}/ACCESS_TOKEN/?{urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as error:
        error.read()


def shoot(base_url: str, out: Path) -> list[Path]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    out.mkdir(parents=True, exist_ok=True)
    overview, timeline = out / "dashboard-overview.png", out / "dashboard-timeline.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base_url}/__admin/ui?token={ADMIN_TOKEN}")
        expect(page.locator("#live")).to_have_class("live ok", timeout=10_000)
        expect(page.locator("article.session")).to_have_count(3, timeout=10_000)
        page.screenshot(path=str(overview), full_page=True)
        page.locator("article.session").last.screenshot(path=str(timeline))
        browser.close()
    return [overview, timeline]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="directory (docs/screenshots)")
    args = parser.parse_args(argv)
    loop = BackgroundLoop()
    try:
        mock = LiveMock(loop, admin_token=ADMIN_TOKEN)
        drive(mock)
        for path in shoot(mock.url, args.out):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
