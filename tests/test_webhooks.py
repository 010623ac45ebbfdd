"""Webhooks, end to end: invoices change and arrive, a real HTTP receiver on 127.0.0.1 is told, signed as
the documentation says; retries are driven by calling beat's webhooks_due at the times they fall due."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse

from envelopes import packing
from envelopes.gib.soap import SendDocument
from envelopes.receiving import envelope_receive
from invoices.models import Invoice
from invoices.services import invoice_issue, set_status
from invoices.status import Status
from tenants.models import Webhook, WebhookAttempt, WebhookDelivery
from tenants.webhooks import (
    BACKOFF, INVOICE_RECEIVED, INVOICE_STATUS_CHANGED, signature, verify, webhook_create, webhook_delete, webhook_event, webhooks_due,
    webhooks_of,
)
from tests.concurrency import run_concurrently
from tests.envelope_helpers import ENVELOPE_ID
from tests.envelope_helpers import envelope, invoices  # noqa: F401  (fixtures)
from tests.exchange_fixtures import eager, trust
from tests.invoice_payloads import payload

pytestmark = pytest.mark.django_db(transaction=True)  # commits happen: posts wait for them, threads see them


class Receiver:
    """An HTTP server in a thread: records every request and answers with the next of *codes* (the last
    repeats). *inspect*, if given, is called with each request's headers and its result recorded."""

    def __init__(self, codes=(200,), *, inspect=None, delay: float = 0):
        self.codes, self.requests, self.inspected = list(codes), [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, dict(self.headers), body))
                if inspect is not None:
                    receiver.inspected.append(inspect(self.headers))
                time.sleep(delay)
                code = receiver.codes.pop(0) if len(receiver.codes) > 1 else receiver.codes[0]
                self.send_response(code)
                if 300 <= code < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/efatura"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _private_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receivers are on 127.0.0.1
    settings.WEBHOOK_TIMEOUT = 5


@pytest.fixture
def receiver():
    """Makes receivers; each is shut down after the test."""
    made = []

    def make(codes=(200,), **options) -> Receiver:
        made.append(Receiver(codes, **options))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.fixture
def invoice(tenant_a) -> Invoice:
    return invoice_issue(tenant=tenant_a, data=payload("TICARIFATURA"))


def validated(invoice: Invoice) -> Invoice:
    """The invoice moved issued → valid, in a transaction as the pipeline moves it, tasks run in-process."""
    with eager(), transaction.atomic():
        return set_status(invoice=invoice, to=Status.VALID, text="layers 1-4 passed")


def delivery_of(webhook: Webhook) -> WebhookDelivery:
    return WebhookDelivery.objects.get(webhook=webhook)


def attempts_of(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(delivery.attempt_log.order_by("at", "id"))


def independent_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The documented algorithm, computed here without the platform's helper."""
    return "v1=" + hmac.new(secret.encode("utf-8"), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


# --- signed posts ---------------------------------------------------------------------------------


def test_a_status_change_reaches_the_receiver_signed_as_documented(receiver, tenant_a, invoice):
    server = receiver()
    webhook, secret = webhook_create(tenant=tenant_a, url=server.url)
    assert secret.startswith("whsec_") and len(secret) > 40 and webhook.secret == secret

    with eager(), transaction.atomic():
        set_status(invoice=invoice, to=Status.VALID, text="layers 1-4 passed")
        assert server.requests == []  # posted only once the change is committed

    [(path, headers, body)] = server.requests
    assert path == "/hooks/efatura" and headers["Content-Type"] == "application/json"
    timestamp = headers["Webhook-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    assert headers["Webhook-Signature"] == independent_signature(secret, timestamp, body)
    assert signature(secret, timestamp, body) == headers["Webhook-Signature"]
    sent = json.loads(body)
    assert list(sent) == ["id", "type", "created_at", "tenant", "data"]
    assert (sent["id"], sent["type"], sent["tenant"]) == (headers["Webhook-Id"], INVOICE_STATUS_CHANGED, "1234567890")
    assert dt.datetime.fromisoformat(sent["created_at"]).tzinfo is not None
    assert sent["data"] == {
        "uuid": str(Invoice.objects.get(id=invoice.id).uuid).upper(), "number": invoice.number, "direction": "out",
        "profile": "TICARIFATURA", "type": "SATIS", "from_status": "issued", "status": "valid", "code": "",
        "text": "layers 1-4 passed", "gib_code": None,
    }
    delivery = delivery_of(webhook)
    assert (str(delivery.event_id), delivery.state, delivery.attempts, delivery.last_status_code) == (sent["id"], "delivered", 1, 200)
    assert [(a.status_code, a.error) for a in attempts_of(delivery)] == [(200, "")]


def test_the_signature_fails_with_another_secret_a_changed_body_or_an_old_timestamp(receiver, tenant_a, invoice):
    server = receiver()
    _webhook, secret = webhook_create(tenant=tenant_a, url=server.url)
    validated(invoice)
    [(_path, headers, body)] = server.requests

    assert verify(secret, headers, body)
    assert verify(secret, {name.lower(): value for name, value in headers.items()}, body)  # header names in any case
    assert not verify("whsec_" + "x" * 43, headers, body)
    assert not verify(secret, headers, body.replace(b'"valid"', b'"sealed"'))
    assert not verify(secret, {**headers, "Webhook-Signature": "v1=" + "0" * 64}, body)
    assert not verify(secret, {**headers, "Webhook-Signature": ""}, body)
    old = str(int(time.time()) - 301)
    assert not verify(secret, {**headers, "Webhook-Timestamp": old, "Webhook-Signature": independent_signature(secret, old, body)}, body)
    assert verify(secret, {**headers, "Webhook-Timestamp": old, "Webhook-Signature": independent_signature(secret, old, body)}, body, tolerance=600)


def test_tenant_b_hears_nothing_of_as_invoices(receiver, tenant_a, tenant_b, invoice):
    theirs, ours = receiver(), receiver()
    b_webhook, _secret = webhook_create(tenant=tenant_b, url=theirs.url)
    a_webhook, _secret = webhook_create(tenant=tenant_a, url=ours.url)

    validated(invoice)

    assert len(ours.requests) == 1 and theirs.requests == []
    assert not WebhookDelivery.objects.filter(webhook=b_webhook).exists()
    assert list(webhooks_of(tenant=tenant_b)) == [b_webhook] and list(webhooks_of(tenant=tenant_a)) == [a_webhook]


def test_a_change_rolled_back_is_never_told(receiver, tenant_a, invoice):
    server = receiver()
    webhook_create(tenant=tenant_a, url=server.url)

    with eager(), pytest.raises(RuntimeError), transaction.atomic():
        set_status(invoice=invoice, to=Status.VALID)
        raise RuntimeError("the pipeline failed after the move")

    assert not WebhookDelivery.objects.exists()
    assert webhooks_due(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=30)) == 0
    assert server.requests == []


def test_an_event_of_no_known_type_is_refused(tenant_a):
    with pytest.raises(ValueError):
        webhook_event(tenant=tenant_a, event="invoice.paid", data={})


def test_only_the_events_subscribed_to_are_sent(receiver, tenant_a, invoice):
    received_only, changes_only, everything = receiver(), receiver(), receiver()
    webhook_create(tenant=tenant_a, url=received_only.url, events=[INVOICE_RECEIVED])
    webhook_create(tenant=tenant_a, url=changes_only.url, events=[INVOICE_STATUS_CHANGED])
    webhook_create(tenant=tenant_a, url=everything.url)

    validated(invoice)

    assert received_only.requests == []
    assert len(changes_only.requests) == 1 and len(everything.requests) == 1


def test_a_deleted_webhook_gets_nothing_more_and_what_it_was_owed_fails(receiver, tenant_a, invoice):
    server = receiver([500])
    webhook, _secret = webhook_create(tenant=tenant_a, url=server.url)
    validated(invoice)
    assert delivery_of(webhook).state == "pending"

    webhook_delete(webhook=webhook)

    assert (delivery_of(webhook).state, delivery_of(webhook).last_error) == ("failed", "the webhook was deleted")
    assert webhooks_due(now=dt.datetime.now(dt.UTC) + dt.timedelta(days=30)) == 0
    with eager(), transaction.atomic():
        set_status(invoice=invoice, to=Status.SEALED)
    assert len(server.requests) == 1 and list(webhooks_of(tenant=tenant_a)) == []


# --- retries ----------------------------------------------------------------------------------------


def test_500_then_200_is_two_attempts_both_logged_and_delivered(receiver, tenant_a, invoice):
    server = receiver([500, 200])
    webhook, secret = webhook_create(tenant=tenant_a, url=server.url)
    validated(invoice)

    delivery = delivery_of(webhook)
    [first] = attempts_of(delivery)
    assert (first.status_code, first.error) == (500, "HTTP 500 Internal Server Error")
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == first.at + BACKOFF[0]
    assert webhooks_due(now=delivery.next_attempt_at - dt.timedelta(seconds=1)) == 0  # not yet
    assert len(server.requests) == 1

    assert webhooks_due(now=delivery.next_attempt_at) == 1

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_status_code, delivery.last_error) == ("delivered", 2, 200, "")
    assert delivery.delivered_at == delivery.attempt_log.last().at and delivery.next_attempt_at is None
    assert [a.status_code for a in attempts_of(delivery)] == [500, 200]
    ids = {headers["Webhook-Id"] for _path, headers, _body in server.requests}
    assert ids == {str(delivery.event_id)}  # the same event twice: the receiver can tell
    assert all(verify(secret, headers, body) for _path, headers, body in server.requests)
    assert webhooks_due(now=delivery.delivered_at + dt.timedelta(days=30)) == 0


def test_a_receiver_that_always_fails_ends_failed_after_the_attempts_with_growing_waits(receiver, settings, tenant_a, invoice):
    settings.WEBHOOK_ATTEMPTS = 6
    server = receiver([503])
    webhook, _secret = webhook_create(tenant=tenant_a, url=server.url)
    validated(invoice)

    waits = []
    delivery = delivery_of(webhook)
    while delivery.state == "pending":
        waits.append(delivery.next_attempt_at - delivery.attempt_log.last().at)
        assert webhooks_due(now=delivery.next_attempt_at) == 1
        delivery.refresh_from_db()

    assert waits[0] == dt.timedelta(seconds=30) and waits == list(BACKOFF[:5])
    assert all(shorter < longer for shorter, longer in zip(waits, waits[1:]))
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at, delivery.last_status_code) == ("failed", 6, None, 503)
    assert [a.status_code for a in attempts_of(delivery)] == [503] * 6 and len(server.requests) == 6
    assert webhooks_due(now=delivery.attempt_log.last().at + dt.timedelta(days=30)) == 0


def test_a_redirect_is_an_answer_not_a_delivery(receiver, tenant_a, invoice):
    server = receiver([302])
    webhook, _secret = webhook_create(tenant=tenant_a, url=server.url)
    validated(invoice)

    delivery = delivery_of(webhook)
    assert (delivery.state, delivery.last_status_code, delivery.last_error) == ("pending", 302, "HTTP 302 Found")
    assert [path for path, _headers, _body in server.requests] == ["/hooks/efatura"]  # /elsewhere never asked


def test_an_unreachable_url_is_an_attempt_with_its_error(tenant_a, invoice):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhook, _secret = webhook_create(tenant=tenant_a, url=f"http://127.0.0.1:{port}/hook")

    validated(invoice)

    delivery = delivery_of(webhook)
    [attempt] = attempts_of(delivery)
    assert attempt.status_code is None and attempt.error.startswith("ConnectionError: ")
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("pending", 1, attempt.at + BACKOFF[0])
    assert Invoice.objects.get(id=invoice.id).status == Status.VALID  # the change itself stands


def _claim_seen(headers) -> dt.timedelta:
    """Read by the receiver, on its own connection, while the post is under way."""
    try:
        delivery = WebhookDelivery.objects.get(event_id=headers["Webhook-Id"])
        return delivery.next_attempt_at - delivery.created_at
    finally:
        connection.close()


def test_the_claim_is_committed_before_the_post(receiver, tenant_a, invoice):
    server = receiver(inspect=_claim_seen)
    webhook_create(tenant=tenant_a, url=server.url)

    validated(invoice)

    [lease] = server.inspected
    assert lease >= dt.timedelta(minutes=5)  # another worker sees it taken; no transaction hides it


def test_two_workers_never_post_the_same_attempt(receiver, tenant_a, invoice):
    server = receiver([500, 200], delay=0.5)
    webhook, _secret = webhook_create(tenant=tenant_a, url=server.url)
    validated(invoice)
    due = delivery_of(webhook).next_attempt_at

    results, errors = run_concurrently(lambda: webhooks_due(now=due), 4)

    assert errors == [] and sorted(results) == [0, 0, 0, 1]
    assert len(server.requests) == 2 and delivery_of(webhook).state == "delivered"
    assert delivery_of(webhook).attempt_log.count() == 2


# --- the URLs a webhook may have -----------------------------------------------------------------------


PRIVATE = [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://172.16.0.5/hook",
    "http://192.168.1.10/hook", "http://169.254.169.254/latest/meta-data/", "http://[::1]/hook", "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook", "http://0.0.0.0/hook", "http://100.64.0.1/hook",
]


@pytest.mark.parametrize("url", PRIVATE)
def test_private_urls_are_refused_unless_allowed(settings, tenant_a, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as refused:
        webhook_create(tenant=tenant_a, url=url)
    assert refused.value.code == "webhook_url_private"
    assert not Webhook.objects.exists()

    settings.WEBHOOK_ALLOW_PRIVATE = True
    webhook, _secret = webhook_create(tenant=tenant_a, url=url)
    assert webhook.url == url


@pytest.mark.parametrize(("url", "events", "code"), [
    ("ftp://93.184.215.14/hook", None, "webhook_url_scheme"),
    ("file:///etc/passwd", None, "webhook_url_scheme"),
    ("hooks.example.com/efatura", None, "webhook_url_scheme"),
    ("https://", None, "webhook_url_invalid"),
    ("https://user:password@93.184.215.14/hook", None, "webhook_url_credentials"),
    ("https://token@93.184.215.14/hook", None, "webhook_url_credentials"),
    ("https://93.184.215.14/" + "x" * 1000, None, "webhook_url_length"),
    ("https://93.184.215.14/hook", ["invoice.paid"], "webhook_events"),
    ("https://93.184.215.14/hook", "invoice.received", "webhook_events"),
])
def test_a_malformed_webhook_is_refused_with_its_code(settings, tenant_a, url, events, code):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as refused:
        webhook_create(tenant=tenant_a, url=url, events=events)
    assert refused.value.code == code


def test_a_public_address_is_taken_with_its_events(settings, tenant_a):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    webhook, _secret = webhook_create(tenant=tenant_a, url=" https://93.184.215.14/hook ", events=[INVOICE_RECEIVED, INVOICE_RECEIVED])
    assert (webhook.url, webhook.events, webhook.is_active) == ("https://93.184.215.14/hook", [INVOICE_RECEIVED], True)


def test_an_address_that_became_private_is_not_posted_to(settings, receiver, tenant_a, invoice):
    """A name may resolve elsewhere by the time it is used: the connected address is judged again."""
    server = receiver()
    webhook, _secret = webhook_create(tenant=tenant_a, url=server.url)
    settings.WEBHOOK_ALLOW_PRIVATE = False

    validated(invoice)

    [attempt] = attempts_of(delivery_of(webhook))
    assert attempt.status_code is None and attempt.error.startswith("PrivateAddress: ")
    assert server.requests == []


# --- incoming invoices ------------------------------------------------------------------------------


def test_an_incoming_invoice_is_told_as_received(settings, tmp_path, gib_package, test_root, receiver, tenant_b, envelope):
    """Pushed to B's postbox as GİB pushes it. Tasks are only queued here: beat's webhooks_due posts."""
    trust(settings, tmp_path, test_root)
    server = receiver()
    webhook, secret = webhook_create(tenant=tenant_b, url=server.url, events=[INVOICE_RECEIVED])
    packed = packing.pack(envelope, ENVELOPE_ID)

    with eager(False):
        envelope_receive(request=SendDocument(file_name=packed.file_name, data=packed.data, hash=packed.md5_hex))
    assert server.requests == [] and WebhookDelivery.objects.filter(webhook=webhook).count() == 3

    assert webhooks_due(now=dt.datetime.now(dt.UTC)) == 3

    inbox = {str(i.uuid).upper(): i for i in Invoice.objects.filter(tenant=tenant_b, direction=Invoice.Direction.INCOMING)}
    told = [json.loads(body) for _path, _headers, body in server.requests]
    assert all(verify(secret, headers, body) for _path, headers, body in server.requests)
    assert {t["type"] for t in told} == {INVOICE_RECEIVED} and {t["tenant"] for t in told} == {tenant_b.identifier}
    assert {t["data"]["uuid"] for t in told} == set(inbox)
    for data in (t["data"] for t in told):
        invoice = inbox[data["uuid"]]
        assert data == {
            "uuid": str(invoice.uuid).upper(), "number": invoice.number, "supplier_identifier": "1234567890",
            "supplier_name": "A Tekstil A.Ş.", "profile": "TICARIFATURA", "type": "SATIS",
            "issue_date": invoice.issue_date.isoformat(), "payable_amount": str(invoice.payable_amount), "currency": "TRY",
        }
    assert len({t["id"] for t in told}) == 3


# --- the admin ------------------------------------------------------------------------------------


def test_the_admin_makes_webhooks_through_the_service_and_never_lists_the_secret(admin_client, receiver, tenant_a, invoice):
    server = receiver([500])
    added = admin_client.post(
        reverse("admin:tenants_webhook_add"), {"tenant": tenant_a.pk, "url": server.url, "events": [INVOICE_STATUS_CHANGED]}, follow=True
    )
    webhook = Webhook.objects.get()
    assert added.status_code == 200 and webhook.secret.encode() in added.content  # shown once, as it is made
    assert webhook.events == [INVOICE_STATUS_CHANGED] and webhook.created_by is not None
    listed = admin_client.get(reverse("admin:tenants_webhook_changelist"))
    assert listed.status_code == 200 and server.url.encode() in listed.content and webhook.secret.encode() not in listed.content
    page = admin_client.get(reverse("admin:tenants_webhook_change", args=[webhook.pk]))
    assert page.status_code == 200 and webhook.secret.encode() not in page.content

    validated(invoice)
    delivery = delivery_of(webhook)
    page = admin_client.get(reverse("admin:tenants_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200 and b"HTTP 500 Internal Server Error" in page.content
    assert admin_client.get(reverse("admin:tenants_webhookdelivery_add")).status_code == 403
    assert admin_client.get(reverse("admin:tenants_webhookattempt_changelist")).status_code == 200
    for query in (str(delivery.event_id), "hooks", "not a uuid"):
        assert admin_client.get(reverse("admin:tenants_webhookdelivery_changelist"), {"q": query}).status_code == 200

    admin_client.post(reverse("admin:tenants_webhook_changelist"), {"action": "deactivate", "_selected_action": [webhook.pk]})
    assert not Webhook.objects.get().is_active and delivery_of(webhook).state == "failed"


def test_the_admin_refuses_a_private_url_on_its_form(admin_client, settings, tenant_a):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    refused = admin_client.post(reverse("admin:tenants_webhook_add"), {"tenant": tenant_a.pk, "url": "http://10.0.0.8/hook"})
    assert refused.status_code == 200 and not Webhook.objects.exists()
    assert [e.code for e in refused.context["adminform"].form.errors.as_data()["url"]] == ["webhook_url_private"]
