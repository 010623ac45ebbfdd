"""Delivering an invoice to the person who reads it: its PDF (kept once per document), the buyer's
link, and deliveries by e-mail and SMS, each try recorded.

The way of one delivery (``Delivery``'s docstring holds the guarantees)::

    deliveries_plan     a sealed e-Arşiv invoice: one delivery per channel the tenant wants and the buyer has
    delivery_request    a person or an ERP asks: this invoice to this address
    delivery_send       claim (PENDING → SENDING), record the try started, send, record what came of it
    deliveries_due      beat: what is due is sent, a claim whose worker died is released, lost plans made

Services return what happened and never enqueue: the tasks (``delivery.tasks``) do.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive.models import Document
from archive.services import document_put, document_record, document_store
from delivery import mail, sms
from delivery.messages import email_for, sms_for
from delivery.models import Attempt, Delivery, Link, Plan, Preferences
from delivery.pdf import pdf_render
from integrator.errors import DomainError
from invoices.documents import invoice_xml
from invoices.models import Invoice
from invoices.status import Status
from schematron.parsing import UnsafeOrBroken, parse_untrusted
from tenants.models import Tenant
from tenants.webhooks import INVOICE_DELIVERED, INVOICE_DELIVERY_FAILED, webhook_event
from ubl.names import NS

logger = logging.getLogger(__name__)
BACKOFF = tuple(dt.timedelta(seconds=s) for s in (60, 300, 1800, 7200, 6 * 3600, 12 * 3600, 24 * 3600))
MAX_ATTEMPTS = len(BACKOFF) + 1
PLAN_AFTER = dt.timedelta(minutes=5)  # a sealed e-Arşiv invoice still without a plan after this: its message was lost
READABLE = (Document.Kind.INVOICE_SEALED, Document.Kind.INVOICE_RECEIVED, Document.Kind.INVOICE_MIGRATED)
BUYER = "cac:AccountingCustomerParty/cac:Party/cac:Contact"


class NotDeliverable(DomainError):
    code = "delivery_not_deliverable"
    message = _("Invoice %(number)s cannot be delivered yet: it is not sealed.")


class InvalidAddress(DomainError):
    code = "delivery_invalid_address"
    message = _("%(address)s is not an e-mail address.")


# --- preferences and the buyer's link ---------------------------------------------------------------


def preferences_of(tenant: Tenant) -> Preferences:
    """The tenant's delivery preferences; the defaults (unsaved) for a tenant that set none."""
    return Preferences.objects.filter(tenant=tenant).first() or Preferences(tenant=tenant)


def link_for(*, invoice: Invoice) -> Link:
    """The invoice's live link, made the first time it is needed."""
    for _try in range(3):
        link = Link.objects.filter(invoice=invoice, revoked_at__isnull=True).first()
        if link is not None:
            return link
        try:
            with transaction.atomic():
                return Link.objects.create(invoice=invoice, token=secrets.token_urlsafe(32))
        except IntegrityError:  # another request made it at the same moment: take that one
            continue
    raise RuntimeError(f"no link could be made for invoice {invoice.id}")


def link_revoke(*, invoice: Invoice) -> int:
    """The invoice's live link stops working (a new one is made when next needed); how many were revoked."""
    return Link.objects.filter(invoice=invoice, revoked_at__isnull=True).update(revoked_at=timezone.now())


def link_url(link: Link) -> str:
    return f"{settings.PUBLIC_URL}/e/{link.token}"


def link_invoice(token: str) -> Invoice | None:
    """The outgoing invoice a live token opens; None for any other token."""
    link = Link.objects.filter(token=token, revoked_at__isnull=True).select_related("invoice__tenant").first()
    if link is None or link.invoice.direction != Invoice.Direction.OUTGOING:
        return None
    Link.objects.filter(id=link.id).update(opened_at=timezone.now())
    return link.invoice


# --- the PDF ------------------------------------------------------------------------------------


def pdf_document(*, invoice: Invoice) -> Document:
    """The PDF of the invoice's current document, rendered the first time and archived: the same
    bytes every time after. Raises NotDeliverable before it is sealed, DisplayError if it cannot be drawn."""
    source = invoice.document
    if source is None or source.kind not in READABLE:
        raise NotDeliverable(number=invoice.number)
    kept = Document.objects.filter(tenant_id=invoice.tenant_id, kind=Document.Kind.PDF, subject_type="document",
                                   subject_id=source.id).order_by("id").first()
    if kept is not None:
        return kept
    data = pdf_render(invoice_xml(invoice))
    return document_store(tenant=invoice.tenant, kind=Document.Kind.PDF, data=data, media_type="application/pdf",
                          subject=("document", source.id))


# --- planning and asking -------------------------------------------------------------------------


@dataclass(frozen=True)
class Contacts:
    email: str
    phone: str


def buyer_contacts(xml: bytes) -> Contacts:
    """The buyer's e-mail address and telephone as the sealed invoice gives them (cac:Contact)."""
    try:
        root = parse_untrusted(xml).tree.getroot()
    except UnsafeOrBroken:
        return Contacts("", "")
    return Contacts((root.findtext(f"{BUYER}/cbc:ElectronicMail", "", NS) or "").strip(),
                    (root.findtext(f"{BUYER}/cbc:Telephone", "", NS) or "").strip())


def deliveries_plan(*, invoice_id: int) -> list[Delivery]:
    """The deliveries of a sealed e-Arşiv invoice, once: by e-mail to the buyer's address and by SMS
    to the buyer's mobile, as the tenant's preferences allow. A telephone that is not a Turkish mobile
    gets no SMS. Planning again plans nothing."""
    invoice = Invoice.objects.select_related("tenant", "document").get(id=invoice_id)
    if invoice.channel != Invoice.Channel.EARSIV or invoice.status != Status.KEPT:
        return []
    contacts, preferences = buyer_contacts(invoice_xml(invoice)), preferences_of(invoice.tenant)
    wanted = []
    if contacts.email and preferences.by_email():
        wanted.append((Delivery.Channel.EMAIL, contacts.email))
    if contacts.phone and preferences.by_sms():
        try:
            wanted.append((Delivery.Channel.SMS, sms.mobile_number(contacts.phone)))
        except sms.InvalidNumber:
            logger.info("invoice %s: %r is not a mobile number, no SMS", invoice.id, contacts.phone)
    with transaction.atomic():
        if not Plan.objects.get_or_create(invoice=invoice)[1]:
            return []
        now = timezone.now()
        return [Delivery.objects.create(tenant=invoice.tenant, invoice=invoice, channel=channel, address=address, next_attempt_at=now)
                for channel, address in wanted]


def delivery_request(*, invoice: Invoice, channel: str, address: str, user=None) -> Delivery:
    """*invoice* to *address* by *channel*, asked for by a person (*user*) or an ERP: checked, then
    waiting to be sent. Raises NotDeliverable, InvalidAddress, sms.InvalidNumber."""
    if invoice.direction != Invoice.Direction.OUTGOING or invoice.document is None or invoice.document.kind != Document.Kind.INVOICE_SEALED:
        raise NotDeliverable(number=invoice.number)
    address = _checked(channel, address)
    return Delivery.objects.create(tenant=invoice.tenant, invoice=invoice, channel=channel, address=address,
                                   origin=Delivery.Origin.REQUESTED, requested_by=user, next_attempt_at=timezone.now())


def _checked(channel: str, address: str) -> str:
    address = address.strip()
    if channel == Delivery.Channel.SMS:
        return sms.mobile_number(address)
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidAddress(address=address[:100]) from None
    return address


# --- sending ---------------------------------------------------------------------------------------


def delivery_send(*, delivery_id: int, now: dt.datetime | None = None) -> Delivery | None:
    """Try a due delivery once, if this worker claims it; None when it is not due or another has it."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(id=delivery_id, state=Delivery.State.PENDING, next_attempt_at__lte=now).update(
        state=Delivery.State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("invoice__tenant", "invoice__document").get(id=delivery_id)
    attempt = Attempt.objects.create(delivery=delivery, started_at=now, address=delivery.address)  # committed before sending
    outcome = _send(delivery)
    return _record(delivery, attempt, outcome)


def _send(delivery: Delivery) -> mail.Outcome:
    invoice, preferences = delivery.invoice, preferences_of(delivery.tenant)
    try:
        link = link_url(link_for(invoice=invoice))
        if delivery.channel == Delivery.Channel.EMAIL:
            return mail.mail_send(email_for(delivery, preferences=preferences, pdf=pdf_document(invoice=invoice), link=link))
        text, header = sms_for(delivery, preferences=preferences, link=link)
        result = sms.sms_send(number=delivery.address, text=text, header=header)
    except DomainError as exc:  # the PDF cannot be drawn, the number is not a mobile's: no try will do better
        return mail.Outcome(mail.PERMANENT, exc.code, str(exc))
    except Exception as exc:  # the archive away, say: nothing went out, so the next try may do better
        logger.exception("delivery %s: not sent", delivery.id)
        return mail.Outcome(mail.TEMPORARY, "error", str(exc) or type(exc).__name__)
    if result.ok:
        return mail.Outcome(mail.SENT, result.code, result.reply or result.reference)
    return mail.Outcome(mail.PERMANENT if result.permanent else mail.TEMPORARY, result.code, result.reply)


def _record(delivery: Delivery, attempt: Attempt, outcome: mail.Outcome) -> Delivery | None:
    """The try's result and the delivery's next state, in one transaction, if the claim is still this
    worker's (a claim the sweeper released meanwhile is another's now: nothing is recorded twice)."""
    now = timezone.now()
    state, next_at = _after(outcome, delivery.attempts, now)
    log = document_put(tenant=delivery.tenant, data=_log(delivery, attempt, outcome, now), media_type="application/json")
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().filter(id=delivery.id, state=Delivery.State.SENDING,
                                                              claimed_at=delivery.claimed_at).first()
        if locked is None:
            return None
        document_record(put=log, kind=Document.Kind.DELIVERY_LOG, subject=("delivery", delivery.id))
        Attempt.objects.filter(id=attempt.id).update(finished_at=now, result=outcome.result, code=outcome.code[:40], reply=outcome.reply)
        locked.state, locked.next_attempt_at, locked.claimed_at, locked.result = state, next_at, None, outcome.reply[:2000]
        locked.finished_at = now if state in (Delivery.State.DELIVERED, Delivery.State.FAILED) else None
        locked.save(update_fields=["state", "next_attempt_at", "claimed_at", "result", "finished_at"])
        _tell(locked, outcome)
    return locked


def _after(outcome: mail.Outcome, attempts: int, now: dt.datetime) -> tuple[str, dt.datetime | None]:
    if outcome.result == mail.SENT:
        return Delivery.State.DELIVERED, None
    if outcome.result == mail.PERMANENT or attempts >= MAX_ATTEMPTS:
        return Delivery.State.FAILED, None
    return Delivery.State.PENDING, now + BACKOFF[min(attempts, len(BACKOFF)) - 1]


def _log(delivery: Delivery, attempt: Attempt, outcome: mail.Outcome, now: dt.datetime) -> bytes:
    """The try as the archive keeps it: the delivery log's entry, one JSON document per try."""
    entry = {
        "delivery": delivery.id, "invoice": str(delivery.invoice.uuid).upper(), "number": delivery.invoice.number,
        "channel": delivery.channel, "to": delivery.address, "origin": delivery.origin, "attempt": delivery.attempts,
        "started_at": attempt.started_at.isoformat(), "finished_at": now.isoformat(), "result": outcome.result,
        "code": outcome.code, "reply": outcome.reply,
    }
    return json.dumps(entry, ensure_ascii=False, sort_keys=True).encode()


def _tell(delivery: Delivery, outcome: mail.Outcome) -> None:
    if delivery.state not in (Delivery.State.DELIVERED, Delivery.State.FAILED):
        return
    invoice = delivery.invoice
    data = {"uuid": str(invoice.uuid).upper(), "number": invoice.number, "delivery": delivery.id, "channel": delivery.channel,
            "to": delivery.address, "attempts": delivery.attempts, "code": outcome.code, "reply": outcome.reply}
    webhook_event(tenant=delivery.tenant, event=INVOICE_DELIVERED if delivery.state == Delivery.State.DELIVERED else INVOICE_DELIVERY_FAILED,
                  data=data)


# --- beat ------------------------------------------------------------------------------------------


@dataclass
class Due:
    send: list[int]
    plan: list[int]
    released: int


def deliveries_due(*, now: dt.datetime | None = None, limit: int = 500) -> Due:
    """What beat should do now: the deliveries due to be sent, the invoices whose plan was lost, and
    how many claims of dead workers it released (each such try recorded as unknown; the delivery is
    tried once more, or fails if that was already its second chance)."""
    now = now or timezone.now()
    released = sum(_release(delivery) for delivery in
                   Delivery.objects.filter(state=Delivery.State.SENDING, claimed_at__lt=now - _lapse()).order_by("id")[:limit])
    send = list(Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at", "id")
                .values_list("id", flat=True)[:limit])
    unplanned = (Invoice.objects.filter(direction=Invoice.Direction.OUTGOING, channel=Invoice.Channel.EARSIV, status=Status.KEPT,
                                        updated_at__lt=now - PLAN_AFTER)
                 .exclude(Exists(Plan.objects.filter(invoice=OuterRef("pk")))))
    return Due(send=send, plan=list(unplanned.order_by("id").values_list("id", flat=True)[:limit]), released=released)


def _lapse() -> dt.timedelta:
    """A claim older than this belongs to a worker that died: longer than any try may last."""
    return dt.timedelta(seconds=max(settings.DELIVERY_CLAIM_SECONDS, 2 * max(settings.EMAIL_TIMEOUT, settings.SMS_TIMEOUT)))


def _release(delivery: Delivery) -> bool:
    with transaction.atomic():
        locked = Delivery.objects.select_for_update().filter(id=delivery.id, state=Delivery.State.SENDING,
                                                              claimed_at=delivery.claimed_at).first()
        if locked is None:
            return False
        now, text = timezone.now(), str(_("The worker stopped during this try: it may or may not have been sent."))
        Attempt.objects.filter(delivery=locked, finished_at__isnull=True).update(finished_at=now, result=Attempt.Result.UNKNOWN, reply=text)
        if locked.uncertain:  # its one more chance was taken already
            locked.state, locked.finished_at, locked.next_attempt_at = Delivery.State.FAILED, now, None
        else:
            locked.state, locked.uncertain, locked.next_attempt_at = Delivery.State.PENDING, True, now
        locked.claimed_at, locked.result = None, text
        locked.save(update_fields=["state", "uncertain", "next_attempt_at", "finished_at", "claimed_at", "result"])
        if locked.state == Delivery.State.FAILED:
            _tell(locked, mail.Outcome(mail.PERMANENT, "unknown", text))
    return True
