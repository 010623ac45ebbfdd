"""The pipeline's tasks: each takes an id, calls one service, owns its retries, and enqueues the next
step (the sequence is drawn in ``pipeline``). Re-running one is harmless: the services act only on
the state they expect, so a message delivered twice, or a task run again after its worker died,
changes nothing the second time."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from delivery.tasks import deliveries_plan
from envelopes import answers as answer_envelopes
from envelopes import polling, sending
from envelopes.codes import Action
from envelopes.gib.client import GibFault, GibUnavailable
from envelopes.states import requeued
from integrator.errors import DomainError
from invoices import answers, steps
from invoices.models import Invoice
from invoices.status import Status
from pipeline import sweeper
from pipeline.models import Queued
from tenants.ledger import InsufficientCredits
from tenants.models import Tenant

logger = logging.getLogger(__name__)


def backoff(retries: int) -> int:
    return min(15 * 2**retries, 3600)


def validate_queue(*, tenant_id: int, invoice_id: int, linger: bool = True) -> bool:
    """Queue the tenant's validation, unless a task for it is queued and has not started (``Queued``):
    that one takes this invoice too. The task starts ``PIPELINE_LINGER_MS`` later (*linger*),
    so invoices issued one by one meanwhile go in its batch. Whether a task was queued."""
    _queued, created = Queued.objects.get_or_create(tenant_id=tenant_id, step=Queued.Step.VALIDATE)
    if created:
        invoice_validate.apply_async((invoice_id,), countdown=settings.PIPELINE_LINGER_MS / 1000 if linger else None)
    return created


@shared_task(bind=True, max_retries=10)
def invoice_validate(self, invoice_id: int) -> None:
    """Validates the invoice's batch (``invoices.steps``): the invoice and others of its tenant
    waiting. The tenant's ``Queued`` row goes first, so what is issued from then on queues another
    task; a full batch queues the next, for those still waiting."""
    tenant = Invoice.objects.filter(id=invoice_id).values("tenant_id")
    Queued.objects.filter(tenant__in=tenant, step=Queued.Step.VALIDATE).delete()  # one statement
    moved = steps.invoices_validate(invoice_id=invoice_id)
    if len(moved) >= settings.PIPELINE_BATCH:
        validate_queue(tenant_id=moved[0].tenant_id, invoice_id=invoice_id, linger=False)  # they are waiting already
    valid = [invoice for invoice in moved if invoice.status == Status.VALID]
    if valid:
        invoice_seal.delay(valid[0].id)  # its batch takes the others with it


@shared_task(bind=True, max_retries=10)
def invoice_seal(self, invoice_id: int) -> None:
    """Seals the invoice's batch. A seal that needs a person (none, expired, a wrong PIN) holds the
    invoices, HELD with the reason, until a usable seal is registered: no retries. What may pass by
    itself (a TSA or a token away) is tried again later; the invoices wait VALID, and the sweeper
    picks them up again after the retries. Invoices still VALID after the step met a seal that came
    in use meanwhile: sealed again at once."""
    try:
        moved = steps.invoices_seal(invoice_id=invoice_id)
    except DomainError as exc:
        logger.warning("invoice %s: not sealed: %s", invoice_id, exc)
        raise self.retry(countdown=backoff(self.request.retries)) from None
    again = [invoice for invoice in moved if invoice.status == Status.VALID]
    if again:
        invoice_seal.delay(again[0].id)
    packed = {invoice.tenant_id for invoice in moved if invoice.status == Status.SEALED and invoice.channel == Invoice.Channel.EFATURA}
    for tenant_id in sorted(packed):
        envelopes_pack.delay(tenant_id)
    for invoice in moved:
        if invoice.status == Status.KEPT:
            deliveries_plan.delay(invoice.id)


@shared_task
def envelopes_pack(tenant_id: int) -> None:
    for envelope in sending.envelopes_pack(tenant=Tenant.objects.get(id=tenant_id)):
        transaction.on_commit(lambda envelope_id=envelope.id: envelope_send.delay(envelope_id))


@shared_task(bind=True, max_retries=12)
def envelope_send(self, envelope_id: int) -> None:
    """GİB unreachable or failing on its side (2000, 2002, 2003, 2005): the same zip again, later.
    A fault that needs a fix or a person is recorded; so is a tenant out of credits, whom the sweeper
    tries again once there are credits."""
    try:
        sending.envelope_send(envelope_id=envelope_id)
    except GibUnavailable:
        raise self.retry(countdown=backoff(self.request.retries)) from None
    except GibFault as fault:
        if fault.entry.action == Action.RESEND:
            raise self.retry(countdown=backoff(self.request.retries)) from None
        sending.envelope_send_failed(envelope_id=envelope_id, fault=fault)
    except InsufficientCredits as exc:
        sending.envelope_held(envelope_id=envelope_id, reason=str(exc))


@shared_task
def envelopes_poll(now: str | None = None) -> int:
    """Beat: poll GİB for every envelope that is due (safe with many workers); the invoices a code put
    back in the queue (1215/1230) are packed again. *now*, ISO 8601, stands in for the clock."""
    polled = polling.poll_due(now=dt.datetime.fromisoformat(now) if now else None)
    for tenant_id in sorted({envelope.tenant_id for envelope in polled if requeued(envelope)}):
        envelopes_pack.delay(tenant_id)
    return len(polled)


@shared_task
def system_response_send(envelope_id: int) -> None:
    envelope = answer_envelopes.system_response_pack(envelope_id=envelope_id)
    if envelope is not None:
        transaction.on_commit(lambda: envelope_send.delay(envelope.id))


SWEPT = {"validate": invoice_validate, "seal": invoice_seal, "send": envelope_send, "answer": system_response_send, "pack": envelopes_pack}


@shared_task
def pipeline_sweep(now: str | None = None) -> dict[str, int]:
    """Beat: re-enqueue what waits too long in a state a task should have moved it from (a lost
    message, a worker killed mid-task), and let 8-day-old unanswered invoices count as accepted.
    *now*, ISO 8601, stands in for the clock."""
    moment = dt.datetime.fromisoformat(now) if now else None
    counts = {}
    for step, ids in sweeper.sweep(now=moment).items():
        for item in ids:
            SWEPT[step].delay(item)
        counts[step] = len(ids)
    counts["lapsed"] = answers.answers_lapse(now=moment)
    return counts
