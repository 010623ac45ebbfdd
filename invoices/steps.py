"""The invoice's own steps before it leaves: validate, then seal. Each step is idempotent (it acts
only on invoices in the state before it, so a task run twice changes nothing the second time),
archives the documents it passes on, records its outcomes with ``statuses_set`` and returns them;
what comes next is the pipeline's to decide (``pipeline.tasks``).

A step takes a *batch*: the invoice it was asked for and up to ``PIPELINE_BATCH`` - 1 more of the
same tenant waiting for the same step, so that a burst costs a few statements per batch rather than
twenty per invoice. On PostgreSQL the batch is claimed by locking its rows (FOR UPDATE SKIP LOCKED)
in one transaction around the step: another worker's batch skips them, and a worker killed mid-step
lets them go at once (its own task's message comes back and takes them again). SQLite locks the
whole database in a transaction: the work is done outside one and recorded in one, each invoice
checked still to be in the state before the step. The invoices' rows are locked before the
tenant's (recording documents locks the tenant's row for the archive's chain); nothing that locks
the tenant's row first waits for an invoice that waits for a step.

Sealing talks to a key, and perhaps a token or a TSA. A seal that cannot be used until a person
acts (``signing.services.SEAL_UNUSABLE``: none, expired, a wrong PIN…) holds the invoices: HELD,
the reason in their status change, and nothing tries again until a usable seal is registered,
which releases the tenant's held invoices (``invoices_release_held``). Invoices that come back
from ``invoices_seal`` still VALID are to be sealed again at once: a usable seal came in use while
the one tried failed. Holding and releasing both lock the tenant's row, so that a seal registered
while a sealing failed is never missed: either the release sees the invoices held, or the hold
sees the new seal.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Value, When
from django.utils.translation import gettext_lazy as _

from archive.models import Document
from archive.services import Put, Writes, documents_record
from integrator.errors import DomainError
from invoices.documents import invoices_xml
from invoices.models import Invoice
from invoices.services import set_status, statuses_set
from invoices.status import Status
from schematron.validation import validate
from signing.models import Seal
from signing.selectors import seal_in_use
from signing.services import SEAL_UNUSABLE, seal_for, seal_with
from tenants.models import Tenant

logger = logging.getLogger(__name__)
MAX_RECORDED_ERRORS = 50


@contextmanager
def _claim():
    """Where a step's batch is worked on: one transaction on PostgreSQL (its rows stay locked), none on SQLite."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            yield
    else:
        yield


def _batch(invoice_id: int, expected: str, size: int) -> list[Invoice]:
    """The invoice *invoice_id*, if it is in *expected*, first, then others of its tenant in *expected*,
    *size* at most (1: that invoice alone); on PostgreSQL those no other run holds, locked."""
    tenant_id = Invoice.objects.filter(id=invoice_id).values_list("tenant_id", flat=True).first()
    if tenant_id is None:
        return []
    waiting = (Invoice.objects.select_related("tenant", "document")
               .filter(tenant_id=tenant_id, direction=Invoice.Direction.OUTGOING, status=expected)
               .annotate(asked=Case(When(id=invoice_id, then=Value(0)), default=Value(1))).order_by("asked", "id"))
    if size == 1:
        waiting = waiting.filter(id=invoice_id)
    if connection.vendor == "postgresql":
        waiting = waiting.select_for_update(skip_locked=True, of=("self",))
    return list(waiting[:size])


def _still(invoices: list[Invoice], expected: str) -> list[Invoice]:
    """Those of *invoices* still in *expected*, locked (inside the step's recording transaction)."""
    current = Invoice.objects.select_for_update(of=("self",)).select_related("tenant").in_bulk([i.id for i in invoices])
    return [current[i.id] for i in invoices if i.id in current and current[i.id].status == expected]


def invoice_validate(*, invoice_id: int) -> Invoice | None:
    """``invoices_validate`` of this one invoice alone: it, as the step left it; None when it was not ISSUED."""
    return next(iter(invoices_validate(invoice_id=invoice_id, size=1)), None)


def invoices_validate(*, invoice_id: int, size: int | None = None) -> list[Invoice]:
    """ISSUED → VALID for the batch of *invoice_id* (``_batch``), each document archived as built; or
    INVALID with GİB's and our rules' errors kept on the invoice. The invoices moved."""
    with _claim():
        batch = _batch(invoice_id, Status.ISSUED, size or settings.PIPELINE_BATCH)
        if not batch:
            return []
        reports, writes = [], Writes(tenant=batch[0].tenant)
        for xml in invoices_xml(batch):
            reports.append(validate(xml))
            if reports[-1].valid:
                writes.put(xml)
        puts = writes.puts()
        checked = [(invoice, report, next(puts) if report.valid else None) for invoice, report in zip(batch, reports)]
        with transaction.atomic():
            current = {invoice.id: invoice for invoice in _still(batch, Status.ISSUED)}  # another run may have taken some (SQLite)
            valid = [(current[invoice.id], put) for invoice, report, put in checked if report.valid and invoice.id in current]
            documents = documents_record(puts=[(put, Document.Kind.INVOICE_BUILT, ("invoice", invoice.id)) for invoice, put in valid])
            for (invoice, _put), document in zip(valid, documents):  # from here the archive holds the document, and the row no longer does
                invoice.document, invoice.xml = document, None
            moved = statuses_set(invoices=[invoice for invoice, _put in valid], to=Status.VALID, saved=("document", "xml"))
            for invoice, report, _put in checked:
                if not report.valid and invoice.id in current:
                    moved.append(_invalid(current[invoice.id], report))
        return moved


def _invalid(invoice: Invoice, report) -> Invoice:
    invoice.errors = [issue.as_dict() for issue in report.errors[:MAX_RECORDED_ERRORS]]
    invoice.save(update_fields=["errors"])
    first = report.errors[0]
    return set_status(invoice=invoice, to=Status.INVALID, code=first.rule[:10], text=first.message_tr)


def invoice_seal(*, invoice_id: int, now: dt.datetime | None = None) -> Invoice | None:
    """``invoices_seal`` of this one invoice alone: it, as the step left it; None when it was not VALID."""
    return next(iter(invoices_seal(invoice_id=invoice_id, now=now, size=1)), None)


def invoices_seal(*, invoice_id: int, now: dt.datetime | None = None, size: int | None = None) -> list[Invoice]:
    """VALID → SEALED for the batch of *invoice_id* with the tenant's seal (XAdES-T with a timestamp
    for e-Arşiv), then e-Arşiv invoices are KEPT for delivery and e-Fatura ones wait for an envelope;
    or HELD when the seal cannot be used until a person acts. The invoices the step moved, and those
    it left VALID to be sealed again.

    Another error of the seal (a TSA or a token away) is raised once the invoices sealed before it
    are recorded. Sealed and archived at *now* (the real clock's moment unless given): the moment
    e-Arşiv's report counts it issued."""
    with _claim():
        batch = _batch(invoice_id, Status.VALID, size or settings.PIPELINE_BATCH)
        if not batch:
            return []
        tenant = batch[0].tenant
        seal, writes, unusable, failure = None, Writes(tenant=tenant, now=now), None, None
        try:
            seal = seal_for(tenant=tenant)
            for invoice, xml in zip(batch, invoices_xml(batch)):
                writes.put(seal_with(seal=seal, supplier=tenant.identifier, xml=xml, timestamped=invoice.channel == Invoice.Channel.EARSIV, now=now))
        except SEAL_UNUSABLE as exc:
            unusable = exc
        except DomainError as exc:
            failure = exc
        sealed, failure = _written(batch, writes, failure)
        moved = _record_sealed(sealed)
        if unusable is not None:
            moved += _hold(batch[writes.started:], tried=seal, reason=str(unusable))
    if failure is not None:
        raise failure
    return moved


def _written(batch: list[Invoice], writes: Writes, failure: DomainError | None) -> tuple[list[tuple[Invoice, Put]], DomainError | None]:
    """The invoices of *batch* whose sealed documents are written, in order up to the first write
    that failed; that failure (a store away) is the step's, unless sealing failed first."""
    sealed = []
    try:
        for invoice, put in zip(batch, writes.puts()):
            sealed.append((invoice, put))
    except DomainError as exc:
        failure = failure or exc
    return sealed, failure


def _record_sealed(sealed: list[tuple[Invoice, Put]]) -> list[Invoice]:
    if not sealed:
        return []
    with transaction.atomic():
        current = {invoice.id: invoice for invoice in _still([invoice for invoice, _put in sealed], Status.VALID)}
        kept = [(current[invoice.id], put) for invoice, put in sealed if invoice.id in current]
        documents = documents_record(puts=[(put, Document.Kind.INVOICE_SEALED, ("invoice", invoice.id)) for invoice, put in kept])
        for (invoice, put), document in zip(kept, documents):
            invoice.xml, invoice.xml_sha256, invoice.document = None, put.sha256, document
        invoices = statuses_set(invoices=[invoice for invoice, _put in kept], to=Status.SEALED, saved=("xml", "xml_sha256", "document"))
        statuses_set(invoices=[invoice for invoice in invoices if invoice.channel == Invoice.Channel.EARSIV], to=Status.KEPT)
        return invoices


def _hold(invoices: list[Invoice], *, tried: Seal | None, reason: str) -> list[Invoice]:
    """VALID → HELD with *reason*, unless another seal came in use since *tried* failed: the invoices
    are then returned still VALID, to be sealed again. Those another run moved already are left out."""
    if not invoices:
        return []
    with transaction.atomic():
        # As invoices_release_held: a seal registered now waits for this, or this sees it.
        # (NO KEY UPDATE: rows referencing the tenant, a new invoice, a seal, may still be written.)
        tenant = Tenant.objects.select_for_update(no_key=True).get(id=invoices[0].tenant_id)
        current = _still(invoices, Status.VALID)
        in_use = seal_in_use(tenant=tenant)
        if (in_use.seal.pk if in_use else None) != (tried.pk if tried else None):
            return current
        if current:
            logger.warning("%d invoices of %s held (%s…): %s", len(current), tenant.identifier, current[0].id, reason)
        return statuses_set(invoices=current, to=Status.HELD, text=reason)


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
