"""What the end-to-end tests need from the system: Debian Chromium (driven by Playwright, no
browser download) and poppler. Outside CI a missing tool skips the test; in CI (CI=true) it fails,
because `.ci/run` installs them."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not installed here; the test runs in CI")


def require_browser() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the pip package playwright")
    if not CHROMIUM.exists():
        _missing("/usr/bin/chromium (apt-get install chromium)")


def require_tool(name: str) -> None:
    if shutil.which(name) is None:
        _missing(f"{name} (apt-get install poppler-utils)")


def open_cleanly(browser, html: Path):
    """Open a rendered HTML file in a new page and assert what every report must satisfy: no
    console errors or warnings, no page errors, no failed request, and no request leaving the
    file (images are data: URIs). Returns the page for further checks."""
    page = browser.new_page()
    problems, requests = [], []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    url = html.resolve().as_uri()
    page.goto(url, wait_until="load")
    assert problems == []
    assert [r for r in requests if r != url and not r.startswith("data:")] == []
    return page
