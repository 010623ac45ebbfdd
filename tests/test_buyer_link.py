"""The buyer's link, the portal's delivery card and "send again", and the walls between tenants on
every new page and call."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from archive.models import Document, Event
from archive.services import document_bytes
from delivery import services
from delivery.models import Delivery, Link
from invoices.documents import invoice_xml
from tenants.api_keys import api_key_create
from tests.delivery_fixtures import BUYER_EMAIL, earsiv, smtp  # noqa: F401  (fixtures)
from tests.factories import make_user
from tests.test_delivery import issue


@pytest.fixture(autouse=True)
def _no_misses_counted():
    cache.clear()  # the count of wrong tokens per address lives in the cache
    yield
    cache.clear()


@pytest.fixture
def kept(client, earsiv, smtp):
    """A's e-Arşiv invoice, sealed and delivered by e-mail, and its link."""
    invoice = issue(client, earsiv)
    return invoice, services.link_for(invoice=invoice)

pytestmark = pytest.mark.django_db(transaction=True)  # the pipeline enqueues its tasks when a transaction commits


def test_the_link_shows_the_invoice_with_its_pdf_and_xml_without_a_login(client, kept):
    invoice, link = kept
    page = client.get(f"/e/{link.token}")
    assert page.status_code == 200 and invoice.number in page.content.decode() and invoice.tenant.title in page.content.decode()
    assert page["Referrer-Policy"] == "no-referrer" and "no-store" in page["Cache-Control"]

    view = client.get(f"/e/{link.token}/view")
    assert view.status_code == 200 and "sandbox" in view["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in view["Content-Security-Policy"] and view["X-Frame-Options"] == "SAMEORIGIN"

    pdf = client.get(f"/e/{link.token}/pdf")
    archived = Document.objects.get(kind=Document.Kind.PDF, subject_id=invoice.document_id)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content == document_bytes(archived)
    xml = client.get(f"/e/{link.token}/xml")
    assert xml.content == invoice_xml(invoice) and f"{invoice.number}.xml" in xml["Content-Disposition"]
    assert set(Event.objects.filter(subject_ref=str(invoice.uuid), user=None, api_key=None).values_list("action", flat=True)) == {"viewed", "downloaded"}


def test_the_token_is_random_and_says_nothing_of_the_invoice(kept):
    invoice, link = kept
    assert len(link.token) >= 43  # 32 random bytes, URL-safe base64
    assert str(invoice.uuid).replace("-", "")[:8] not in link.token.lower() and invoice.number not in link.token
    assert services.link_for(invoice=invoice) == link  # one live link per invoice


def test_a_wrong_token_is_a_plain_404_and_too_many_from_one_address_are_refused(client, kept, settings):
    _invoice, link = kept
    settings.LINK_MISSES_ALLOWED = 3
    for wrong in ("x" * 43, link.token[:-1] + ("A" if link.token[-1] != "A" else "B"), "%27%3B--"):
        missed = client.get(f"/e/{wrong}")
        assert missed.status_code == 404 and missed["Content-Type"].startswith("text/plain")
        assert _invoice.tenant.title not in missed.content.decode()
    refused = client.get(f"/e/{link.token}")
    assert refused.status_code == 429  # the right token too, from an address that was guessing
    assert client.get(f"/e/{link.token}", REMOTE_ADDR="10.1.2.3").status_code == 200  # another address is not held up


def test_a_revoked_link_opens_nothing_and_the_next_one_is_new(client, kept):
    invoice, link = kept
    assert services.link_revoke(invoice=invoice) == 1
    assert client.get(f"/e/{link.token}").status_code == 404
    fresh = services.link_for(invoice=invoice)
    assert fresh.token != link.token and client.get(f"/e/{fresh.token}").status_code == 200
    assert Link.objects.filter(invoice=invoice).count() == 2


def test_the_invoice_page_shows_the_link_the_pdf_and_every_try_and_sends_again(client, kept, smtp, tenant_a):
    invoice, link = kept
    user = make_user(tenant=tenant_a, role="clerk")
    client.force_login(user)
    base = f"/t/{tenant_a.identifier}/invoices/out/{invoice.uuid}/"
    page = client.get(base).content.decode()
    assert services.link_url(link) in page and BUYER_EMAIL in page and "queued as Q1" in page and f"{base}pdf/" in page

    pdf = client.get(f"{base}pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    sent = client.post(f"{base}deliver/", {"channel": "email", "address": "muhasebe@example.org"}, follow=True)
    assert sent.status_code == 200 and len(smtp.messages) == 2 and smtp.messages[1][1] == ["muhasebe@example.org"]
    assert Delivery.objects.filter(invoice=invoice, origin="requested", requested_by=user, state="delivered").count() == 1
    refused = client.post(f"{base}deliver/", {"channel": "sms", "address": "0212 444 0 444"}, follow=True)
    assert "mobile" in refused.content.decode().lower() or "cep" in refused.content.decode().lower()

    assert client.post(f"{base}link/revoke/").status_code == 302
    assert client.get(f"/e/{link.token}").status_code == 404


def test_a_viewer_downloads_the_pdf_but_cannot_send_or_revoke(client, kept, tenant_a):
    invoice, link = kept
    client.force_login(make_user(tenant=tenant_a, role="viewer"))
    base = f"/t/{tenant_a.identifier}/invoices/out/{invoice.uuid}/"
    assert client.get(f"{base}pdf/").status_code == 200
    assert client.post(f"{base}deliver/", {"channel": "email", "address": "x@example.org"}).status_code == 403
    assert client.post(f"{base}link/revoke/").status_code == 403
    assert client.get(f"/e/{link.token}").status_code == 200


def test_tenant_b_gets_404_for_as_invoice_on_every_new_page_and_call(client, kept, tenant_b):
    invoice, _link = kept
    client.force_login(make_user(tenant=tenant_b, role="owner"))
    for path in (f"/t/{tenant_b.identifier}/invoices/out/{invoice.uuid}/pdf/", f"/t/{invoice.tenant.identifier}/invoices/out/{invoice.uuid}/pdf/"):
        assert client.get(path).status_code == 404
    for path in ("deliver/", "link/revoke/"):
        assert client.post(f"/t/{tenant_b.identifier}/invoices/out/{invoice.uuid}/{path}", {"channel": "email", "address": "x@example.org"}).status_code == 404
    key = api_key_create(tenant=tenant_b, name="erp", scopes=["read", "send"])[1]
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
    ettn = str(invoice.uuid).upper()
    for path in (f"/api/v1/invoices/{ettn}/pdf", f"/api/v1/incoming/{ettn}/pdf", f"/api/v1/invoices/{ettn}/deliveries"):
        assert client.get(path, **auth).status_code == 404
    posted = client.post(f"/api/v1/invoices/{ettn}/deliveries", json.dumps({"email": "x@example.org"}), content_type="application/json", **auth)
    assert posted.status_code == 404 and Delivery.objects.filter(address="x@example.org").count() == 0


def test_an_owner_sets_how_invoices_reach_buyers_and_a_clerk_cannot(client, tenant_a):
    client.force_login(make_user(tenant=tenant_a, role="owner"))
    page = f"/t/{tenant_a.identifier}/delivery/"
    assert client.get(page).status_code == 200
    saved = client.post(page, {"channels": "email", "sender_name": "A Tekstil", "reply_to": "muhasebe@a-tekstil.com.tr",
                               "sms_header": "ATEKSTIL", "language": "en", "sms_text_tr": "{supplier}: {number} {link}"})
    assert saved.status_code == 302
    preferences = services.preferences_of(tenant_a)
    assert (preferences.channels, preferences.language, preferences.by_sms()) == ("email", "en", False)
    refused = client.post(page, {"channels": "fax", "language": "tr"})
    assert refused.status_code == 200 and services.preferences_of(tenant_a).channels == "email"
    client.force_login(make_user(tenant=tenant_a, role="clerk"))
    assert client.get(page).status_code == 403
