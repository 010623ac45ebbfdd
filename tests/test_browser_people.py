"""People in Chromium: the owner invites a clerk from the People page; the e-mail lands in the mail
folder; its link, opened in a second browser of the clerk's own, sets a password and lands in the
tenant; the clerk finds the owner's pages refused and no link to them."""

import email
import re
from email import policy

import pytest

from tenants.models import AuditEntry, Membership
from tenants.roles import Role
from tests.browser_fixtures import DESKTOP, PHONE, browse  # noqa: F401  (browse: a fixture)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

CLERK_PASSWORD = "kırmızı elma ağacı 42"


def the_link(folder) -> str:
    [path] = list(folder.glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "ayse@a-tekstil.com.tr" and message["Content-Language"] == "tr"
    return re.search(r"https?://\S+/invite/[\w-]+/", message.get_body().get_content()).group(0)


def test_an_owner_invites_a_clerk_who_joins_and_finds_the_owners_pages_refused(browse, browser, live_server, settings, tmp_path,
                                                                                tenant_a, user_a):
    settings.EMAIL_BACKEND, settings.MAIL_DIR, settings.PUBLIC_URL = "delivery.mail.EmlBackend", tmp_path / "mail", live_server.url
    owner = browse(user_a, PASSWORD)
    owner.go(f"/t/{tenant_a.identifier}/")
    owner.shot("0-owner-dashboard")
    owner.page.locator(".card.management a[href$='/people/']").click()
    owner.page.wait_for_url(f"**/t/{tenant_a.identifier}/people/")
    owner.page.fill("#id_name", "Ayşe Yılmaz")
    owner.page.fill("#id_email", "ayse@a-tekstil.com.tr")
    owner.page.select_option("#id_role", Role.CLERK)
    owner.page.locator("form[action$='/people/'] button[type=submit]").click()
    owner.page.wait_for_load_state()
    assert owner.page.locator("table.invitations td", has_text="ayse@a-tekstil.com.tr").count() == 1
    owner.shot("1-owner-invited")

    link = the_link(tmp_path / "mail")
    assert link.startswith(live_server.url + "/invite/")
    context = browser.new_context(viewport=DESKTOP, locale="tr-TR")  # the clerk's own browser: no cookie of the owner's
    try:
        clerk = context.new_page()
        clerk.goto(link)
        assert clerk.input_value("#id_first_name") == "Ayşe" and clerk.input_value("#id_last_name") == "Yılmaz"
        clerk.screenshot(path=str(owner.folder / "2-clerk-invitation.png"), full_page=True)
        clerk.fill("#id_password1", "kısa")
        clerk.fill("#id_password2", "kısa")
        clerk.locator(".invite button[type=submit]").click()
        clerk.wait_for_load_state()
        assert clerk.locator(".field-error").count() >= 1 and "/invite/" in clerk.url  # Django's rules: too short
        clerk.fill("#id_password1", CLERK_PASSWORD)
        clerk.fill("#id_password2", CLERK_PASSWORD)
        clerk.locator(".invite button[type=submit]").click()
        clerk.wait_for_url(f"{live_server.url}/t/{tenant_a.identifier}/")
        assert clerk.locator("h1").inner_text() == tenant_a.display_name
        clerk.screenshot(path=str(owner.folder / "3-clerk-dashboard.png"), full_page=True)
        assert clerk.locator("a[href$='/people/'], a[href$='/audit/']").count() == 0
        for path in (f"/t/{tenant_a.identifier}/people/", f"/t/{tenant_a.identifier}/audit/"):
            assert clerk.goto(live_server.url + path).status == 403, path
        clerk.goto(f"{live_server.url}/profile/")
        assert clerk.locator("table.profile-tenants td", has_text=tenant_a.display_name).count() == 1
        clerk.screenshot(path=str(owner.folder / "4-clerk-profile.png"), full_page=True)
        assert clerk.goto(link).status == 410  # used
    finally:
        context.close()

    assert Membership.objects.get(user__email="ayse@a-tekstil.com.tr", tenant=tenant_a).role == Role.CLERK
    owner.go(f"/t/{tenant_a.identifier}/people/")
    assert owner.page.locator("table.members tr[data-member='ayse@a-tekstil.com.tr']").count() == 1
    assert owner.page.locator("table.invitations").count() == 0
    owner.shot("5-owner-people")
    owner.go(f"/t/{tenant_a.identifier}/audit/")
    actions = owner.page.eval_on_selector_all("table.audit tr[data-action]", "rows => rows.map(r => r.dataset.action)")
    assert actions[:2] == ["invitation-accept", "member-invite"]
    owner.shot("6-owner-audit")
    owner.page.set_viewport_size(PHONE)
    owner.go(f"/t/{tenant_a.identifier}/people/")
    assert owner.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    owner.shot("7-owner-people-phone")
    assert AuditEntry.objects.filter(action="login", user__email="ayse@a-tekstil.com.tr").exists()
