"""Answers to TICARIFATURA invoices (KABUL/RED), both ways, as the invoices record them.

Ours, to an incoming invoice: checked (``answer_prepare``), built as UBL-TR and sealed with no row
locked (a token or an HSM may take its time, and nothing waits on it), then recorded under the
invoice's lock after checking again (``answer_record``), so of two answers given at once one is
recorded and the other refused. Its envelope is the envelopes app's; the pipeline wraps both in one
transaction (``pipeline.flow.invoice_answer``). Within 8 days of receipt; after that no answer is
taken and the invoice counts as accepted (``answers_lapse``), as GİB's rules say. TEMELFATURA takes none.

Theirs, to one of our invoices: ``answer_receive``, for an envelope GİB pushes to us.
"""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive.models import Document
from archive.services import Put, document_put, document_record
from integrator.errors import DomainError
from invoices.documents import invoice_xml
from invoices.models import Invoice
from invoices.services import set_status, tenant_party
from invoices.status import Status
from signing.services import document_seal
from tenants.models import Tenant
from ubl.response import ANSWER_WINDOW, AppResponse, answer_deadline, answer_open, build_application_response, needs_answer

ANSWER_STATUS = {"KABUL": Status.ACCEPTED, "RED": Status.REJECTED}
LAPSED = "8 GÜN İÇİNDE YANIT VERİLMEDİ: KABUL EDİLMİŞ SAYILIR"


class AnswerRefused(DomainError):
    code = "answer_refused"
    message = _("Invoice %(number)s cannot be answered: %(reason)s.")


class NoSuchInvoice(DomainError):
    code = "invoice_not_found"
    message = _("No incoming invoice with ETTN %(uuid)s.")


class AnswerNotApplicable(DomainError):
    """A KABUL/RED pushed to us that cannot apply to any invoice of ours as it stands."""

    code = "answer_not_applicable"
    message = _("%(reason)s")


@dataclass(frozen=True)
class PreparedAnswer:
    invoice_uuid: str
    code: str
    reason: str
    uuid: str
    sealed: bytes
    at: dt.datetime
    put: Put  # the sealed answer's object, written before anything is locked


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


def answer_prepare(*, tenant: Tenant, invoice_uuid, code: str, reason: str = "", now: dt.datetime | None = None) -> PreparedAnswer:
    """Our KABUL or RED (RED with a reason) to an incoming TICARIFATURA invoice, checked, built and
    sealed; nothing is locked or written. Raises NoSuchInvoice or AnswerRefused."""
    now = now or timezone.now()
    invoice = _answerable(Invoice.objects.all(), tenant, invoice_uuid, now)
    answer_uuid = str(uuidlib.uuid4())
    xml = build_application_response(invoice_xml=invoice_xml(invoice), code=code, reason=reason,
                                     responder=tenant_party(tenant), uuid=answer_uuid, issued=now)
    sealed = document_seal(tenant=tenant, xml=xml, timestamped=False, now=now)
    return PreparedAnswer(str(invoice_uuid), code, reason.strip(), answer_uuid, sealed, now, document_put(tenant=tenant, data=sealed, now=now))


def answer_record(*, tenant: Tenant, answer: PreparedAnswer) -> Invoice:
    """Record a prepared answer in the caller's transaction: the invoice is locked and checked again,
    then ACCEPTED or REJECTED with the answer kept."""
    invoice = _answerable(Invoice.objects.select_for_update(), tenant, answer.invoice_uuid, answer.at)
    document = document_record(put=answer.put, kind=Document.Kind.ANSWER_SENT, subject=("invoice", invoice.id))
    _answered(invoice, code=answer.code, reason=answer.reason, uuid=answer.uuid, xml=answer.sealed, document=document, now=answer.at)
    return invoice


def _answered(invoice: Invoice, *, code: str, reason: str, uuid: str, xml: bytes, document: Document, now: dt.datetime) -> None:
    invoice.answer, invoice.answer_reason, invoice.answered_at = code, reason, now
    invoice.answer_uuid, invoice.answer_xml, invoice.answer_document = uuid, None, document  # the archive holds it
    invoice.save(update_fields=["answer", "answer_reason", "answered_at", "answer_uuid", "answer_xml", "answer_document", "updated_at"])
    set_status(invoice=invoice, to=ANSWER_STATUS[code], code=code, text=reason)


def answer_receive(*, tenant: Tenant, answer: AppResponse, xml: bytes, put: Put, now: dt.datetime) -> Invoice:
    """The receiver's KABUL or RED for one of *tenant*'s invoices, recorded in the caller's
    transaction with its archived object (*put*, written before the transaction); a repeated answer
    changes nothing (the first one stands). Raises AnswerNotApplicable."""
    invoice = (Invoice.objects.select_for_update()
               .filter(tenant=tenant, direction=Invoice.Direction.OUTGOING, uuid=answer.invoice_uuid).first())
    if invoice is None:
        raise AnswerNotApplicable(reason=_("no invoice of ours has the ETTN %(ettn)s") % {"ettn": answer.invoice_uuid})
    if answer.sender_identifier != invoice.customer_identifier:  # GİB vouches for the sender, not for its right to answer
        raise AnswerNotApplicable(reason=_("%(number)s is answered by %(sender)s, not by its customer %(customer)s")
                                  % {"number": invoice.number, "sender": answer.sender_identifier, "customer": invoice.customer_identifier})
    if invoice.answer:
        return invoice
    if answer.code not in ANSWER_STATUS or invoice.status not in (Status.SENT, Status.DELIVERED):
        raise AnswerNotApplicable(reason=_("a %(answer)s cannot apply to %(number)s, which is %(status)s")
                                  % {"answer": answer.code, "number": invoice.number, "status": invoice.get_status_display()})
    document = document_record(put=put, kind=Document.Kind.ANSWER_RECEIVED, subject=("invoice", invoice.id))
    _answered(invoice, code=answer.code, reason=answer.reason, uuid=answer.uuid, xml=xml, document=document, now=now)
    return invoice


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
