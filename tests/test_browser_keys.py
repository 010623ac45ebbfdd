"""In Chromium: an API key made in the portal calls the live API until it is revoked there; a PKCS#12
seal uploaded in the portal lets the invoices held for want of one go on to GİB's hub and the receiver."""

from __future__ import annotations

import pytest
import requests

from invoices.models import Invoice
from invoices.status import Status
from pipeline.flow import invoice_submit
from signing import pki
from signing.models import Seal
from tenants.models import ApiKey
from tests.browser_fixtures import PHONE, shot
from tenants.api_keys import api_key_create
from tenants.webhooks import verify, webhook_create, webhook_ping
from tests.exchange_fixtures import poll_all, today_payload
from tests.test_browser_portal import overflowing
from tests.test_webhooks import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def me(portal, raw_key: str) -> requests.Response:
    return requests.get(f"{portal.url}/api/v1/me", headers={"Authorization": f"Api-Key {raw_key}"}, timeout=10)


def test_a_key_made_in_the_portal_calls_the_api_until_it_is_revoked(portal, page, tenant_a):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    portal.log_in(page)
    page.goto(f"{portal.url}/t/{tenant_a.identifier}/")
    page.click(f"#management a[href='/t/{tenant_a.identifier}/api-keys/']")
    page.fill("#id_name", "ERP merkez")
    page.check("input[name=scopes][value=send]")
    page.click("#new-key button[type=submit]")

    raw_key = page.inner_text("#secret-value").strip()
    shot(page, "created")
    page.click("button[data-copy]")
    page.locator("button[data-copy]", has_text=page.get_attribute("button[data-copy]", "data-copied")).wait_for()  # it says it copied
    assert page.evaluate("navigator.clipboard.readText()") == raw_key  # the copy button copied the secret

    answer = me(portal, raw_key)
    assert answer.status_code == 200
    assert (answer.json()["identifier"], answer.json()["scopes"]) == (tenant_a.identifier, ["read", "send"])

    page.reload()  # the form is sent again: it makes no second key, and the secret is gone from the page
    page.wait_for_url(f"{portal.url}/t/{tenant_a.identifier}/api-keys/")
    assert page.locator("#secret-value").count() == 0 and raw_key not in page.content()
    assert ApiKey.objects.filter(tenant=tenant_a).count() == 1
    row = page.locator(f"tr[data-key='{raw_key.split('.')[0]}']")
    assert row.count() == 1
    row.locator("a.revoke").click()
    shot(page, "revoke-question")
    page.click("form.confirm button[type=submit]")
    page.wait_for_url(f"{portal.url}/t/{tenant_a.identifier}/api-keys/")
    shot(page, "revoked")

    assert me(portal, raw_key).status_code == 401
    assert row.locator("a.revoke").count() == 0


def test_a_seal_uploaded_in_the_portal_lets_held_invoices_go_on(portal, page, tenant_a, tenant_b, seal_a, test_root):
    Seal.objects.filter(tenant=tenant_a).update(is_active=False)  # A's seal is gone: its invoices wait
    held = [invoice_submit(tenant=tenant_a, data=today_payload("TICARIFATURA")) for _ in range(2)]
    assert set(Invoice.objects.filter(id__in=[i.id for i in held]).values_list("status", flat=True)) == {Status.HELD}

    portal.log_in(page)
    page.goto(f"{portal.url}/t/{tenant_a.identifier}/seals/")
    assert page.locator(f"#held a[href='/t/{tenant_a.identifier}/invoices/?status=held']").count() == 1
    assert "2" in page.inner_text("#held")
    shot(page, "held")
    page.fill("#id_p12-name", "Kamu SM 2027")
    page.set_input_files("#id_p12-file", files=[{
        "name": "a-tekstil.p12", "mimeType": "application/x-pkcs12",
        "buffer": pki.to_pkcs12(seal_a, b"gizli parola", chain=[test_root.certificate]),
    }])
    page.fill("#id_p12-password", "gizli parola")
    page.click("#pkcs12 button[type=submit]")
    page.wait_for_url(f"{portal.url}/t/{tenant_a.identifier}/seals/")
    shot(page, "registered")

    assert page.locator("#held a").count() == 0
    assert page.locator("article.seal.in-use[data-seal='Kamu SM 2027']").count() == 1
    statuses = set(Invoice.objects.filter(id__in=[i.id for i in held]).values_list("status", flat=True))
    assert statuses <= {Status.SENT, Status.DELIVERED}  # sealed, packed and sent once the registration committed
    poll_all()
    for invoice in held:
        invoice.refresh_from_db()
        assert (invoice.status, invoice.gib_code) == (Status.DELIVERED, 1300)
        assert Invoice.objects.filter(tenant=tenant_b, direction=Invoice.Direction.INCOMING, uuid=invoice.uuid).exists()
    page.goto(f"{portal.url}/t/{tenant_a.identifier}/invoices/?status=held")
    shot(page, "none-held")


def test_a_webhook_added_in_the_portal_gets_a_test_event_shown_in_its_log(portal, page, tenant_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    receiver = Receiver()
    try:
        portal.log_in(page)
        page.goto(f"{portal.url}/t/{tenant_a.identifier}/webhooks/")
        page.fill("#id_url", receiver.url)
        page.check("input[name=events][value='invoice.status_changed']")
        page.click("#new-webhook button[type=submit]")
        secret = page.inner_text("#secret-value").strip()
        shot(page, "created")
        page.click("table.webhooks a")
        page.click("#ping")
        page.wait_for_selector("tr[data-state=delivered]")
        shot(page, "log")
    finally:
        receiver.close()

    (_path, headers, body), = receiver.requests
    assert verify(secret, headers, body) and b'"type":"ping"' in body


def test_the_pages_fit_a_phone(portal, page, tenant_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # a made-up host would not resolve: a local address stands for it
    api_key_create(tenant=tenant_a, name="Muhasebe ERP entegrasyonu (merkez şube)", scopes=["read", "send", "respond"])
    webhook, _secret = webhook_create(tenant=tenant_a, url="http://127.0.0.1:9/hooks/efatura-gelen-faturalar-ve-durum-degisiklikleri")
    webhook_ping(webhook=webhook)  # nothing listens there: refused, to be tried again
    page.set_viewport_size(PHONE)
    portal.log_in(page)
    for name in ("seals", "api-keys", "webhooks", f"webhooks/{webhook.id}"):
        page.goto(f"{portal.url}/t/{tenant_a.identifier}/{name}/")
        shot(page, "phone-" + name.replace("/", "-"))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
        assert overflowing(page) == [], name
