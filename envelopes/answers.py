"""Answers: our tenants' KABUL/RED to incoming TICARIFATURA invoices, and the system response that
acknowledges every envelope pushed to us.

A KABUL/RED is built as UBL-TR, sealed, and sent in a POSTBOXENVELOPE from the postbox that received
the invoice to the sender unit that sent it, within 8 days of receipt; after that, no answer is taken
and the invoice counts as accepted (``answers_lapse``), as GİB's rules say. TEMELFATURA takes none.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envelopes import sbdh
from envelopes.models import Envelope
from envelopes.sending import envelope_store
from integrator.errors import DomainError
from invoices.models import Invoice
from invoices.services import set_status, tenant_party
from invoices.status import Status
from invoices.ubl.response import ANSWER_WINDOW, answer_deadline, answer_open, build_application_response, needs_answer
from signing.services import document_seal
from tenants.models import Tenant

TARGET = {"KABUL": Status.ACCEPTED, "RED": Status.REJECTED}
LAPSED = "8 GÜN İÇİNDE YANIT VERİLMEDİ: KABUL EDİLMİŞ SAYILIR"


class AnswerRefused(DomainError):
    code = "answer_refused"
    message = _("Invoice %(number)s cannot be answered: %(reason)s.")


class NoSuchInvoice(DomainError):
    code = "invoice_not_found"
    message = _("No incoming invoice with ETTN %(uuid)s.")


def _answerable(invoices, tenant: Tenant, invoice_uuid, now: dt.datetime) -> Invoice:
    invoice = invoices.filter(tenant=tenant, direction=Invoice.Direction.INCOMING, uuid=invoice_uuid).first()
    if invoice is None:
        raise NoSuchInvoice(uuid=invoice_uuid)
    if not needs_answer(invoice.profile):
        raise AnswerRefused(number=invoice.number, reason=_("only TICARIFATURA invoices are answered"))
    if invoice.status != Status.RECEIVED:
        raise AnswerRefused(number=invoice.number, reason=_("it is already %(status)s") % {"status": invoice.get_status_display()})
    if not answer_open(received_at=invoice.received_at, now=now):
        raise AnswerRefused(number=invoice.number, reason=_("the 8 days to answer ended on %(deadline)s")
                            % {"deadline": timezone.localtime(answer_deadline(invoice.received_at)).strftime("%d.%m.%Y %H:%M")})
    return invoice


def invoice_answer(*, tenant: Tenant, invoice_uuid, code: str, reason: str = "", now: dt.datetime | None = None) -> Invoice:
    """Answer an incoming TICARIFATURA invoice with KABUL or RED (RED with a reason): build, seal and
    queue the answer; the invoice is ACCEPTED or REJECTED at once, the answer's envelope follows.

    Check, seal, then record: the answer is built and sealed with no row locked (a token or an HSM
    may take its time, and nothing waits on it); the invoice is locked only to record the answer,
    after checking again, so of two answers given at once one is recorded and the other refused."""
    now = now or timezone.now()
    invoice = _answerable(Invoice.objects.all(), tenant, invoice_uuid, now)
    answer_uuid = str(uuidlib.uuid4())
    xml = build_application_response(invoice_xml=bytes(invoice.xml), code=code, reason=reason,
                                     responder=tenant_party(tenant), uuid=answer_uuid, issued=now)
    sealed = document_seal(tenant=tenant, xml=xml, timestamped=False, now=now)
    with transaction.atomic():
        invoice = _answerable(Invoice.objects.select_for_update(), tenant, invoice_uuid, now)
        envelope = _answer_envelope(tenant, invoice, sealed)
        invoice.answer, invoice.answer_reason, invoice.answered_at = code, reason.strip(), now
        invoice.answer_uuid, invoice.answer_xml = answer_uuid, sealed
        invoice.save(update_fields=["answer", "answer_reason", "answered_at", "answer_uuid", "answer_xml", "updated_at"])
        set_status(invoice=invoice, to=TARGET[code], code=code, text=reason.strip())
        transaction.on_commit(lambda: _send_later(envelope.id))
        return invoice


def _send_later(envelope_id: int) -> None:
    from envelopes.tasks import envelope_send  # the tasks import this module

    envelope_send.delay(envelope_id)


def _answer_envelope(tenant: Tenant, invoice: Invoice, sealed: bytes) -> Envelope:
    """From the postbox that received the invoice back to the sender unit that sent it."""
    envelope_id = sbdh.envelope_uuid(uuidlib.uuid4())
    xml = sbdh.postbox_envelope(
        sender_alias=invoice.receiver_alias, sender_identifier=tenant.identifier, sender_name=tenant.display_name,
        receiver_alias=invoice.sender_alias, receiver_identifier=invoice.supplier_identifier, receiver_name=invoice.supplier_name,
        documents=[sealed], uuid=envelope_id,
    )
    return envelope_store(tenant=tenant, type=Envelope.Type.POSTBOX, sender=invoice.receiver_alias, receiver=invoice.sender_alias,
                          receiver_identifier=invoice.supplier_identifier, xml=xml, envelope_id=envelope_id)


def answers_lapse(*, now: dt.datetime | None = None) -> int:
    """TICARIFATURA invoices unanswered for 8 days count as accepted: ours received, and the ones we
    sent (counted from their envelope's sending, the nearest we know of the receiver's receipt)."""
    now = now or timezone.now()
    cutoff = now - ANSWER_WINDOW
    lapsed = 0
    with transaction.atomic():
        incoming = Invoice.objects.filter(direction=Invoice.Direction.INCOMING, status=Status.RECEIVED, received_at__lt=cutoff)
        outgoing = Invoice.objects.filter(direction=Invoice.Direction.OUTGOING, status=Status.DELIVERED, envelope__sent_at__lt=cutoff)
        # OF self: the OR joins envelopes on its nullable side, which PostgreSQL will not lock.
        for invoice in (incoming | outgoing).filter(profile="TICARIFATURA").select_for_update(of=("self",)):
            set_status(invoice=invoice, to=Status.ACCEPTED, text=LAPSED)
            lapsed += 1
    return lapsed


def system_response_send(*, envelope_id: int) -> Envelope | None:
    """Our system response to an envelope pushed to us (1200, or the code it was refused with), packed
    in a SYSTEMENVELOPE to the envelope's sender unit; once per envelope."""
    with transaction.atomic():
        incoming = Envelope.objects.select_for_update().select_related("tenant").get(id=envelope_id)
        if incoming.answered_by.exists():
            return None
        tenant = incoming.tenant
        answer = sbdh.system_response(
            sender_identifier=tenant.identifier, sender_name=tenant.display_name, receiver_identifier=incoming.party_identifier,
            envelope=str(incoming.uuid), envelope_date=timezone.localdate(incoming.created_at), code=incoming.code,
            description=incoming.text, envelope_type=incoming.type,
        )
        envelope_id = sbdh.envelope_uuid(uuidlib.uuid4())
        sender, receiver = incoming.receiver_alias, incoming.sender_alias  # back the way the envelope came
        xml = sbdh.system_envelope(
            sender_alias=sender, sender_identifier=tenant.identifier, sender_name=tenant.display_name,
            receiver_alias=receiver, receiver_identifier=incoming.party_identifier, receiver_name="",
            document=answer, uuid=envelope_id,
        )
        return envelope_store(tenant=tenant, type=Envelope.Type.SYSTEM, sender=sender, receiver=receiver,
                              receiver_identifier=incoming.party_identifier, xml=xml, envelope_id=envelope_id, answers=incoming)

