"""Cancelling an e-Arşiv invoice and recording a buyer's objection to one.

Check, then do: each entry point locks the invoice's row, checks that it may be done, and writes
one row. The invoice itself is not changed: it stays archived and KEPT, its number stays used; what
GİB must learn (faturaIptal, faturaItiraz) goes into the tenant's next report (``earsiv.reporting``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from earsiv.models import Cancellation, Objection
from integrator.errors import DomainError
from invoices.models import Invoice
from invoices.status import Status
from tenants.models import Tenant

ISTANBUL = ZoneInfo("Europe/Istanbul")


class EarsivRefused(DomainError):
    status = 409


class InvoiceNotFound(DomainError):
    code = "invoice_not_found"
    status = 404
    message = _("No invoice with this ETTN.")


class EfaturaNotCancellable(EarsivRefused):
    code = "efatura_not_cancellable"
    message = _("Invoice %(number)s is an e-Fatura: it cannot be cancelled. The way out is a return invoice (IADE) naming it, "
                "which the customer issues to you; a customer on this platform prepares it from the invoice received.")


class EfaturaNoObjection(EarsivRefused):
    code = "efatura_no_objection"
    message = _("Invoice %(number)s is an e-Fatura: its customer answers it (KABUL/RED) or returns it with an IADE "
                "invoice; objections are recorded on e-Arşiv invoices only.")


class AlreadyCancelled(EarsivRefused):
    code = "already_cancelled"
    message = _("Invoice %(number)s was cancelled already, on %(day)s.")


class NotIssuedYet(EarsivRefused):
    code = "not_issued_yet"
    message = _("Invoice %(number)s is not sealed and kept yet (%(status)s): it can be cancelled or objected to once it is issued.")


class DateOutOfRange(DomainError):
    code = "date_out_of_range"
    status = 400
    message = _("The date %(day)s must be between the invoice's issue date %(issued)s and today %(today)s.")


def istanbul_today(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(ISTANBUL).date()


def _locked(tenant: Tenant, uuid) -> Invoice:
    invoice = Invoice.objects.select_for_update().filter(tenant=tenant, direction=Invoice.Direction.OUTGOING, uuid=uuid).first()
    if invoice is None:
        raise InvoiceNotFound()
    return invoice


def _check_issued(invoice: Invoice) -> None:
    if invoice.status != Status.KEPT:
        raise NotIssuedYet(number=invoice.number, status=invoice.get_status_display())


def _check_day(invoice: Invoice, day: dt.date, now: dt.datetime | None) -> None:
    today = istanbul_today(now)
    if not invoice.issue_date <= day <= today:
        raise DateOutOfRange(day=day.isoformat(), issued=invoice.issue_date.isoformat(), today=today.isoformat())


def invoice_cancel(*, tenant: Tenant, uuid, day: dt.date, reason: str, by: str = "", now: dt.datetime | None = None) -> Cancellation:
    """Cancel *tenant*'s e-Arşiv invoice *uuid* as of *day*. An e-Fatura is refused (its way out is an
    IADE invoice), and so is an invoice cancelled already."""
    with transaction.atomic():
        invoice = _locked(tenant, uuid)
        if invoice.channel != Invoice.Channel.EARSIV:
            raise EfaturaNotCancellable(number=invoice.number)
        previous = Cancellation.objects.filter(invoice=invoice).first()
        if previous is not None:
            raise AlreadyCancelled(number=invoice.number, day=previous.day.isoformat())
        _check_issued(invoice)
        _check_day(invoice, day, now)
        try:
            with transaction.atomic():
                return Cancellation.objects.create(tenant=tenant, invoice=invoice, day=day, reason=reason.strip(), created_by=by[:200],
                                                   created_at=now or timezone.now())
        except IntegrityError:  # a cancellation committed since the check (SQLite does not lock rows)
            raise AlreadyCancelled(number=invoice.number, day=day.isoformat()) from None


def objection_record(*, tenant: Tenant, uuid, method: str, document_number: str, document_date: dt.date, description: str,
                     by: str = "", now: dt.datetime | None = None) -> Objection:
    """Record a buyer's objection to *tenant*'s e-Arşiv invoice *uuid*, made by *method* (KEP, NOTER,
    TELGRAF, TAAHHUTLU_MEKTUP) with the document *document_number* of *document_date*."""
    with transaction.atomic():
        invoice = _locked(tenant, uuid)
        if invoice.channel != Invoice.Channel.EARSIV:
            raise EfaturaNoObjection(number=invoice.number)
        _check_issued(invoice)
        _check_day(invoice, document_date, now)
        return Objection.objects.create(tenant=tenant, invoice=invoice, method=method, document_number=document_number.strip(),
                                        document_date=document_date, description=description.strip(), created_by=by[:200],
                                        created_at=now or timezone.now())
