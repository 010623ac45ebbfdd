"""The steps an issued invoice takes before it leaves: validate, then seal. Each step is idempotent
(it acts only on an invoice in the state before it, so a task run twice changes nothing the second
time) and records its outcome with ``set_status``. Sealing talks to a key, and perhaps a token or a
TSA, outside any transaction; the row is locked only to record the result."""

from __future__ import annotations

import logging

from django.db import transaction

from invoices.models import Invoice
from invoices.services import invoice_issue, set_status
from invoices.status import Status
from schematron.validation import validate
from signing.services import document_seal

logger = logging.getLogger(__name__)
MAX_RECORDED_ERRORS = 50


def _locked(invoice_id: int, expected: str) -> Invoice | None:
    """The invoice, locked, if it is still in *expected*; None when another run moved it already."""
    invoice = Invoice.objects.select_for_update().get(id=invoice_id)
    return invoice if invoice.status == expected else None


def invoice_validate(*, invoice_id: int) -> Invoice | None:
    """ISSUED → VALID, or INVALID with GİB's and our rules' errors kept on the invoice."""
    invoice = Invoice.objects.get(id=invoice_id)
    if invoice.status != Status.ISSUED:
        return None
    report = validate(bytes(invoice.xml))
    with transaction.atomic():
        invoice = _locked(invoice_id, Status.ISSUED)
        if invoice is None:
            return None
        if report.valid:
            return set_status(invoice=invoice, to=Status.VALID)
        invoice.errors = [issue.as_dict() for issue in report.errors[:MAX_RECORDED_ERRORS]]
        invoice.save(update_fields=["errors"])
        first = report.errors[0]
        return set_status(invoice=invoice, to=Status.INVALID, code=first.rule[:10], text=first.message_tr)


def invoice_seal(*, invoice_id: int) -> Invoice | None:
    """VALID → SEALED with the tenant's seal (XAdES-T with a timestamp for e-Arşiv), then e-Arşiv
    invoices are KEPT for delivery and e-Fatura ones wait for an envelope."""
    invoice = Invoice.objects.select_related("tenant").get(id=invoice_id)
    if invoice.status != Status.VALID:
        return None
    earsiv = invoice.channel == Invoice.Channel.EARSIV
    sealed = document_seal(tenant=invoice.tenant, xml=bytes(invoice.xml), timestamped=earsiv)
    with transaction.atomic():
        invoice = _locked(invoice_id, Status.VALID)
        if invoice is None:
            return None
        invoice.xml = sealed
        invoice.save(update_fields=["xml"])
        set_status(invoice=invoice, to=Status.SEALED)
        return set_status(invoice=invoice, to=Status.KEPT) if earsiv else invoice


def invoice_submit(*, tenant, data: dict) -> Invoice:
    """Issue an invoice and set it on its way: validation is enqueued when the issue commits, and each
    step enqueues the next (``invoices.tasks``, ``envelopes.tasks``)."""
    from invoices.tasks import invoice_validate as validate_task  # the tasks import this module

    with transaction.atomic():
        invoice = invoice_issue(tenant=tenant, data=data)
        transaction.on_commit(lambda: validate_task.delay(invoice.id))
    return invoice
