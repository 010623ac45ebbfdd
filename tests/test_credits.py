"""Credits (kontör) in the portal: the balance and the ledger with the invoices each debit paid for,
the owners warned once each time the balance falls below its threshold, a top-up by the integrator's
staff that sends what waited for credits, and a tenant at zero told so where it sends (the invoice form,
the upload page, the API)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import transaction
from django.urls import reverse

from envelopes.models import Envelope
from gibhub.registry import hub_register
from invoices.models import Invoice
from invoices.status import Status
from pipeline.flow import invoice_submit
from signing import pki
from signing.services import seal_import_pkcs12
from tenants.api_keys import api_key_create
from tenants.ledger import credits_add, credits_debit, credits_set_threshold, credits_topup
from tenants.models import CreditAccount, LedgerEntry
from tests.clock import TODAY
from tests.concurrency import run_concurrently
from tests.delivery_fixtures import smtp  # noqa: F401  (a fixture)
from tests.exchange_fixtures import A_ALIASES, B_ALIASES, eager, equip, poll_all, today_payload, trust
from tests.factories import make_user


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def envelope_of(tenant, *numbers: str) -> Envelope:
    """An outgoing envelope and the invoices in it, as packing leaves them (only the columns the pages read)."""
    envelope = Envelope.objects.create(tenant=tenant, uuid=uuid.uuid4(), direction=Envelope.Direction.OUTGOING, type=Envelope.Type.SENDER,
                                       state=Envelope.State.SENT, sender_alias="urn:mail:gb@a-tekstil.com.tr",
                                       receiver_alias="urn:mail:pk@b-gida.com.tr", file_name="x.zip", md5="0" * 32)
    for number in numbers:
        Invoice.objects.create(tenant=tenant, number=number, uuid=str(uuid.uuid4()).upper(), profile="TICARIFATURA", type_code="SATIS",
                               issue_date=TODAY, currency="TRY", supplier_identifier=tenant.identifier, supplier_name=tenant.title,
                               customer_identifier="4840847211", customer_name="B Gıda Ltd. Şti.", tax_amount=0, payable_amount=0,
                               channel=Invoice.Channel.EFATURA, status=Status.QUEUED, envelope=envelope, xml=b"<x/>", xml_sha256="0" * 64)
    return envelope


def debit(tenant, reference: str, amount: int = 1) -> LedgerEntry:
    with transaction.atomic():
        return credits_debit(tenant=tenant, reference=reference, amount=amount)


def owner_with_email(tenant, email: str):
    user = make_user(tenant=tenant, role="owner")
    user.email = email
    user.save(update_fields=["email"])
    return user


# --- the page -------------------------------------------------------------------------------------


def test_the_ledger_lists_newest_first_each_debit_linked_to_the_invoices_it_paid_for(client_a, tenant_a):
    credits_add(tenant=tenant_a, amount=10, note="Paket 10")
    first = envelope_of(tenant_a, "AAA2026000000001", "AAA2026000000002")
    second = envelope_of(tenant_a, "AAA2026000000003")
    debit(tenant_a, str(first.uuid), 2)
    debit(tenant_a, str(second.uuid))
    page = client_a.get(reverse("portal:credits", args=[tenant_a.identifier])).content.decode()
    assert '<p class="figure" id="balance">7</p>' in page
    rows = page.split('<tr data-entry="')[1:]
    assert len(rows) == 3 and "AAA2026000000003" in rows[0] and "Paket 10" in rows[2]  # newest first
    for number in ("AAA2026000000001", "AAA2026000000002"):
        invoice = Invoice.objects.get(number=number)
        assert reverse("portal:invoice", args=[tenant_a.identifier, "out", invoice.uuid]) in rows[1]
    assert str(first.uuid) in rows[1] and "-2" in rows[1]


def test_the_ledger_is_paged(client_a, tenant_a):
    for _ in range(3):
        credits_add(tenant=tenant_a, amount=1)
    envelope_of(tenant_a, "AAA2026000000001")
    for _ in range(52):
        credits_add(tenant=tenant_a, amount=1)
    first = client_a.get(reverse("portal:credits", args=[tenant_a.identifier])).content.decode()
    second = client_a.get(reverse("portal:credits", args=[tenant_a.identifier]), {"page": 2}).content.decode()
    assert first.count('<tr data-entry="') == 50 and second.count('<tr data-entry="') == 5
    assert 'rel="next"' in first and 'rel="prev"' in second and "page 2 of 2" in second


def test_another_tenants_credits_do_not_exist(client_a, tenant_b):
    assert client_a.get(reverse("portal:credits", args=[tenant_b.identifier])).status_code == 404
    assert client_a.post(reverse("portal:credits-threshold", args=[tenant_b.identifier]), {"threshold": 5}).status_code == 404


# --- the threshold and its warning ---------------------------------------------------------------------


def test_the_owner_sets_the_threshold_and_others_may_not(client, tenant_a, user_a, settings):
    settings.CREDITS_LOW_DEFAULT = 100
    client.force_login(user_a)
    page = client.get(reverse("portal:credits", args=[tenant_a.identifier])).content.decode()
    assert 'id="threshold-form"' in page and "the platform's default, 100" in page and 'id="top-up-form"' not in page
    assert client.post(reverse("portal:credits-threshold", args=[tenant_a.identifier]), {"threshold": "-1"}).status_code == 400
    assert client.post(reverse("portal:credits-threshold", args=[tenant_a.identifier]), {"threshold": "25"}).status_code == 302
    assert CreditAccount.objects.get(tenant=tenant_a).low_threshold == 25
    for role in ("accountant", "clerk", "viewer"):
        client.force_login(make_user(tenant=tenant_a, role=role))
        assert 'id="threshold-form"' not in client.get(reverse("portal:credits", args=[tenant_a.identifier])).content.decode()
        assert client.post(reverse("portal:credits-threshold", args=[tenant_a.identifier]), {"threshold": "1"}).status_code == 403
    assert CreditAccount.objects.get(tenant=tenant_a).low_threshold == 25


def test_owners_are_warned_once_per_crossing_by_e_mail_and_the_dashboard_says_it(client_a, tenant_a, smtp, django_capture_on_commit_callbacks):
    owner_with_email(tenant_a, "patron@a-tekstil.com.tr")
    accountant = make_user(tenant=tenant_a, role="accountant")
    accountant.email = "muhasebe@a-tekstil.com.tr"  # told nothing: the owners buy credits
    accountant.save(update_fields=["email"])
    credits_set_threshold(tenant=tenant_a, threshold=5)
    credits_add(tenant=tenant_a, amount=7)
    with eager():
        for reference in ("E1", "E2", "E3", "E4", "E5"):  # 6, 5, then 4 crosses, 3 and 2 stay below
            with django_capture_on_commit_callbacks(execute=True):
                debit(tenant_a, reference)
        assert len(smtp.messages) == 1
        message = smtp.parsed()
        assert smtp.messages[0][1] == ["patron@a-tekstil.com.tr"] and tenant_a.title in message["Subject"] and "4" in message.get_content()
        banner = client_a.get(reverse("portal:dashboard", args=[tenant_a.identifier])).content.decode()
        assert 'id="credits-low-banner"' in banner and "2 left, below 5" in banner
        credits_add(tenant=tenant_a, amount=3)  # 5: back at the threshold, the next crossing warns again
        assert 'id="credits-low-banner"' not in client_a.get(reverse("portal:dashboard", args=[tenant_a.identifier])).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            debit(tenant_a, "E6")
        assert len(smtp.messages) == 2


def test_a_debit_rolled_back_warns_nobody(tenant_a, smtp, django_capture_on_commit_callbacks):
    owner_with_email(tenant_a, "patron@a-tekstil.com.tr")
    credits_set_threshold(tenant=tenant_a, threshold=5)
    credits_add(tenant=tenant_a, amount=5)
    with eager(), django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            credits_debit(tenant=tenant_a, reference="E1")
            raise RuntimeError("the send failed")
    assert smtp.messages == [] and CreditAccount.objects.get(tenant=tenant_a).low_warned_at is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_debits_across_the_threshold_warn_once(tenant_a, smtp):
    owner_with_email(tenant_a, "patron@a-tekstil.com.tr")
    credits_set_threshold(tenant=tenant_a, threshold=10)
    credits_add(tenant=tenant_a, amount=15)
    with eager():
        results, errors = run_concurrently(lambda: debit(tenant_a, "E").balance_after, count=12)
    assert not errors and sorted(results) == list(range(3, 15))
    assert len(smtp.messages) == 1 and CreditAccount.objects.get(tenant=tenant_a).low_warned_at is not None


# --- the top-up ------------------------------------------------------------------------------------


def test_only_the_integrators_staff_top_up_with_a_note(client, tenant_a, user_a):
    client.force_login(user_a)
    assert client.post(reverse("portal:credits-top-up", args=[tenant_a.identifier]), {"amount": 50, "note": "x"}).status_code == 403
    staff = make_user()
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    client.force_login(staff)  # not a member of A: the staff serve every tenant's credits
    page = client.get(reverse("portal:credits", args=[tenant_a.identifier])).content.decode()
    assert 'id="top-up-form"' in page and 'id="threshold-form"' not in page
    refused = client.post(reverse("portal:credits-top-up", args=[tenant_a.identifier]), {"amount": 0, "note": ""})
    assert refused.status_code == 400 and not LedgerEntry.objects.exists()
    done = client.post(reverse("portal:credits-top-up", args=[tenant_a.identifier]), {"amount": 50, "note": "Havale 2026/118"})
    assert done.status_code == 302
    entry = LedgerEntry.objects.get(tenant=tenant_a)
    assert (entry.kind, entry.amount, entry.balance_after, entry.note, entry.created_by) == ("topup", 50, 50, "Havale 2026/118", staff)
    assert client.get(reverse("portal:credits", args=["9000068418"])).status_code == 404  # no such tenant


def test_the_service_refuses_a_top_up_by_someone_not_staff(tenant_a, user_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        credits_topup(tenant=tenant_a, amount=5, note="kendim", by=user_a)


# --- at zero ---------------------------------------------------------------------------------------


def test_at_zero_the_form_and_the_upload_page_say_so_before_one_starts(client_a, tenant_a, gib_package):
    for name in ("portal:invoice-new", "portal:uploads", "portal:dashboard"):
        page = client_a.get(reverse(name, args=[tenant_a.identifier])).content.decode()
        assert "No credits left" in page, name
    credits_add(tenant=tenant_a, amount=1)
    for name in ("portal:invoice-new", "portal:uploads"):
        assert 'id="credits-empty"' not in client_a.get(reverse(name, args=[tenant_a.identifier])).content.decode()


def test_at_zero_the_form_refuses_an_efatura_invoice_and_issues_nothing(client_a, tenant_a, gib_package):
    response = client_a.post(reverse("portal:invoice-new-issue", args=[tenant_a.identifier]),
                             json.dumps({"payload": today_payload("TICARIFATURA")}), content_type="application/json")
    assert response.status_code == 402 and "0 credits left" in response.json()["errors"]["body"]
    assert not Invoice.objects.filter(tenant=tenant_a).exists()


def test_at_zero_the_api_answers_402_insufficient_credits_and_issues_nothing(client, tenant_a, gib_package):
    raw = api_key_create(tenant=tenant_a, name="erp", scopes=["read", "send"])[1]
    send = lambda: client.post("/api/v1/invoices", json.dumps(today_payload("TICARIFATURA")), content_type="application/json",  # noqa: E731
                               HTTP_AUTHORIZATION=f"Api-Key {raw}", HTTP_ACCEPT_LANGUAGE="en")
    refused = send()
    assert refused.status_code == 402 and refused["Content-Type"] == "application/problem+json"
    body = refused.json()
    assert (body["code"], body["status"], body["title"]) == ("insufficient_credits", 402, "Payment required")
    assert "0 credits left" in body["detail"] and not Invoice.objects.filter(tenant=tenant_a).exists()
    credits_add(tenant=tenant_a, amount=1)
    assert send().status_code == 201


# --- what waited goes out when credits come -------------------------------------------------------------------


@pytest.fixture
def hub_without_as_credits(settings, live_server, test_root, seal_a, seal_b, tenant_a, tenant_b, tmp_path, monkeypatch):
    """A and B registered at the local hub, each with its seal; only B has credits."""
    trust(settings, tmp_path, test_root)
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    settings.GIB_SERVICE_URL = f"{live_server.url}/gibhub/services/EFatura"
    settings.GIB_HUB_DELIVERY_ATTEMPTS, settings.GIB_HUB_RETRY_DELAY = 2, 0
    endpoint = f"{live_server.url}/gib/services/EFatura"
    hub_register(identifier=tenant_a.identifier, title=tenant_a.title, aliases=A_ALIASES, endpoint=endpoint)
    hub_register(identifier=tenant_b.identifier, title=tenant_b.title, aliases=B_ALIASES, endpoint=endpoint)
    seal_import_pkcs12(tenant=tenant_a, name="test seal", data=pki.to_pkcs12(seal_a, b"secret", chain=[test_root.certificate]), password=b"secret")
    equip(tenant_b, seal_b, test_root)
    with eager():
        yield


@pytest.mark.django_db(transaction=True)
def test_a_staff_top_up_sends_the_invoices_that_waited_for_credits(hub_without_as_credits, client, tenant_a, tenant_b, gib_package):
    waiting = [invoice_submit(tenant=tenant_a, data=today_payload("TICARIFATURA")) for _ in range(2)]
    envelopes = list(Envelope.objects.filter(tenant=tenant_a, direction=Envelope.Direction.OUTGOING).order_by("id"))
    assert len(envelopes) == 2  # each invoice packed as it was sealed
    for envelope in envelopes:
        assert (envelope.state, envelope.waits_for_credits) == (Envelope.State.PACKED, True) and "0 credits left" in envelope.attention
    assert {Invoice.objects.get(id=i.id).status for i in waiting} == {Status.QUEUED}

    staff = make_user()
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    client.force_login(staff)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("portal:credits-top-up", args=[tenant_a.identifier]), {"amount": 5, "note": "Havale 2026/119"})
    assert response.status_code == 302  # its commit sends the envelope
    poll_all()

    for envelope in envelopes:
        envelope.refresh_from_db()
        assert (envelope.state, envelope.waits_for_credits, envelope.attention) == (Envelope.State.DONE, False, "")
    for invoice in waiting:
        invoice.refresh_from_db()
        assert (invoice.status, invoice.gib_code) == (Status.DELIVERED, 1300)
        assert Invoice.objects.filter(tenant=tenant_b, direction=Invoice.Direction.INCOMING, uuid=invoice.uuid).exists()
    assert list(LedgerEntry.objects.filter(tenant=tenant_a).order_by("id").values_list("kind", "amount", "balance_after", "reference")) == [
        ("topup", 5, 5, ""), ("debit", -1, 4, str(envelopes[0].uuid)), ("debit", -1, 3, str(envelopes[1].uuid))]
    page = client.get(reverse("portal:credits", args=[tenant_a.identifier])).content.decode()
    assert all(invoice.number in page for invoice in waiting)
