"""The portal in Chromium: logging in as the accountant, the dashboard at 1280 px and on a phone,
switching tenant."""

import pytest

from tests.browser_fixtures import PHONE, shot

pytestmark = pytest.mark.django_db(transaction=True)


def overflowing(page) -> list[str]:
    """The cards whose content is wider than the card."""
    return page.eval_on_selector_all(".card", "cards => cards.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.querySelector('h2, h1')?.textContent)")


def test_the_accountant_logs_in_and_switches_tenant(portal, page, tenant_a, tenant_b):
    portal.log_in(page)
    shot(page, "home")
    assert page.get_by_role("link", name=tenant_a.display_name).is_visible()
    page.get_by_role("link", name=tenant_a.display_name).click()
    page.wait_for_url(f"{portal.url}/t/{tenant_a.identifier}/")
    shot(page, "dashboard-a")
    assert page.locator("h1").inner_text() == tenant_a.display_name
    portal.switch_to(page, tenant_b)
    shot(page, "dashboard-b")
    assert page.locator("h1").inner_text() == tenant_b.display_name


def test_the_dashboard_fits_its_cards_at_1280_px_and_on_a_phone(portal, page, tenant_a):
    from tenants.api_keys import api_key_create

    api_key_create(tenant=tenant_a, name="Muhasebe ERP entegrasyonu (merkez)", scopes=["read", "send", "respond"])
    portal.log_in(page)
    page.goto(f"{portal.url}/t/{tenant_a.identifier}/")
    shot(page, "1280")
    assert overflowing(page) == []
    page.set_viewport_size(PHONE)
    shot(page, "phone")
    assert overflowing(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
