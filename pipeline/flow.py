"""Where the way begins: an invoice issued, an answer given, an envelope pushed to us, a seal
registered. Each calls the services that do it and enqueues the first task once the work commits.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from envelopes import answers as answer_envelopes
from envelopes.gib.soap import SendDocument
from envelopes.models import Envelope
from envelopes.receiving import envelope_receive as receive
from envelopes.receiving import needs_system_response
from envelopes.sending import envelopes_waiting_for_credits
from invoices import answers
from invoices.models import Invoice
from invoices.services import Draft, draft_from_payload, draft_issue
from invoices.steps import invoices_release_held
from pipeline import tasks
from tenants.models import Tenant


def invoice_submit(*, tenant: Tenant, data: dict) -> Invoice:
    """Issue an invoice from the documented JSON payload and set it on its way."""
    return draft_submit(tenant=tenant, draft=draft_from_payload(tenant=tenant, data=data))


def draft_submit(*, tenant: Tenant, draft: Draft) -> Invoice:
    """Issue a draft already made (from a payload or from UBL-TR XML); validation is enqueued when
    the issue commits, unless the tenant's is queued already (``tasks.validate_queue``). Inside a
    caller's transaction it takes no savepoint of its own: what fails here fails that transaction."""
    with transaction.atomic(savepoint=False):
        invoice = draft_issue(tenant=tenant, draft=draft)
        transaction.on_commit(lambda: tasks.validate_queue(tenant_id=tenant.id, invoice_id=invoice.id))
    return invoice


def invoice_answer(*, tenant: Tenant, invoice_uuid, code: str, reason: str = "", now: dt.datetime | None = None) -> Invoice:
    """Answer an incoming TICARIFATURA invoice with KABUL or RED: the invoice is ACCEPTED or REJECTED
    at once, and the sealed answer is recorded with its envelope in one transaction, sent once it
    commits. Sealing happens before, with nothing locked (``invoices.answers``)."""
    prepared = answers.answer_prepare(tenant=tenant, invoice_uuid=invoice_uuid, code=code, reason=reason, now=now)
    with transaction.atomic():
        invoice = answers.answer_record(tenant=tenant, answer=prepared)
        envelope = answer_envelopes.answer_envelope(tenant=tenant, invoice=invoice, sealed=prepared.sealed)
        transaction.on_commit(lambda: tasks.envelope_send.delay(envelope.id))
    return invoice


def envelope_receive(*, request: SendDocument) -> Envelope:
    """An envelope GİB pushes to us, checked and stored (or refused: ``Refused`` raised, nothing
    stored); our system response to it is enqueued, and a code pushed about one of ours that puts
    invoices back in the queue (1215/1230) packs them again."""
    stored = receive(request=request)
    if needs_system_response(stored):
        transaction.on_commit(lambda: tasks.system_response_send.delay(stored.id))
    elif stored.state == Envelope.State.RECEIVED:
        transaction.on_commit(lambda: tasks.envelopes_pack.delay(stored.tenant_id))
    return stored


def seal_registered(*, seal, tenant_ids: list[int], **_signal) -> None:
    """Inside the transaction that registers a usable seal: the invoices held for want of one go
    on, each sealed once the registration commits."""
    for invoice_id in invoices_release_held(tenant_ids=tenant_ids, seal_name=seal.name):
        transaction.on_commit(lambda invoice_id=invoice_id: tasks.invoice_seal.delay(invoice_id))


def credits_added(*, tenant: Tenant, **_signal) -> None:
    """Inside the transaction that adds credits: the envelopes that waited for them are sent once it commits."""
    for envelope_id in envelopes_waiting_for_credits(tenant=tenant):
        transaction.on_commit(lambda envelope_id=envelope_id: tasks.envelope_send.delay(envelope_id))
