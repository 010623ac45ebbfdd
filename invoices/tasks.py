"""Celery tasks of the invoice pipeline: each takes an id, calls a service, owns its retries, and
enqueues the next step. Re-running one is harmless: the services act only on the state they expect."""

import logging

from celery import shared_task

from integrator.errors import DomainError
from invoices import pipeline
from invoices.models import Invoice
from invoices.status import Status

logger = logging.getLogger(__name__)


def backoff(retries: int) -> int:
    return min(15 * 2**retries, 3600)


@shared_task(bind=True, max_retries=10)
def invoice_validate(self, invoice_id: int) -> None:
    invoice = pipeline.invoice_validate(invoice_id=invoice_id)
    if invoice is not None and invoice.status == Status.VALID:
        invoice_seal.delay(invoice_id)


@shared_task(bind=True, max_retries=10)
def invoice_seal(self, invoice_id: int) -> None:
    """A seal that needs a person (none, expired, a wrong PIN) holds the invoice, HELD with the reason,
    until a usable seal is registered: no retries. What may pass by itself (a TSA or a token away) is
    tried again later; the invoice waits VALID, and the sweeper picks it up again after the retries."""
    try:
        invoice = pipeline.invoice_seal(invoice_id=invoice_id)
    except DomainError as exc:
        logger.warning("invoice %s: not sealed: %s", invoice_id, exc)
        raise self.retry(countdown=backoff(self.request.retries)) from None
    if invoice is not None and invoice.status == Status.SEALED and invoice.channel == Invoice.Channel.EFATURA:
        from envelopes.tasks import envelopes_pack

        envelopes_pack.delay(invoice.tenant_id)
