"""The invoice's own steps before it leaves: validate, then seal. Each step is idempotent (it acts
only on an invoice in the state before it, so a task run twice changes nothing the second time),
archives the document it passes on (the object written with no lock held, its row recorded with the
move), records its outcome with ``set_status`` and returns it; what comes next is the pipeline's to decide
(``pipeline.tasks``). Sealing talks to a key, and perhaps a token or a
TSA, outside any transaction; the row is locked only to record the result.

A seal that cannot be used until a person acts (``signing.services.SEAL_UNUSABLE``: none, expired,
a wrong PIN…) holds the invoice: HELD, the reason in its status change, and nothing tries again until
a usable seal is registered, which releases the tenant's held invoices (``invoices_release_held``).
An invoice that comes back from ``invoice_seal`` still VALID is to be sealed again at once: a usable
seal came in use while the one tried failed.
Holding and releasing both lock the tenant's row first, so that a seal registered while a sealing
failed is never missed: either the release sees the invoice held, or the hold sees the new seal.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from archive.models import Document
from archive.services import document_put, document_record
from invoices.documents import invoice_xml
from invoices.models import Invoice
from invoices.services import set_status
from invoices.status import Status
from schematron.validation import validate
from signing.models import Seal
from signing.selectors import seal_in_use
from signing.services import SEAL_UNUSABLE, seal_for, seal_with
from tenants.models import Tenant

logger = logging.getLogger(__name__)
MAX_RECORDED_ERRORS = 50


def _locked(invoice_id: int, expected: str) -> Invoice | None:
    """The invoice, locked, if it is still in *expected*; None when another run moved it already."""
    invoice = Invoice.objects.select_for_update().get(id=invoice_id)
    return invoice if invoice.status == expected else None


def invoice_validate(*, invoice_id: int) -> Invoice | None:
    """ISSUED → VALID, the document archived as built; or INVALID with GİB's and our rules' errors
    kept on the invoice."""
    invoice = Invoice.objects.select_related("tenant").get(id=invoice_id)
    if invoice.status != Status.ISSUED:
        return None
    xml = invoice_xml(invoice)
    report = validate(xml)
    put = document_put(tenant=invoice.tenant, data=xml) if report.valid else None  # no lock held
    with transaction.atomic():
        if put is not None:  # the tenant's row before the invoice's, as holding and releasing take them
            document = document_record(put=put, kind=Document.Kind.INVOICE_BUILT, subject=("invoice", invoice_id))
        invoice = _locked(invoice_id, Status.ISSUED)
        if invoice is None:
            transaction.set_rollback(True)  # another run took the step: its row stands, not this one
            return None
        if report.valid:  # from here the archive holds the document, and the row no longer does
            invoice.document, invoice.xml = document, None
            invoice.save(update_fields=["document", "xml"])
            return set_status(invoice=invoice, to=Status.VALID)
        invoice.errors = [issue.as_dict() for issue in report.errors[:MAX_RECORDED_ERRORS]]
        invoice.save(update_fields=["errors"])
        first = report.errors[0]
        return set_status(invoice=invoice, to=Status.INVALID, code=first.rule[:10], text=first.message_tr)


def invoice_seal(*, invoice_id: int, now: dt.datetime | None = None) -> Invoice | None:
    """VALID → SEALED with the tenant's seal (XAdES-T with a timestamp for e-Arşiv), then e-Arşiv
    invoices are KEPT for delivery and e-Fatura ones wait for an envelope; or HELD when the seal
    cannot be used until a person acts. Other errors of the seal (a TSA or a token away) are raised.
    Sealed and archived at *now* (the real clock's moment unless given): the moment e-Arşiv's
    report counts it issued."""
    invoice = Invoice.objects.select_related("tenant").get(id=invoice_id)
    if invoice.status != Status.VALID:
        return None
    earsiv = invoice.channel == Invoice.Channel.EARSIV
    seal = None
    try:
        seal = seal_for(tenant=invoice.tenant)
        sealed = seal_with(seal=seal, supplier=invoice.tenant.identifier, xml=invoice_xml(invoice), timestamped=earsiv, now=now)
    except SEAL_UNUSABLE as exc:
        return _hold(invoice, tried=seal, reason=str(exc))
    put = document_put(tenant=invoice.tenant, data=sealed, now=now)  # no lock held
    with transaction.atomic():
        document = document_record(put=put, kind=Document.Kind.INVOICE_SEALED, subject=("invoice", invoice_id))
        invoice = _locked(invoice_id, Status.VALID)
        if invoice is None:
            transaction.set_rollback(True)
            return None
        invoice.xml, invoice.xml_sha256, invoice.document = None, put.sha256, document
        invoice.save(update_fields=["xml", "xml_sha256", "document"])
        set_status(invoice=invoice, to=Status.SEALED)
        return set_status(invoice=invoice, to=Status.KEPT) if earsiv else invoice


def _hold(invoice: Invoice, *, tried: Seal | None, reason: str) -> Invoice | None:
    """VALID → HELD with *reason*, unless another seal came in use since *tried* failed: the invoice
    is then returned still VALID, to be sealed again. None when another run moved it already."""
    with transaction.atomic():
        # As invoices_release_held: a seal registered now waits for this, or this sees it.
        # (NO KEY UPDATE: rows referencing the tenant, a new invoice, a seal, may still be written.)
        tenant = Tenant.objects.select_for_update(no_key=True).get(id=invoice.tenant_id)
        locked = _locked(invoice.id, Status.VALID)
        if locked is None:
            return None
        in_use = seal_in_use(tenant=tenant)
        if (in_use.seal.pk if in_use else None) != (tried.pk if tried else None):
            return locked
        logger.warning("invoice %s held: %s", invoice.id, reason)
        return set_status(invoice=locked, to=Status.HELD, text=reason)


def invoices_release_held(*, tenant_ids: list[int], seal_name: str) -> list[int]:
    """HELD → VALID for these tenants' invoices: the seal *seal_name* was registered and may seal
    them. Runs inside the transaction that registers it; returns the invoices released, to be sealed
    once it commits."""
    with transaction.atomic():
        # As _hold: a sealing that failed meanwhile waits for this, then sees the seal; or this sees it held.
        list(Tenant.objects.select_for_update(no_key=True).filter(id__in=tenant_ids).order_by("id").values_list("id"))
        held = list(Invoice.objects.select_for_update().filter(tenant_id__in=tenant_ids, status=Status.HELD).order_by("id"))
        text = _("A usable seal was registered: %(name)s.") % {"name": seal_name}
        for invoice in held:
            set_status(invoice=invoice, to=Status.VALID, text=text)
    if held:
        logger.info("%d held invoices released by the seal %s", len(held), seal_name)
    return [invoice.id for invoice in held]
