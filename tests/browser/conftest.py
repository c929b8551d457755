"""Browser fixtures: live servers once per session, a fresh mock state and page per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mockserver.testing.server import BackgroundLoop
from tests.browser.live import LiveMock, Partner, SyncDqe
from tests.browser.pw import CHROMIUM_ARGS, chromium_path, sync_playwright

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def live() -> Iterator[BackgroundLoop]:
    """The background loop the servers run on."""
    loop = BackgroundLoop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def mock(live: BackgroundLoop) -> LiveMock:
    """The mock, served on 127.0.0.1 (frozen clock)."""
    return LiveMock(live)


@pytest.fixture(scope="session")
def partner(live: BackgroundLoop) -> Partner:
    """The partner's site the consent step redirects to."""
    return Partner(live)


@pytest.fixture(autouse=True)
def _fresh(mock: LiveMock, partner: Partner) -> None:
    """Every test starts from an empty mock and no partner visits."""
    mock.reset()
    partner.visits.clear()


@pytest.fixture
def api(mock: LiveMock) -> SyncDqe:
    """A blocking client of the live mock."""
    return SyncDqe(mock.url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright.

    Module scope, not session: between its calls Playwright's sync API leaves its event loop
    marked as running in this thread, which would break every asyncio test run meanwhile.
    """
    executable = chromium_path()
    playwright = sync_playwright().start()
    try:
        try:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except Exception as exc:
            pytest.fail(f"Chromium ({executable}) did not start: {exc}", pytrace=False)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page (own cookies), failing any wait after 10 s."""
    context = browser.new_context(viewport={"width": 520, "height": 640})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shoot(request: pytest.FixtureRequest) -> Callable[[Any], Path]:
    """Save a full-page screenshot as artifacts/screenshots/<test>.png."""

    def save(page: Page) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{request.node.name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
