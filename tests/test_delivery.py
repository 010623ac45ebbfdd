"""Delivering an e-Arşiv invoice to its buyer by e-mail, end to end: issued through the API, sealed,
its PDF made and archived, sent to a real SMTP server on loopback, each try recorded; what the
server's replies mean; a worker killed mid-send; "send again"; the tenant's preferences."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from email import message_from_bytes, policy

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from archive.models import Document
from archive.services import document_bytes
from delivery import services
from delivery.models import Attempt, Delivery, Plan, Preferences
from delivery.tasks import deliveries_due as due_task
from invoices.documents import invoice_xml
from invoices.models import Invoice
from invoices.status import Status
from signing.verify import verify
from tenants.models import WebhookDelivery
from tenants.webhooks import INVOICE_DELIVERED, INVOICE_DELIVERY_FAILED, webhook_create
from tests.delivery_fixtures import BUYER, BUYER_EMAIL, earsiv, free_port, smtp  # noqa: F401  (fixtures)
from tests.exchange_fixtures import today_payload
from tests.sms_fixtures import gateway, skip_without_gateway  # noqa: F401  (fixtures)
from tests.worker_fixtures import CHECKOUT, database_url

INVOICES = "/api/v1/invoices"

pytestmark = pytest.mark.django_db(transaction=True)  # the pipeline enqueues its tasks when a transaction commits


def issue(client, key: str, **extra) -> Invoice:
    """An e-Arşiv invoice issued through the API, as an ERP does; the tasks run as it is issued."""
    body = today_payload("EARSIVFATURA", customer=extra.pop("customer", BUYER), **extra)
    response = client.post(INVOICES, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code == 201, response.content
    invoice = Invoice.objects.get(uuid=response.json()["uuid"], direction=Invoice.Direction.OUTGOING)
    assert invoice.status == Status.KEPT, invoice.status_changes.values_list("to_status", "text")
    return invoice


def attachments(message) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}


def test_an_earsiv_invoice_issued_through_the_api_reaches_the_buyer_once_with_its_pdf_and_signed_xml(client, earsiv, smtp, tenant_a, test_root):
    webhook_create(tenant=tenant_a, url="https://erp.example.com.tr/hooks", events=[INVOICE_DELIVERED])
    invoice = issue(client, earsiv)

    assert len(smtp.messages) == 1, list(Attempt.objects.values_list("code", "reply"))
    sender, recipients, _raw = smtp.messages[0]
    assert recipients == [BUYER_EMAIL] and sender == django_settings.DEFAULT_FROM_EMAIL
    message = smtp.parsed()
    assert invoice.number in message["Subject"] and tenant_a.title in str(message["From"])
    files = attachments(message)
    pdf = Document.objects.get(kind=Document.Kind.PDF, subject_type="document", subject_id=invoice.document_id)
    assert files[f"{invoice.number}.pdf"] == document_bytes(pdf) and files[f"{invoice.number}.pdf"].startswith(b"%PDF")
    signed = files[f"{invoice.number}.xml"]
    assert signed == invoice_xml(invoice) and verify(signed, roots=[test_root.certificate]).valid
    link = services.link_for(invoice=invoice)
    assert services.link_url(link) in message.get_body(("plain",)).get_content()

    delivery = Delivery.objects.get(invoice=invoice)
    assert (delivery.channel, delivery.address, delivery.state, delivery.attempts) == ("email", BUYER_EMAIL, "delivered", 1)
    (attempt,) = delivery.tries.all()
    assert (attempt.result, attempt.code) == (Attempt.Result.SENT, "250") and "queued as Q1" in attempt.reply
    log = Document.objects.get(kind=Document.Kind.DELIVERY_LOG, subject_type="delivery", subject_id=delivery.id)
    assert json.loads(document_bytes(log))["result"] == "sent"
    assert WebhookDelivery.objects.get(event=INVOICE_DELIVERED).payload["data"]["to"] == BUYER_EMAIL

    # Planned again, swept again: nothing goes a second time.
    assert services.deliveries_plan(invoice_id=invoice.id) == []
    due_task()
    assert len(smtp.messages) == 1


def test_a_refused_address_is_failed_for_good_with_the_servers_reply(client, earsiv, smtp, tenant_a):
    webhook_create(tenant=tenant_a, url="https://erp.example.com.tr/hooks", events=[INVOICE_DELIVERY_FAILED])
    smtp.refuse = "550 5.1.1 <ayse.yilmaz@example.com.tr>: Recipient address rejected"
    invoice = issue(client, earsiv)

    delivery = Delivery.objects.get(invoice=invoice)
    assert (delivery.state, delivery.next_attempt_at) == (Delivery.State.FAILED, None)
    (attempt,) = delivery.tries.all()
    assert (attempt.result, attempt.code) == (Attempt.Result.PERMANENT, "550") and "Recipient address rejected" in attempt.reply
    assert WebhookDelivery.objects.get(event=INVOICE_DELIVERY_FAILED).payload["data"]["code"] == "550"
    services_due = services.deliveries_due(now=timezone.now() + dt.timedelta(days=2))
    assert delivery.id not in services_due.send and smtp.messages == []


def test_a_temporary_refusal_and_a_server_that_is_down_are_tried_again_with_backoff(client, earsiv, smtp, settings):
    smtp.refuse = "451 4.7.1 Try again later"
    invoice = issue(client, earsiv)
    delivery = Delivery.objects.get(invoice=invoice)
    assert delivery.state == Delivery.State.PENDING and delivery.tries.get().code == "451"
    first = delivery.next_attempt_at
    assert first - delivery.tries.get().finished_at == services.BACKOFF[0]

    settings.EMAIL_PORT = free_port()  # nobody listens there
    assert services.delivery_send(delivery_id=delivery.id, now=first).state == Delivery.State.PENDING
    delivery.refresh_from_db()
    second = delivery.tries.order_by("id").last()
    assert (second.result, second.code) == (Attempt.Result.TEMPORARY, "network") and delivery.next_attempt_at > first
    assert services.delivery_send(delivery_id=delivery.id, now=first) is None  # not due yet: nothing sent

    settings.EMAIL_PORT, smtp.refuse = smtp.port, ""
    assert services.delivery_send(delivery_id=delivery.id, now=delivery.next_attempt_at).state == Delivery.State.DELIVERED
    assert len(smtp.messages) == 1 and Delivery.objects.get(id=delivery.id).attempts == 3


def test_temporary_failures_end_after_the_last_attempt(client, earsiv, smtp):
    smtp.refuse = "421 4.3.0 Busy"
    invoice = issue(client, earsiv)
    delivery = Delivery.objects.get(invoice=invoice)
    while delivery.state == Delivery.State.PENDING:
        services.delivery_send(delivery_id=delivery.id, now=delivery.next_attempt_at)
        delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (Delivery.State.FAILED, services.MAX_ATTEMPTS)


def test_the_buyer_without_an_address_gets_no_delivery_and_the_preferences_decide(client, earsiv, smtp, tenant_a):
    nobody = issue(client, earsiv, customer={k: v for k, v in BUYER.items() if k != "email"})
    assert not Delivery.objects.filter(invoice=nobody).exists() and Plan.objects.filter(invoice=nobody).exists()
    Preferences.objects.create(tenant=tenant_a, channels=Preferences.Channels.NONE)
    assert not Delivery.objects.filter(invoice=issue(client, earsiv)).exists()
    assert smtp.messages == []


def test_the_tenants_language_name_and_own_words_are_used(client, earsiv, smtp, tenant_a):
    Preferences.objects.create(tenant=tenant_a, language="en", sender_name="A Tekstil Muhasebe", reply_to="muhasebe@a-tekstil.com.tr",
                               email_text_en="Hello, here is invoice {number} for {amount} {currency} {unknown}. See {link}")
    invoice = issue(client, earsiv)
    message = smtp.parsed()
    assert message["Subject"].strip() == f"e-Arşiv invoice {invoice.number} from {tenant_a.title}"
    assert str(message["From"]).startswith("A Tekstil Muhasebe") and message["Reply-To"] == "muhasebe@a-tekstil.com.tr"
    body = message.get_body(("plain",)).get_content()
    link = services.link_url(services.link_for(invoice=invoice))
    assert f"Hello, here is invoice {invoice.number} for" in body and "{unknown}" in body and f"See {link}" in body


def test_a_turkish_message_by_default(client, earsiv, smtp, tenant_a):
    invoice = issue(client, earsiv)
    message = smtp.parsed()
    body = message.get_body(("plain",)).get_content()
    assert "Sayın" in body and invoice.number in message["Subject"] and "e-Arşiv" in message["Subject"]


def test_the_embedded_default_writes_each_message_as_an_eml_file(client, earsiv, settings, tmp_path):
    settings.EMAIL_BACKEND, settings.MAIL_DIR = "delivery.mail.EmlBackend", tmp_path / "mail"
    invoice = issue(client, earsiv)
    (path,) = (tmp_path / "mail").glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == BUYER_EMAIL and set(attachments(message)) == {f"{invoice.number}.pdf", f"{invoice.number}.xml"}
    assert str(path) in Delivery.objects.get(invoice=invoice).tries.get().reply


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_claim_and_record_sends_it_at_most_once_more_and_records_it_once(client, earsiv, smtp, tenant_a):
    Preferences.objects.create(tenant=tenant_a, channels=Preferences.Channels.NONE)
    invoice = issue(client, earsiv)
    services.pdf_document(invoice=invoice)  # drawn here: the worker below only sends
    delivery = services.delivery_request(invoice=invoice, channel=Delivery.Channel.EMAIL, address=BUYER_EMAIL)
    smtp.stall = 60  # the server keeps the message and then says nothing: the worker waits for its reply

    worker = subprocess.Popen([sys.executable, "manage.py", "shell", "-c",
                               f"from delivery.services import delivery_send; delivery_send(delivery_id={delivery.id})"],
                              cwd=CHECKOUT, env=_worker_env(), start_new_session=True)
    try:
        assert smtp.taken.wait(60), "the worker never sent"
    finally:
        worker.kill()
        worker.wait(10)
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.SENDING and delivery.tries.get().finished_at is None

    smtp.stall = 0
    later = timezone.now() + dt.timedelta(seconds=services._lapse().total_seconds() + 1)
    due = services.deliveries_due(now=later)
    assert due.released == 1 and delivery.id in due.send
    assert services.delivery_send(delivery_id=delivery.id, now=later).state == Delivery.State.DELIVERED
    assert services.deliveries_due(now=later + dt.timedelta(days=1)).send == []

    delivery.refresh_from_db()
    assert len(smtp.messages) == 2 and smtp.parsed(0)["Message-ID"] == smtp.parsed(1)["Message-ID"]
    assert [t.result for t in delivery.tries.order_by("id")] == [Attempt.Result.UNKNOWN, Attempt.Result.SENT]
    assert (delivery.attempts, delivery.uncertain) == (2, True)
    assert Document.objects.filter(kind=Document.Kind.DELIVERY_LOG, subject_id=delivery.id).count() == 1


def _worker_env() -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "CELERY_TASK_ALWAYS_EAGER")}
    return {**env, "DJANGO_SETTINGS_MODULE": "integrator.settings", "DATABASE_URL": database_url(),
            "VAR_DIR": str(django_settings.VAR_DIR), "ARCHIVE_DIR": str(django_settings.ARCHIVE_DIR),
            "EMAIL_HOST": django_settings.EMAIL_HOST, "EMAIL_PORT": str(django_settings.EMAIL_PORT), "EMAIL_USE_TLS": "false",
            "PUBLIC_URL": django_settings.PUBLIC_URL}


def test_send_again_from_the_api_to_another_address(client, earsiv, smtp):
    invoice = issue(client, earsiv)
    url = f"{INVOICES}/{str(invoice.uuid).upper()}/deliveries"
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {earsiv}"}
    response = client.post(url, json.dumps({"email": "muhasebe@example.org"}), content_type="application/json", **auth)
    assert response.status_code == 202, response.content
    assert response.json()["origin"] == "requested"
    assert [recipients for _from, recipients, _raw in smtp.messages] == [[BUYER_EMAIL], ["muhasebe@example.org"]]

    listed = client.get(url, **auth).json()
    assert [(d["to"], d["state"], [a["code"] for a in d["attempts"]]) for d in listed] == [
        ("muhasebe@example.org", "delivered", ["250"]), (BUYER_EMAIL, "delivered", ["250"])]
    for body, code in (({"email": "not an address"}, "delivery_invalid_address"), ({"sms": "0212 555 12 12"}, None),
                       ({"email": "a@b.co", "sms": "05321234567"}, "invalid"), ({}, "invalid")):
        refused = client.post(url, json.dumps(body), content_type="application/json", **auth)
        assert refused.status_code in (400, 422) and (code is None or refused.json()["code"] == code), refused.content
    assert Delivery.objects.filter(invoice=invoice).count() == 2


def test_the_pdf_is_made_once_and_served_the_same_every_time(client, earsiv, smtp):
    invoice = issue(client, earsiv)
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {earsiv}"}
    first = client.get(f"{INVOICES}/{str(invoice.uuid).upper()}/pdf", **auth)
    second = client.get(f"{INVOICES}/{str(invoice.uuid).upper()}/pdf", **auth)
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert first.content == second.content == attachments(smtp.parsed())[f"{invoice.number}.pdf"]
    assert Document.objects.filter(kind=Document.Kind.PDF).count() == 1


def test_an_invoice_not_yet_sealed_has_no_pdf_and_cannot_be_sent(tenant_a, gib_package):
    from invoices.services import invoice_issue

    invoice = invoice_issue(tenant=tenant_a, data=today_payload("TICARIFATURA"))
    with pytest.raises(services.NotDeliverable):
        services.pdf_document(invoice=invoice)
    with pytest.raises(services.NotDeliverable):
        services.delivery_request(invoice=invoice, channel="email", address=BUYER_EMAIL)


def test_a_lost_plan_is_made_by_the_sweeper(client, earsiv, smtp):
    invoice = issue(client, earsiv)
    Plan.objects.filter(invoice=invoice).delete()  # as if the task that plans had been lost
    Delivery.objects.filter(invoice=invoice).delete()
    smtp.messages.clear()
    assert services.deliveries_due(now=timezone.now()).plan == []  # too soon: its task may still be on its way
    later = timezone.now() + services.PLAN_AFTER * 2
    assert services.deliveries_due(now=later).plan == [invoice.id]
    assert [d.address for d in services.deliveries_plan(invoice_id=invoice.id)] == [BUYER_EMAIL]
    assert services.deliveries_due(now=later).plan == []


# --- by SMS, through the local SMS gateway over HTTP ------------------------------------------------


@skip_without_gateway
def test_an_earsiv_invoice_goes_by_sms_with_its_amount_and_link(client, earsiv, gateway, tenant_a):
    Preferences.objects.create(tenant=tenant_a, channels=Preferences.Channels.SMS, sms_header="ATEKSTIL")
    invoice = issue(client, earsiv, customer={**BUYER, "phone": "+90 (532) 123 45 67"})

    delivery = Delivery.objects.get(invoice=invoice)
    assert (delivery.channel, delivery.address, delivery.state) == ("sms", "5321234567", "delivered")
    (message,) = gateway.received()
    link = services.link_url(services.link_for(invoice=invoice))
    assert (message.number, message.header) == ("5321234567", "ATEKSTIL")
    assert invoice.number in message.text and link in message.text and "e-Arşiv" in message.text
    assert delivery.tries.get().code == "00"


@skip_without_gateway
def test_an_sms_the_provider_refuses_for_good_or_for_now(client, earsiv, gateway, tenant_a):
    Preferences.objects.create(tenant=tenant_a, channels=Preferences.Channels.SMS)
    gateway.force("40")  # the sender header is not defined: no try will do better
    refused = Delivery.objects.get(invoice=issue(client, earsiv, customer={**BUYER, "phone": "05321234567"}))
    assert (refused.state, refused.tries.get().code) == (Delivery.State.FAILED, "40")

    gateway.force("80")  # the sending limit: later
    later = Delivery.objects.get(invoice=issue(client, earsiv, customer={**BUYER, "phone": "05321234567"}))
    assert (later.state, later.tries.get().code) == (Delivery.State.PENDING, "80")
    assert services.delivery_send(delivery_id=later.id, now=later.next_attempt_at).state == Delivery.State.DELIVERED


def test_a_telephone_that_is_no_mobile_gets_no_sms(client, earsiv, tenant_a):
    Preferences.objects.create(tenant=tenant_a, channels=Preferences.Channels.BOTH)
    invoice = issue(client, earsiv, customer={**BUYER, "phone": "0216 444 0 444"})
    assert list(Delivery.objects.filter(invoice=invoice).values_list("channel", flat=True)) == ["email"]
