"""The portal in a real browser: Debian's Chromium driven by Playwright for Python (never a browser
Playwright downloads) against pytest-django's live server, where the local GİB hub and our receiving
endpoint answer too (``tests.exchange_fixtures``: tenants A and B registered at the hub, tasks run
in-process). ``portal`` is the demo's shape: one accountant serving both tenants.

Every page a test looks at can be kept as a screenshot under ``var/test-artifacts/``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from demo.setup import ACCOUNTANT
from signing import pki
from tenants.models import NumberSeries
from tenants.numbering import series_create
from tenants.roles import Role
from tenants.services import membership_set

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "var" / "test-artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the run (headless; no sandbox: the tests may run as root in a container)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():  # make test installs it: without it the portal goes untested, which must not pass quietly
        pytest.fail(f"{CHROMIUM} is missing: run make test (it installs Debian's chromium), or apt-get install chromium")
    # Playwright's sync API keeps an event loop in this thread for as long as it runs, and Django then
    # takes every ORM call made here (the tests', the database's flush between them) for one made from
    # async code; they are still plain synchronous calls.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            yield chromium
            chromium.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE")
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def page(browser):
    """A new browser page at 1280 px, in Turkish, that fails the test on any script error."""
    context = browser.new_context(viewport=DESKTOP, locale="tr-TR")
    context.set_default_timeout(20_000)
    new = context.new_page()
    errors: list[str] = []
    new.on("pageerror", lambda error: errors.append(str(error)))
    yield new
    context.close()
    _pdf_worker_stopped()
    assert not errors, f"script errors on the page: {errors}"


def _pdf_worker_stopped() -> None:
    """A PDF worker forked during the test (delivery.rendering.worker) holds copies of this process's
    pipes to Playwright's driver, which then never sees them close and never ends: stop it."""
    from delivery.rendering import worker

    if worker._current is not None:
        worker._stop(worker._current)


def shot(page, name: str, *, full_page: bool = True) -> Path:
    """A screenshot of the page as it is, kept as ``var/test-artifacts/<test>-<name>.png``."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "test").split("::")[-1].split(" ")[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', test)}-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@dataclass
class Portal:
    """The live platform's address and the accountant who serves A and B."""

    url: str
    username: str
    password: str

    def log_in(self, page) -> None:
        page.goto(f"{self.url}/accounts/login/")
        page.get_by_label(re.compile("Kullanıcı adı|Username")).fill(self.username)
        page.get_by_label(re.compile("Parola|Password")).fill(self.password)
        page.get_by_role("button", name=re.compile("Oturum aç|Log in")).click()
        page.wait_for_url(f"{self.url}/")

    def switch_to(self, page, tenant) -> None:
        """Choose the tenant in the header's switcher, as a person does."""
        page.select_option("#tenant-switch", tenant.identifier)
        page.wait_for_url(f"{self.url}/t/{tenant.identifier}/")


@pytest.fixture
def portal(exchange, settings, tmp_path, local_tsa, tenant_a, tenant_b) -> Iterator[Portal]:
    """The demo's shape on the live server: A and B able to invoice each other through the hub, each
    with an e-Arşiv series too (stamped by the local TSA), and the accountant ``muhasebe`` serving both."""
    roots = tmp_path / "tsa-roots.pem"
    roots.write_bytes(pki.pem(local_tsa.root.certificate))
    settings.TSA_URL, settings.TSA_TRUST_ROOTS = local_tsa.url, str(roots)
    series_create(tenant=tenant_a, prefix="AAR", kind=NumberSeries.Kind.EARSIV, is_default=True)
    series_create(tenant=tenant_b, prefix="BBR", kind=NumberSeries.Kind.EARSIV, is_default=True)
    user = get_user_model().objects.create_user(ACCOUNTANT, password=PASSWORD, first_name="Demo", last_name="Muhasebeci")
    for tenant in (tenant_a, tenant_b):
        membership_set(tenant=tenant, user=user, role=Role.ACCOUNTANT)
    yield Portal(url=exchange, username=ACCOUNTANT, password=PASSWORD)



@dataclass
class Session:
    """A person's browser: its page, the server's address, and screenshots named by step, in a folder of the test's."""

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
    """``browse(user, password, width=1280)``: a new browser context (its own cookies) logged in as *user* through the login page."""
    contexts = []
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)

    def open_as(user, password: str, *, width: int = DESKTOP["width"], height: int = DESKTOP["height"]) -> Session:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="tr-TR", accept_downloads=True)
        context.set_default_timeout(20_000)
        contexts.append(context)
        session = Session(context.new_page(), live_server.url, folder)
        session.go("/accounts/login/")
        session.page.fill("input[name=username]", user.get_username())
        session.page.fill("input[name=password]", password)
        session.page.press("input[name=password]", "Enter")
        session.page.wait_for_load_state()
        assert "/accounts/login/" not in session.page.url, "the login was refused"
        return session

    yield open_as
    for context in contexts:
        context.close()
