"""The portal's invoice pages: the outgoing list and the inbox with their filters, one invoice with
its history, its XML and its rendered view, and KABUL/RED from the page. B never sees A's."""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from envelopes.models import Envelope
from invoices.documents import invoice_xml
from invoices.models import Invoice, StatusChange
from invoices.services import invoice_issue, set_status
from invoices.status import Status
from invoices.views import PER_PAGE
from tests.clock import TODAY
from tests.exchange_fixtures import equip
from tests.factories import make_user
from tests.gib import GIB
from tests.invoice_payloads import payload
from tests.test_display import with_stylesheet
from ubl.response import ANSWER_WINDOW

ISTANBUL = ZoneInfo("Europe/Istanbul")
A_AS_CUSTOMER = {"vkn": "1234567890", "name": "A Tekstil A.Ş.", "tax_office": "Kadıköy", "address": {"district": "Kadıköy", "city": "İstanbul"}}
# The lists' rows are dated around a day from the test clock (nothing here is sealed or validated).
DAY = TODAY - dt.timedelta(days=40)
DELIVERED_AT = dt.datetime.combine(DAY - dt.timedelta(days=9), dt.time(9, 0), tzinfo=dt.UTC)


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def outgoing(tenant, number: str, *, status=Status.ISSUED, profile="TICARIFATURA", customer=("B Gıda Ltd. Şti.", "4840847211"),
             issue_date=DAY, gib_code=None) -> Invoice:
    """A row of the outgoing list, as the pipeline leaves it (the list reads only the columns)."""
    name, identifier = customer
    return Invoice.objects.create(
        tenant=tenant, number=number, profile=profile, type_code="SATIS", issue_date=issue_date, currency="TRY",
        supplier_identifier=tenant.identifier, supplier_name=tenant.title, customer_identifier=identifier, customer_name=name,
        tax_amount=Decimal("20.00"), payable_amount=Decimal("120.00"), status=status, gib_code=gib_code, xml=b"<Invoice/>",
    )


def incoming(tenant, number: str, *, profile="TICARIFATURA", received_ago=dt.timedelta(days=1), status=Status.RECEIVED,
             supplier=("C Metal San.", "3900383669")) -> Invoice:
    name, identifier = supplier
    return Invoice.objects.create(
        tenant=tenant, number=number, direction=Invoice.Direction.INCOMING, profile=profile, type_code="SATIS", issue_date=DAY,
        currency="TRY", supplier_identifier=identifier, supplier_name=name, customer_identifier=tenant.identifier,
        customer_name=tenant.title, tax_amount=Decimal("20.00"), payable_amount=Decimal("120.00"), status=status,
        received_at=timezone.now() - received_ago, xml=b"<Invoice/>",
    )


def received_from(supplier, tenant, *, profile="TICARIFATURA", received_ago=dt.timedelta(hours=2)) -> Invoice:
    """A real invoice *supplier* issued to *tenant*, in *tenant*'s inbox as receiving leaves it."""
    sent = invoice_issue(tenant=supplier, data=payload(profile, customer=A_AS_CUSTOMER))
    Invoice.objects.filter(id=sent.id).update(
        tenant=tenant, series=None, direction=Invoice.Direction.INCOMING, status=Status.RECEIVED,
        received_at=timezone.now() - received_ago, sender_alias="urn:mail:gb@b-gida.com.tr", receiver_alias="urn:mail:pk@a-tekstil.com.tr",
    )
    return Invoice.objects.get(id=sent.id)


def detail_url(invoice: Invoice, identifier: str | None = None, name: str = "portal:invoice") -> str:
    return reverse(name, args=[identifier or invoice.tenant.identifier, invoice.direction, invoice.uuid])


def answer_url(invoice: Invoice, identifier: str | None = None) -> str:
    return reverse("portal:invoice-answer", args=[identifier or invoice.tenant.identifier, invoice.uuid])


def numbers_on(response) -> set[str]:
    return set(re.findall(r"<code>([A-Z]{3}\d{13})</code>", response.content.decode()))


# --- the outgoing list ----------------------------------------------------------------------------


def test_the_outgoing_list_shows_the_tenants_outgoing_invoices_only(client_a, tenant_a, tenant_b):
    mine = {outgoing(tenant_a, "AAA2026000000001").number, outgoing(tenant_a, "AAA2026000000002", gib_code=1300).number}
    outgoing(tenant_b, "BBB2026000000001")
    incoming(tenant_a, "CCC2026000000001")
    response = client_a.get(reverse("portal:invoices", args=[tenant_a.identifier]))
    assert response.status_code == 200
    assert numbers_on(response) == mine
    page = response.content.decode()
    assert "B Gıda Ltd. Şti." in page and "TICARIFATURA" in page and "1300" in page
    assert 'title="BAŞARIYLA TAMAMLANDI"' in page  # the code's meaning, in Turkish by default


@pytest.mark.parametrize("query, expected", [
    ({"status": Status.DELIVERED}, {"AAA2026000000002"}),
    ({"profile": "TEMELFATURA"}, {"AAA2026000000003"}),
    ({"search": "000000001"}, {"AAA2026000000001"}),
    ({"search": "ankara"}, {"AAA2026000000003"}),
    ({"search": "90000"}, {"AAA2026000000003"}),  # the start of the customer's VKN
    ({"date_from": (DAY - dt.timedelta(days=5)).isoformat(), "date_to": (DAY + dt.timedelta(days=10)).isoformat()}, {"AAA2026000000001", "AAA2026000000002"}),
    ({"date_to": (DAY - dt.timedelta(days=9)).isoformat()}, {"AAA2026000000003"}),
    ({"status": "no-such-status"}, {"AAA2026000000001", "AAA2026000000002", "AAA2026000000003"}),  # dropped, not an error
])
def test_the_outgoing_filters(client_a, tenant_a, tenant_b, query, expected):
    outgoing(tenant_a, "AAA2026000000001")
    outgoing(tenant_a, "AAA2026000000002", status=Status.DELIVERED, issue_date=DAY + dt.timedelta(days=10))
    outgoing(tenant_a, "AAA2026000000003", profile="TEMELFATURA", customer=("Ankara Büyükşehir Belediyesi", "9000068418"),
             issue_date=DAY - dt.timedelta(days=37))
    outgoing(tenant_b, "BBB2026000000001", status=Status.DELIVERED)  # matches every filter, but is B's
    response = client_a.get(reverse("portal:invoices", args=[tenant_a.identifier]), query)
    assert response.status_code == 200
    assert numbers_on(response) == expected


def test_the_outgoing_list_is_paginated_and_keeps_its_filters(client_a, tenant_a):
    for n in range(1, PER_PAGE + 6):
        outgoing(tenant_a, f"AAA2026{n:09d}")
    outgoing(tenant_a, "AAA2026999999999", status=Status.DELIVERED)
    url = reverse("portal:invoices", args=[tenant_a.identifier])
    first = client_a.get(url, {"status": Status.ISSUED})
    assert len(numbers_on(first)) == PER_PAGE
    following = re.search(r'<a href="\?(status=issued&amp;after=[^"]+)" rel="next">', first.content.decode())
    second = client_a.get(f"{url}?{following.group(1).replace('&amp;', '&')}")
    assert len(numbers_on(second)) == 5 and not numbers_on(first) & numbers_on(second)
    assert "AAA2026999999999" not in numbers_on(first) | numbers_on(second)


# --- the inbox ------------------------------------------------------------------------------------


def test_the_inbox_shows_incoming_invoices_and_which_await_an_answer_until_when(client_a, tenant_a, tenant_b):
    waiting = incoming(tenant_a, "CCC2026000000001")
    lapsed = incoming(tenant_a, "CCC2026000000002", received_ago=dt.timedelta(days=9))
    temel = incoming(tenant_a, "CCC2026000000003", profile="TEMELFATURA")
    answered = incoming(tenant_a, "CCC2026000000004", status=Status.REJECTED)
    incoming(tenant_b, "CCC2026000000005")
    outgoing(tenant_a, "AAA2026000000001")
    url = reverse("portal:inbox", args=[tenant_a.identifier])
    response = client_a.get(url)
    assert numbers_on(response) == {waiting.number, lapsed.number, temel.number, answered.number}
    page = response.content.decode()
    deadline = (waiting.received_at + ANSWER_WINDOW).astimezone(ISTANBUL).strftime("%d.%m.%Y %H:%M")
    assert "C Metal San." in page and deadline in page
    assert page.count('class="warning awaiting"') == 1
    assert numbers_on(client_a.get(url, {"awaiting": "on"})) == {waiting.number}
    assert numbers_on(client_a.get(url, {"search": "CCC2026000000003"})) == {temel.number}


# --- one invoice ----------------------------------------------------------------------------------


@pytest.fixture
def delivered(tenant_a) -> Invoice:
    """A's invoice, taken through the pipeline's states to GİB's 1300, the last step at a known time."""
    invoice = invoice_issue(tenant=tenant_a, data=payload("TICARIFATURA"))
    for status in (Status.VALID, Status.SEALED, Status.QUEUED, Status.SENT):
        set_status(invoice=invoice, to=status)
    set_status(invoice=invoice, to=Status.DELIVERED, code="1300", text="BASARIYLA TAMAMLANDI")
    StatusChange.objects.filter(invoice=invoice, code="1300").update(created_at=DELIVERED_AT)
    Invoice.objects.filter(id=invoice.id).update(gib_code=1300)
    invoice.refresh_from_db()
    return invoice


def test_the_invoice_page_shows_parties_totals_routing_and_its_history_in_istanbul_time(client_a, delivered):
    response = client_a.get(detail_url(delivered))
    assert response.status_code == 200
    page = response.content.decode()
    assert delivered.number in page and str(delivered.uuid) in page
    assert "A Tekstil A.Ş." in page and "B Gıda Ltd. Şti." in page and "4840847211" in page
    assert "urn:mail:pk@b-gida.com.tr" in page  # the routing decision's postbox
    assert f"{DELIVERED_AT:%d.%m.%Y} 12:00:00" in page  # 09:00 UTC, shown in Istanbul
    assert "BAŞARIYLA TAMAMLANDI" in page  # 1300's meaning from envelopes.codes, in Turkish
    assert len(response.context["history"]) == 6
    assert detail_url(delivered, name="portal:invoice-xml") in page and detail_url(delivered, name="portal:invoice-view") in page


def test_the_history_speaks_english_when_chosen(client_a, delivered):
    page = english(client_a).get(detail_url(delivered)).content.decode()
    assert "Delivered: the receiver has the documents." in page and "Status history" in page


def test_the_xml_downloads_as_it_is_stored(client_a, delivered):
    response = client_a.get(detail_url(delivered, name="portal:invoice-xml"))
    assert response.status_code == 200 and response.content == invoice_xml(delivered)
    assert response["Content-Disposition"] == f'attachment; filename="{delivered.number}.xml"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_view_is_served_under_a_sandboxing_policy(client_a, delivered):
    response = client_a.get(detail_url(delivered, name="portal:invoice-view"))
    assert response.status_code == 200 and response["Content-Type"] == "text/html; charset=utf-8"
    policy = {part.strip() for part in response["Content-Security-Policy"].split(";")}
    assert {"sandbox", "default-src 'none'", "style-src 'unsafe-inline'", "img-src data:"} <= policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert delivered.number in response.content.decode() and "Satıcı" in response.content.decode()


def test_an_invoice_with_a_hostile_design_is_not_shown_and_the_page_says_why(client_a, tenant_a, tenant_b):
    invoice = received_from(tenant_b, tenant_a)
    hostile = ('<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
               '<xsl:template match="/"><pre><xsl:copy-of select="document(\'file:///etc/passwd\')"/></pre></xsl:template></xsl:stylesheet>')
    Invoice.objects.filter(id=invoice.id).update(xml=with_stylesheet(invoice_xml(invoice), hostile.encode()))
    response = english(client_a).get(detail_url(invoice, name="portal:invoice-view"), follow=True)
    assert response.redirect_chain == [(detail_url(invoice), 302)]
    page = response.content.decode()
    assert "stylesheet cannot be used" in page and "root:" not in page


def test_an_outgoing_invoice_shows_the_customers_answer(client_a, delivered, gib_package):
    page = client_a.get(detail_url(delivered)).content.decode()
    assert detail_url(delivered, name="portal:invoice-response-view") not in page  # no answer yet
    answer = (GIB / "samples/responses/3_UYGULAMA_YANITI_RED.xml").read_bytes()  # as receiving stores the customer's
    Invoice.objects.filter(id=delivered.id).update(answer="RED", answer_reason="Miktar hatalı", answered_at=timezone.now(), answer_xml=answer)
    set_status(invoice=delivered, to=Status.REJECTED, code="RED", text="Miktar hatalı")
    page = client_a.get(detail_url(delivered)).content.decode()
    assert "<strong>RED</strong>" in page and "Miktar hatalı" in page
    assert detail_url(delivered, name="portal:invoice-response-view") in page
    view = client_a.get(detail_url(delivered, name="portal:invoice-response-view"))
    assert view.status_code == 200 and "sandbox" in view["Content-Security-Policy"]
    download = client_a.get(detail_url(delivered, name="portal:invoice-response-xml"))
    assert download.content == answer and f"{delivered.number}-RED.xml" in download["Content-Disposition"]


def test_b_gets_404_for_every_page_of_as_invoice(client_b, tenant_a, tenant_b, delivered):
    inbound = incoming(tenant_a, "CCC2026000000001")
    for identifier in (tenant_a.identifier, tenant_b.identifier):
        for name in ("portal:invoice", "portal:invoice-xml", "portal:invoice-view", "portal:invoice-response-view"):
            assert client_b.get(detail_url(delivered, identifier, name)).status_code == 404
            assert client_b.get(detail_url(inbound, identifier, name)).status_code == 404
        assert client_b.post(answer_url(inbound, identifier), {"code": "KABUL"}).status_code == 404
    for name in ("portal:invoices", "portal:inbox"):
        assert client_b.get(reverse(name, args=[tenant_a.identifier])).status_code == 404


def test_the_url_says_the_direction(client_a, delivered):
    wrong = reverse("portal:invoice", args=[delivered.tenant.identifier, "in", delivered.uuid])
    assert client_a.get(wrong).status_code == 404


# --- KABUL / RED ----------------------------------------------------------------------------------


@pytest.fixture
def sealed_a(tenant_a, seal_a, test_root):
    """A with its seal: an answer is sealed before it goes."""
    equip(tenant_a, seal_a, test_root)
    return tenant_a


def test_kabul_from_the_page_accepts_the_invoice_and_queues_the_answer(client_a, sealed_a, tenant_b, django_capture_on_commit_callbacks):
    invoice = received_from(tenant_b, sealed_a)
    page = client_a.get(detail_url(invoice)).content.decode()
    assert 'value="KABUL"' in page and 'value="RED"' in page
    with django_capture_on_commit_callbacks() as sends:
        response = client_a.post(answer_url(invoice), {"code": "KABUL"}, follow=True)
    assert response.redirect_chain == [(detail_url(invoice), 302)]
    invoice.refresh_from_db()
    assert (invoice.status, invoice.answer, invoice.status_changes.last().code) == (Status.ACCEPTED, "KABUL", "KABUL")
    envelope = Envelope.objects.get(tenant=sealed_a, type=Envelope.Type.POSTBOX, direction=Envelope.Direction.OUTGOING)
    assert (envelope.state, envelope.receiver_alias, envelope.sender_alias) == (
        Envelope.State.PACKED, "urn:mail:gb@b-gida.com.tr", "urn:mail:pk@a-tekstil.com.tr")
    assert len(sends) == 1  # its sending, enqueued once the answer is committed
    after = response.content.decode()
    assert 'class="message success"' in after and 'value="KABUL"' not in after


def test_red_with_a_reason_rejects_and_the_answer_can_be_viewed(client_a, sealed_a, tenant_b, gib_package):
    invoice = received_from(tenant_b, sealed_a)
    response = english(client_a).post(answer_url(invoice), {"code": "RED", "reason": "Fiyat hatalı"}, follow=True)
    assert "rejected" in response.content.decode()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.answer, invoice.answer_reason) == (Status.REJECTED, "RED", "Fiyat hatalı")
    view = client_a.get(detail_url(invoice, name="portal:invoice-response-view"))  # our sealed RED, through GİB's appResponse.xslt
    assert view.status_code == 200 and "Fiyat hatalı" in view.content.decode() and "sandbox" in view["Content-Security-Policy"]


def test_red_without_a_reason_is_refused_with_a_message(client_a, sealed_a, tenant_b):
    invoice = received_from(tenant_b, sealed_a)
    response = english(client_a).post(answer_url(invoice), {"code": "RED", "reason": "  "}, follow=True)
    assert "A RED answer needs a reason." in response.content.decode()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.answer) == (Status.RECEIVED, "")
    assert not Envelope.objects.filter(tenant=sealed_a).exists()


def test_a_viewer_sees_no_buttons_and_cannot_answer(client, sealed_a, tenant_b):
    client.force_login(make_user(tenant=sealed_a, role="viewer"))
    invoice = received_from(tenant_b, sealed_a)
    page = client.get(detail_url(invoice)).content.decode()
    assert 'name="code"' not in page
    assert client.post(answer_url(invoice), {"code": "KABUL"}).status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == Status.RECEIVED


def test_after_8_days_no_buttons_and_the_service_refuses(client_a, sealed_a, tenant_b):
    invoice = received_from(tenant_b, sealed_a, received_ago=ANSWER_WINDOW + dt.timedelta(minutes=1))
    assert 'name="code"' not in client_a.get(detail_url(invoice)).content.decode()
    response = english(client_a).post(answer_url(invoice), {"code": "KABUL"}, follow=True)
    assert "the 8 days to answer ended" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Status.RECEIVED


def test_a_temelfatura_takes_no_answer(client_a, sealed_a, tenant_b):
    invoice = received_from(tenant_b, sealed_a, profile="TEMELFATURA")
    assert 'name="code"' not in client_a.get(detail_url(invoice)).content.decode()
    response = english(client_a).post(answer_url(invoice), {"code": "KABUL"}, follow=True)
    assert "only TICARIFATURA invoices are answered" in response.content.decode()


def test_the_answer_form_needs_the_csrf_token(sealed_a, tenant_b, user_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user_a)
    invoice = received_from(tenant_b, sealed_a)
    assert client.post(answer_url(invoice), {"code": "KABUL"}).status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == Status.RECEIVED


# --- the dashboard --------------------------------------------------------------------------------


def test_the_dashboard_counts_invoices_and_links_to_the_lists(client_a, tenant_a, tenant_b):
    outgoing(tenant_a, "AAA2026000000001")
    outgoing(tenant_a, "AAA2026000000002")
    outgoing(tenant_a, "AAA2026000000003", status=Status.DELIVERED)
    incoming(tenant_a, "CCC2026000000001")
    incoming(tenant_a, "CCC2026000000002", received_ago=dt.timedelta(days=9))
    outgoing(tenant_b, "BBB2026000000001", status=Status.FAILED)
    response = client_a.get(reverse("portal:dashboard", args=[tenant_a.identifier]))
    assert [(status, count) for status, _label, count in response.context["outgoing"]] == [(Status.ISSUED, 2), (Status.DELIVERED, 1)]
    assert (response.context["incoming"], response.context["awaiting"]) == (2, 1)
    page = response.content.decode()
    invoices, inbox = reverse("portal:invoices", args=[tenant_a.identifier]), reverse("portal:inbox", args=[tenant_a.identifier])
    assert f'href="{invoices}?status=issued"' in page and f'href="{invoices}?status=delivered"' in page
    assert f'href="{inbox}?awaiting=on"' in page and f'href="{invoices}"' in page
    assert "status=failed" not in page  # B's
