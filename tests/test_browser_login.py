"""Logging in, in Chromium: setting up two-factor and logging in again with the code; every page
under the Content-Security-Policy with no violation reported."""

import re
import subprocess
from base64 import b32encode

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser_fixtures import PASSWORD, browse, shot  # noqa: F401  (browse: a fixture)
from tests.factories import make_user
from tests.test_login import code

pytestmark = pytest.mark.django_db(transaction=True)


def watch_console(page) -> list[str]:
    """What the page's console says: Chromium reports there each thing the policy blocks
    ("Refused to execute inline script…", "Loading the image … violates the following Content Security Policy directive…")."""
    said: list[str] = []
    page.on("console", lambda message: said.append(message.text))
    return said


def refusals(said: list[str]) -> list[str]:
    return [text for text in said if "Refused to" in text or "Content Security Policy" in text]


def test_two_step_login_set_up_then_used(browse, live_server, tenant_a):
    owner = make_user(tenant=tenant_a, role="owner", password=PASSWORD)
    person = browse(owner, PASSWORD)
    said = watch_console(person.page)
    page = person.go("/accounts/two-factor/")
    person.shot("1-off")
    page.click("form[action$='/two-factor/start/'] button")
    page.wait_for_selector("img.qr")
    assert page.eval_on_selector("img.qr", "img => img.naturalWidth > 0 && img.src.startsWith('data:image/svg+xml')")
    device = TOTPDevice.objects.get(user=owner, confirmed=False)
    scanned = subprocess.run(["zbarimg", "-q", "--raw", str(person.shot("2-qr"))], capture_output=True, text=True).stdout.strip()
    assert scanned == device.config_url  # what a phone's camera reads from the screen
    assert f"secret={b32encode(device.bin_key).decode()}" in scanned
    first = code(device)
    page.fill("#id_code", first)
    page.click("form[action$='/two-factor/confirm/'] button")
    page.wait_for_selector("#backup-codes")
    assert page.locator("ul.codes li").count() == 10
    person.shot("3-backup-codes")
    page.click("#backup-codes a.button")
    page.wait_for_selector("#id_disable_code")
    person.shot("3-on")

    page.click("form.logout button")
    page.wait_for_url(re.compile(r"/accounts/logout/|/accounts/login/"))
    person.go("/accounts/login/")
    page.fill("input[name=username]", owner.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{live_server.url}/accounts/login/code/")
    person.shot("4-code-asked")
    page.fill("#id_code", first)  # the code that turned it on: used already
    page.press("#id_code", "Enter")
    page.wait_for_selector("p.error")
    assert page.url == f"{live_server.url}/accounts/login/code/"
    person.shot("5-used-code-refused")
    device.refresh_from_db()
    device.throttling_failure_timestamp = None  # the wait after a wrong code has passed
    device.save()
    page.fill("#id_code", code(device, 1))
    page.press("#id_code", "Enter")
    page.wait_for_url(f"{live_server.url}/t/{tenant_a.identifier}/")
    person.shot("6-in")
    assert page.locator("h1").inner_text() == tenant_a.display_name

    page.click(f"a[href='/t/{tenant_a.identifier}/security/']")  # from the dashboard's security card
    page.check("#id_owners_must_use_two_factor")
    page.click("#tenant-security button[type=submit]")
    page.wait_for_selector("p.message")
    person.shot("7-owners-must-use-it")
    tenant_a.refresh_from_db()
    assert tenant_a.owners_must_use_two_factor
    assert refusals(said) == []


def test_the_locked_out_person_is_told_when_to_try_again(browse, live_server, tenant_a, settings):
    from django.conf import settings as django_settings

    owner = make_user(tenant=tenant_a, role="owner", password=PASSWORD)
    person = browse(owner, PASSWORD)
    page = person.page
    page.click("form.logout button")
    for _attempt in range(django_settings.LOGIN_FAILURES_ALLOWED):
        person.go("/accounts/login/")
        page.fill("input[name=username]", owner.get_username())
        page.fill("input[name=password]", "not the password")
        page.press("input[name=password]", "Enter")
        page.wait_for_load_state()
    assert page.locator("#locked").is_visible()
    person.go("/accounts/login/")
    page.fill("input[name=username]", owner.get_username())
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_selector("#locked")
    person.shot("locked")
    assert "/accounts/login/" in page.url


def test_the_pages_load_with_no_policy_violation(portal, page, tenant_a, tenant_b):
    said = watch_console(page)
    portal.log_in(page)
    pages = ["/", f"/t/{tenant_a.identifier}/", f"/t/{tenant_a.identifier}/invoices/", f"/t/{tenant_a.identifier}/inbox/",
             f"/t/{tenant_a.identifier}/invoices/new/", f"/t/{tenant_a.identifier}/drafts/", f"/t/{tenant_a.identifier}/exports/",
             f"/t/{tenant_a.identifier}/uploads/", f"/t/{tenant_a.identifier}/earsiv/", f"/t/{tenant_a.identifier}/delivery/",
             "/accounts/two-factor/"]
    for path in pages:
        response = page.goto(portal.url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
    shot(page, "two-factor")
    page.goto(f"{portal.url}/t/{tenant_b.identifier}/")
    portal.switch_to(page, tenant_a)  # the switcher's script, from static/js
    assert refusals(said) == []
    # The console does report what the policy blocks: an image from elsewhere slipped into the page.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=\"https://example.invalid/x.png\">')")
    page.wait_for_timeout(300)
    assert any("img-src 'self' data:" in text for text in refusals(said)), said
