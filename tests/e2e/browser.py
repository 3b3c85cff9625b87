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
