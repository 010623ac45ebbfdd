"""Webhooks: a tenant's URLs are told, by a signed POST, of every status change of its invoices, of
every invoice it receives, of each delivery of an invoice to its buyer (e-mail, SMS) that ends, and
of its seal ending soon (30, 7 and 1 days before).

Events (``EVENTS``): ``invoice.status_changed``, ``invoice.received``, ``invoice.delivered``,
``invoice.delivery_failed``, ``seal.expiring``, ``earsiv.report_failed`` and ``earsiv.report_late``; a
webhook subscribed to none gets them all. ``ping`` is sent to one webhook when a person asks for a test
event (``webhook_ping``), whatever it is subscribed to. Each event is one POST of JSON (UTF-8)::

    {"id": "<event id>", "type": "invoice.status_changed", "created_at": "2026-11-21T09:30:00.123456+00:00",
     "tenant": "<VKN/TCKN>", "data": {...}}

with these headers:

    Webhook-Id: <event id>              the same on every attempt of the event: de-duplicate by it
    Webhook-Timestamp: <unix seconds>   when this attempt was signed
    Webhook-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

To verify, take the body's raw bytes as received (before parsing the JSON), compute HMAC-SHA256 keyed
with the webhook's secret (the whole ``whsec_…`` string, as UTF-8) over the timestamp, a dot and the
body, compare its lowercase hex with the value after ``v1=`` in constant time, and refuse a timestamp
more than five minutes from your clock. ``verify()`` does exactly this, ``signature()`` makes the value.

Delivery: an answer of 2xx within ``WEBHOOK_TIMEOUT`` seconds delivers the event. Anything else (a 3xx
too: redirects are not followed), a timeout or a refused connection is tried again after 30 s, 2 min,
10 min, 1 h, 6 h, 12 h, then daily, until ``WEBHOOK_ATTEMPTS`` posts; then the delivery is failed.
Every post is a WebhookAttempt row.

Safe with many workers, as ``envelopes.polling`` is: a worker claims a due delivery by moving its
``next_attempt_at`` forward (a lease) with a conditional update naming the value it saw, and posts only
when that update changed one row; a worker that dies mid-post leaves a lease that expires, and beat's
``webhooks_due`` takes the delivery up again. No transaction is open while posting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import Mapping
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants import webhook_transport as transport
from tenants.models import Tenant, Webhook, WebhookAttempt, WebhookDelivery

INVOICE_STATUS_CHANGED = "invoice.status_changed"
INVOICE_RECEIVED = "invoice.received"
INVOICE_DELIVERED = "invoice.delivered"
INVOICE_DELIVERY_FAILED = "invoice.delivery_failed"
SEAL_EXPIRING = "seal.expiring"  # a seal ends within 30, 7 or 1 days (signing.warnings)
EARSIV_REPORT_FAILED = "earsiv.report_failed"  # GİB failed a day's e-Arşiv report for good (its corrections too)
EARSIV_REPORT_LATE = "earsiv.report_late"  # a day's e-Arşiv report is not done by its deadline
PING = "ping"  # a test event a person asks for; not subscribed to, sent to the one webhook asked
EVENTS = (INVOICE_STATUS_CHANGED, INVOICE_RECEIVED, INVOICE_DELIVERED, INVOICE_DELIVERY_FAILED, SEAL_EXPIRING, EARSIV_REPORT_FAILED,
          EARSIV_REPORT_LATE)

SECRET_MARK = "whsec_"
TOLERANCE = 300  # seconds a signature's timestamp may be from the receiver's clock
BACKOFF = tuple(dt.timedelta(seconds=s) for s in (30, 120, 600, 3600, 6 * 3600, 12 * 3600, 24 * 3600))
BODY_KEYS = ("id", "type", "created_at", "tenant", "data")  # their order in the body (PostgreSQL's jsonb forgets it)
PENDING, DELIVERED, FAILED = WebhookDelivery.State.PENDING, WebhookDelivery.State.DELIVERED, WebhookDelivery.State.FAILED
logger = logging.getLogger(__name__)


# --- the signature -------------------------------------------------------------------------------


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``Webhook-Signature`` value for *body* signed at *timestamp* (unix seconds)."""
    return "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify(secret: str, headers: Mapping[str, str], body: bytes, tolerance: int = TOLERANCE) -> bool:
    """Whether *body* came with *headers* signed by *secret* less than *tolerance* seconds from now.
    The signature header may carry several values, separated by spaces; one must match."""
    lowered = {name.lower(): value for name, value in headers.items()}
    timestamp = lowered.get("webhook-timestamp", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = signature(secret, timestamp, body).encode()
    return any(hmac.compare_digest(expected, given.encode()) for given in lowered.get("webhook-signature", "").split())


# --- webhooks ------------------------------------------------------------------------------------


def check_url(url: str) -> None:
    """Raises ValidationError unless the platform may post to *url*."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValidationError(_("A webhook URL must start with http:// or https://."), code="webhook_url_scheme")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(_("%(url)s is not a valid URL."), code="webhook_url_invalid", params={"url": url}) from None
    if parts.username is not None or parts.password is not None:
        raise ValidationError(_("A webhook URL may not carry a user name or password."), code="webhook_url_credentials")
    if not all(transport.allowed(address) for address in transport.addresses(parts.hostname)):
        raise ValidationError(
            _("%(host)s is a loopback, private or link-local address; webhooks go to public addresses only."),
            code="webhook_url_private",
            params={"host": parts.hostname},
        )


def check_events(events: list[str]) -> None:
    unknown = sorted({str(event) for event in events} - set(EVENTS)) if isinstance(events, list | tuple) else [str(events)]
    if unknown:
        raise ValidationError(
            _("Events must be chosen from %(choices)s; got %(events)s."),
            code="webhook_events",
            params={"choices": ", ".join(EVENTS), "events": ", ".join(unknown)},
        )


def webhook_create(*, tenant: Tenant, url: str, events: list[str] | None = None, created_by=None) -> tuple[Webhook, str]:
    """A webhook for *url*, told of *events* (all of them when none are named), and its secret."""
    url, events = url.strip(), events or []
    check_events(events)
    if len(url) > Webhook._meta.get_field("url").max_length:
        raise ValidationError(_("A webhook URL may be at most 1000 characters long."), code="webhook_url_length")
    check_url(url)
    secret = SECRET_MARK + secrets.token_urlsafe(32)
    webhook = Webhook.objects.create(tenant=tenant, url=url, secret=secret, events=sorted(set(events)), created_by=created_by)
    return webhook, secret


@transaction.atomic
def webhook_delete(*, webhook: Webhook) -> Webhook:
    """Deactivate *webhook*; what it was still owed is failed, not sent. Its deliveries stay as its log."""
    if webhook.is_active:
        webhook.is_active = False
        webhook.save(update_fields=["is_active"])
    webhook.deliveries.filter(state=PENDING).update(state=FAILED, next_attempt_at=None, last_error="the webhook was deleted")
    return webhook


def webhook_set_enabled(*, webhook: Webhook, enabled: bool) -> Webhook:
    """Pause or resume *webhook*. Paused, it is told of nothing new; what it was owed waits, and goes
    (beat's ``webhooks_due``) once it is enabled again."""
    Webhook.objects.filter(id=webhook.id, is_active=True).update(enabled=enabled)
    webhook.refresh_from_db(fields=["enabled", "is_active"])
    return webhook


def webhook_ping(*, webhook: Webhook) -> WebhookDelivery:
    """A ``ping`` event for *webhook* alone, posted the way every event is (signed, retried, logged)
    once the caller's transaction commits."""
    if not (webhook.is_active and webhook.enabled):
        raise ValidationError(_("The webhook is paused: enable it to send it a test event."), code="webhook_paused")
    now, event_id = timezone.now(), uuid.uuid4()
    data = {"webhook": webhook.id, "url": webhook.url, "text": "A test event asked for in the portal."}
    body = {"id": str(event_id), "type": PING, "created_at": now.isoformat(), "tenant": webhook.tenant.identifier, "data": data}
    delivery = WebhookDelivery.objects.create(webhook=webhook, event=PING, event_id=event_id, payload=body, next_attempt_at=now, created_at=now)
    transaction.on_commit(partial(_enqueue, delivery.id))
    return delivery


def webhooks_of(*, tenant: Tenant, include_inactive: bool = False) -> QuerySet[Webhook]:
    """The tenant's webhooks that are not deleted (paused ones too), or all of them."""
    webhooks = Webhook.objects.filter(tenant=tenant)
    return webhooks if include_inactive else webhooks.filter(is_active=True)


# --- events --------------------------------------------------------------------------------------


def webhook_event(*, tenant: Tenant, event: str, data: dict) -> None:
    """One delivery of *event* for each of the tenant's active webhooks that wants it. The rows join the
    caller's transaction and the first posts are enqueued when it commits: a change rolled back is
    never told."""
    webhook_events(tenant=tenant, event=event, data=[data])


def webhook_events(*, tenant: Tenant, event: str, data: list[dict]) -> None:
    """``webhook_event`` for many events of one kind at once (a batch of invoices moved): the
    webhooks read once, the deliveries made in one statement."""
    if event not in EVENTS:
        raise ValueError(f"{event}: not one of {EVENTS}")
    wanting = [webhook for webhook in webhooks_of(tenant=tenant).filter(enabled=True) if webhook.wants(event)]
    if not wanting or not data:
        return
    now = timezone.now()
    deliveries = []
    for each in json.loads(json.dumps(data, cls=DjangoJSONEncoder)):  # UUIDs, dates, Decimals as text
        for webhook in wanting:
            event_id = uuid.uuid4()
            body = {"id": str(event_id), "type": event, "created_at": now.isoformat(), "tenant": tenant.identifier, "data": each}
            deliveries.append(WebhookDelivery(webhook=webhook, event=event, event_id=event_id, payload=body, next_attempt_at=now, created_at=now))
    for delivery in WebhookDelivery.objects.bulk_create(deliveries):
        transaction.on_commit(partial(_enqueue, delivery.id))


def _enqueue(delivery_id: int) -> None:
    from tenants.tasks import webhook_deliver  # the tasks import this module

    webhook_deliver.delay(delivery_id)


def _ettn(invoice) -> str:
    # as the API and the document show it: upper case, whether the invoice was just built (text) or read (a UUID)
    return str(uuid.UUID(str(invoice.uuid))).upper()


def _status_changed(invoice, change) -> dict:
    return {
        "uuid": _ettn(invoice), "number": invoice.number, "direction": invoice.direction, "profile": invoice.profile,
        "type": invoice.type_code, "from_status": change.from_status, "status": change.to_status, "code": change.code,
        "text": change.text, "gib_code": invoice.gib_code,
    }


def webhook_invoices_status_changed(*, tenant: Tenant, moved: list[tuple]) -> None:
    """``invoice.status_changed`` for each of *tenant*'s (invoice, change) pairs in *moved*."""
    webhook_events(tenant=tenant, event=INVOICE_STATUS_CHANGED, data=[_status_changed(invoice, change) for invoice, change in moved])


def _received(invoice) -> dict:
    return {
        "uuid": _ettn(invoice), "number": invoice.number, "supplier_identifier": invoice.supplier_identifier,
        "supplier_name": invoice.supplier_name, "profile": invoice.profile, "type": invoice.type_code,
        "issue_date": invoice.issue_date, "payable_amount": str(invoice.payable_amount), "currency": invoice.currency,
    }


def webhook_invoices_received(*, tenant: Tenant, invoices: list) -> None:
    """``invoice.received`` for each of *tenant*'s incoming *invoices*, just stored."""
    webhook_events(tenant=tenant, event=INVOICE_RECEIVED, data=[_received(invoice) for invoice in invoices])


# --- delivering ----------------------------------------------------------------------------------


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the *attempts*-th failed post."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def _lease() -> dt.timedelta:
    # Longer than any post can take (connecting and the answer are each bounded by WEBHOOK_TIMEOUT).
    return dt.timedelta(seconds=max(300, 4 * settings.WEBHOOK_TIMEOUT))


def _claim(delivery_id: int, now: dt.datetime) -> WebhookDelivery | None:
    due = WebhookDelivery.objects.filter(
        id=delivery_id, state=PENDING, next_attempt_at__lte=now, webhook__is_active=True, webhook__enabled=True
    )
    seen = due.values_list("next_attempt_at", flat=True).first()
    if seen is None:
        return None
    claimed = WebhookDelivery.objects.filter(id=delivery_id, state=PENDING, next_attempt_at=seen).update(next_attempt_at=now + _lease())
    return WebhookDelivery.objects.select_related("webhook").get(id=delivery_id) if claimed == 1 else None


def _post(delivery: WebhookDelivery) -> transport.Outcome:
    body = json.dumps({key: delivery.payload[key] for key in BODY_KEYS}, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))  # the receiver's clock judges it: the real time, always
    headers = {
        "Webhook-Id": str(delivery.event_id),
        "Webhook-Timestamp": timestamp,
        "Webhook-Signature": signature(delivery.webhook.secret, timestamp, body),
    }
    return transport.post(delivery.webhook.url, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT)


def _after(outcome: transport.Outcome, attempts: int, now: dt.datetime) -> dict:
    """The delivery's fields after its *attempts*-th post ended with *outcome*."""
    fields = {"attempts": attempts, "last_status_code": outcome.status_code, "last_error": outcome.error}
    if outcome.ok:
        return {**fields, "state": DELIVERED, "delivered_at": now, "next_attempt_at": None}
    if attempts >= settings.WEBHOOK_ATTEMPTS:
        return {**fields, "state": FAILED, "next_attempt_at": None}
    return {**fields, "next_attempt_at": now + backoff(attempts)}


def _settle(delivery: WebhookDelivery, outcome: transport.Outcome, now: dt.datetime) -> WebhookDelivery:
    """Log the post and move the delivery on, unless its lease ran out and another worker took it."""
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery, at=now, status_code=outcome.status_code, error=outcome.error, duration_ms=outcome.duration_ms
        )
        held = WebhookDelivery.objects.filter(id=delivery.id, state=PENDING, next_attempt_at=delivery.next_attempt_at)
        if not held.update(**_after(outcome, delivery.attempts + 1, now)):  # the attempt stays logged all the same
            logger.warning("webhook delivery %s: no longer held after posting (lease ran out, or webhook deleted)", delivery.event_id)
    delivery.refresh_from_db()
    return delivery


def webhook_deliver(*, delivery_id: int, now: dt.datetime | None = None) -> WebhookDelivery | None:
    """Post a due delivery once, if this worker can claim it. Returns it as the post left it, or None
    when it was not due (delivered, failed, waiting) or another worker has it."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    outcome = _post(delivery)
    if not outcome.ok:
        logger.info("webhook delivery %s to %s: %s", delivery.event_id, delivery.webhook.url, outcome.error)
    return _settle(delivery, outcome, now)


def webhooks_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Beat: post every pending delivery whose time has come (the retries, and the deliveries a dead
    worker left claimed); returns how many this worker posted."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(state=PENDING, next_attempt_at__lte=now, webhook__is_active=True, webhook__enabled=True)
    ids = list(due.order_by("next_attempt_at").values_list("id", flat=True)[:limit])
    return sum(webhook_deliver(delivery_id=delivery_id, now=now) is not None for delivery_id in ids)
