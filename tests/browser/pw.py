"""Playwright and Debian's Chromium; when either is missing the browser tests fail, saying so."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError as exc:  # fail the tests, not their collection (which would stop the run)
    MISSING: str | None = (
        f"Playwright for Python is not installed ({exc}): "
        "run `.venv/bin/pip install -e '.[test]'` (scripts/test does)"
    )

    def expect(*_args: Any, **_kwargs: Any) -> Any:  # type: ignore[no-redef]
        pytest.fail(MISSING, pytrace=False)

    def sync_playwright() -> Any:  # type: ignore[no-redef]
        pytest.fail(MISSING, pytrace=False)
else:
    MISSING = None

__all__ = ["CHROMIUM_ARGS", "chromium_path", "expect", "sync_playwright"]


def chromium_path() -> str:
    """Debian's chromium; fails the test with instructions when it is not installed."""
    if MISSING:
        pytest.fail(MISSING, pytrace=False)
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.access(path, os.X_OK):
        pytest.fail(
            "Chromium is not installed (no `chromium` on PATH nor /usr/bin/chromium): "
            "run `apt-get install -y chromium` (scripts/test does). Playwright cannot "
            "download its own browser here.",
            pytrace=False,
        )
    return path
