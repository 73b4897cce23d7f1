"""Console test helpers and fixtures: a seeded server on loopback, a headless Chromium driven
by Selenium, and screenshots as test artifacts (``conftest.py`` re-exports the fixtures).

The browser is Debian's ``chromium`` with ``chromium-driver`` (``.ci/run`` installs them);
without them the browser tests skip and say so. It starts with no network of its own to
speak of: background networking, sync and component updates are off, so the only page it
loads is the console on 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from stockade.api.app import serving
from stockade.api.auth import AuthConfig
from stockade.console.app import create_server_app
from stockade.demo.seed import Seed, build_seed
from stockade.service.context import ServiceContext
from stockade.store.sql import SqlStore

#: Where screenshots go (CI keeps the directory as the run's artifacts).
ARTIFACTS = Path(os.environ.get("STOCKADE_TEST_ARTIFACTS", "test-artifacts")) / "console"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@dataclass
class SeededConsole:
    """A server with the seed scenario: its base URL, the console's and the seed's ids."""

    url: str
    store: SqlStore
    seed: Seed

    @property
    def console(self) -> str:
        return f"{self.url}/console"


def seeded_server(tmp: Path, auth: AuthConfig | None = None) -> Iterator[SeededConsole]:
    store = SqlStore.open(str(tmp / "console.db"))
    seed = build_seed(ServiceContext(store))
    try:
        with serving(create_server_app(store, auth)) as url:
            yield SeededConsole(url, store, seed)
    finally:
        store.close()


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[SeededConsole]:
    """A fresh seeded server per test (tests that change state use this one)."""
    yield from seeded_server(tmp_path)


@pytest.fixture(scope="module")
def seeded_shared() -> Iterator[SeededConsole]:
    """One seeded server for a module's read-only tests."""
    with tempfile.TemporaryDirectory(prefix="stockade-console-") as tmp:
        yield from seeded_server(Path(tmp))


def csrf_of(html: str) -> str:
    """The CSRF token a console page carries in its ``<meta>``."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def session_for(console: str) -> tuple[requests.Session, str]:
    """A browser-like session that has loaded a page: (session, its CSRF token)."""
    http = requests.Session()
    page = http.get(f"{console}/topology")
    return http, csrf_of(page.text)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Chromium (Selenium WebDriver) shared by the session's browser tests."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip(
            "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    with tempfile.TemporaryDirectory(prefix="stockade-chromium-") as profile:
        options.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        driver.set_page_load_timeout(30)
        try:
            yield driver
        finally:
            driver.quit()


def screenshot(driver: object, name: str) -> Path:
    """Save the browser's page as ``test-artifacts/console/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    return path


def wait(driver: object, timeout: float) -> Any:
    """A ``WebDriverWait`` that polls on through elements htmx has just replaced.

    Why: a condition that finds an element and then reads it races htmx's swap -- the
    element found may be gone by the time it is read (``StaleElementReferenceException``),
    which means only "not yet", never "failed".
    """
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(
        driver,  # type: ignore[arg-type]
        timeout,
        ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
    )


def fill_form(form: object, fields: dict[str, str]) -> None:
    """Type ``fields`` into ``form``'s inputs by name, choosing a select's option by its text."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    for name, value in fields.items():
        element = form.find_element(By.NAME, name)  # type: ignore[attr-defined]
        if element.tag_name == "select":
            Select(element).select_by_visible_text(value)
        else:
            element.clear()
            element.send_keys(value)
