"""The portal in a real browser: Debian's Chromium (``/usr/bin/chromium``, which ``make test``
installs; never a browser download) driven by Playwright for Python against pytest-django's live
server, which also serves the local GİB hub (``tests.exchange_fixtures.exchange``).

``browser`` is one Chromium for the whole run; ``browse`` gives a test a fresh context (its own
cookies) logged in as a person, and its pages' screenshots go to ``var/test-artifacts/`` under the
test's name, as the run's artifacts. Playwright's sync API runs an event loop in the test's thread,
which Django's ORM would take for an async context: the tests' own ORM calls are allowed there
(``DJANGO_ALLOW_ASYNC_UNSAFE``), as nothing else runs in that thread.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"

skip_without_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it)")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Session:
    """A person's browser: its page, the server's address, and screenshots named by step."""

    page: object
    base: str
    folder: Path

    def go(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def shot(self, step: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def browse(browser, live_server, request) -> Iterator:
    """``browse(user, password, width=1280)``: a new browser context logged in as *user* through the login page."""
    contexts = []
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)

    def open_as(user, password: str, *, width: int = 1280, height: int = 900, language: str = "tr-TR") -> Session:
        context = browser.new_context(viewport={"width": width, "height": height}, locale=language, accept_downloads=True)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        session = Session(page, live_server.url, folder)
        session.go("/accounts/login/")
        page.fill("input[name=username]", user.get_username())
        page.fill("input[name=password]", password)
        page.press("input[name=password]", "Enter")
        page.wait_for_load_state()
        assert "/accounts/login/" not in page.url, "the login was refused"
        return session

    yield open_as
    for context in contexts:
        context.close()
