"""Fixtures of the page tests: a page server (mails link to its pages), and one headless
Chromium for the whole run (the system browser, driven by Selenium through chromedriver) with
axe-core for the accessibility checks.

Outside CI the browser tests skip with a notice when Chromium, chromedriver or axe-core is
missing; under CI=true they fail instead. axe-core comes from the npm registry: .ci/run installs
it into .cache/axe-core (RECOVERY_AXE_JS names another axe.min.js).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.pages.support import PUBLIC

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / ".cache/axe-core/node_modules/axe-core/axe.min.js"
#: What works headless on the development and CI machines (shared/MACHINE-NOTES.md).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


def _missing(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (required under CI=true)")
    pytest.skip(f"{message}: browser tests skipped")


@pytest.fixture
def pages_server(serve: Callable[..., LiveServer]) -> LiveServer:
    """The service with its defaults (captcha checked, lock on creation), mails linking to the
    pages under a public URL."""
    return serve(public_url=PUBLIC)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not (chromium and driver_path):
        _missing("no Chromium: apt-get install -y chromium chromium-driver")
    try:
        from selenium import webdriver
    except ImportError:
        _missing("no selenium: pip install -e '.[test]'")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(
        options=options, service=webdriver.ChromeService(executable_path=str(driver_path))
    )
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def axe_source() -> str:
    path = Path(os.environ.get("RECOVERY_AXE_JS") or AXE_JS)
    if not path.is_file():
        _missing(
            f"no axe-core at {path}: npm install --prefix .cache/axe-core axe-core@4.14.1 "
            "(or set RECOVERY_AXE_JS)"
        )
    return path.read_text(encoding="utf-8")
