"""Outgoing envelopes: a tenant's sealed e-Fatura invoices packed per receiver postbox, checked, and
handed to GİB.

Packing takes the waiting invoices with ``skip_locked``, so two packers never envelope the same
invoice. Sending takes the tenant's credits once, as the envelope becomes SENDING, and gives them back
only if GİB refuses the envelope for good; if GİB took it but its answer was lost, the next attempt
gets fault 2001 (the envelope is known), which counts as taken.
"""

from __future__ import annotations

import hashlib
import uuid as uuidlib
from itertools import groupby

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from lxml import etree

from archive.models import Document
from archive.services import document_store
from directory.lookup import is_postbox
from envelopes import packing, sbdh
from envelopes.codes import Action
from envelopes.documents import envelope_zip
from envelopes.gib.client import GibFault, gib_client
from envelopes.models import Envelope
from envelopes.states import envelope_made, envelope_move, next_poll, record
from integrator.errors import DomainError
from invoices.documents import invoices_xml
from invoices.models import Invoice
from invoices.services import set_status, statuses_set
from invoices.status import Status
from schematron.validation import validate, validate_envelope_header
from tenants.ledger import credits_add, credits_debit
from tenants.models import Alias, LedgerEntry, Tenant

ALREADY_KNOWN = 2001  # ZARF ID SİSTEMDE MEVCUT: an earlier attempt got through


class DocumentChanged(DomainError):
    code = "document_changed"
    message = _("The document of %(number)s is not the one that was checked and sealed; it is not sent.")


class NoSenderAlias(DomainError):
    code = "no_sender_alias"
    message = _("%(tenant)s has no active sender unit (GB alias) to send envelopes from.")


def sender_alias(tenant: Tenant) -> str:
    alias = tenant.aliases.filter(kind=Alias.Kind.GB, deleted_at__isnull=True).order_by("created_at", "id").first()
    if alias is None:
        raise NoSenderAlias(tenant=tenant.display_name)
    return alias.name


def _receiver(invoice: Invoice) -> tuple[str, str]:
    return invoice.receiver_alias, invoice.customer_identifier


def envelopes_pack(*, tenant: Tenant) -> list[Envelope]:
    """Put *tenant*'s sealed e-Fatura invoices into envelopes, one receiver postbox per envelope, each
    within GİB's count and size limits; an invoice an envelope check refuses fails alone."""
    with transaction.atomic():
        waiting = (Invoice.objects.select_for_update(skip_locked=True, of=("self",)).select_related("tenant", "document")
                   .filter(tenant=tenant, direction=Invoice.Direction.OUTGOING, channel=Invoice.Channel.EFATURA, status=Status.SEALED)
                   .order_by("receiver_alias", "customer_identifier", "id"))
        invoices = list(waiting)
        if not invoices:
            return []
        sender = sender_alias(tenant)
        envelopes = []
        for _receiver_key, group in groupby(invoices, key=_receiver):
            envelopes += _pack_receiver(tenant, sender, list(group))
        return envelopes


def _pack_receiver(tenant: Tenant, sender: str, invoices: list[Invoice], documents: dict[int, bytes] | None = None) -> list[Envelope]:
    documents = documents or dict(zip([i.id for i in invoices], invoices_xml(invoices)))  # each read once, from the archive or the row
    try:
        groups = packing.batch([documents[i.id] for i in invoices])
    except packing.DocumentTooLarge as exc:
        _fail(invoices[int(exc.params["position"]) - 1], "envelope", str(exc))
        return _pack_receiver(tenant, sender, [i for i in invoices if i.status == Status.SEALED], documents)
    envelopes, start = [], 0
    for group in groups:
        envelopes += _checked_envelope(tenant, sender, invoices[start:start + len(group)], documents)
        start += len(group)
    return envelopes


def _fail(invoice: Invoice, code: str, text: str) -> None:
    set_status(invoice=invoice, to=Status.FAILED, code=code, text=text)


def _envelope_parts(tenant: Tenant, sender: str, invoices: list[Invoice], documents: dict[int, bytes],
                    envelope_id: str) -> tuple[bytes, etree._Element]:
    first = invoices[0]
    return sbdh.sender_parts(
        sender_alias=sender, sender_identifier=tenant.identifier, sender_name=tenant.display_name,
        receiver_alias=first.receiver_alias, receiver_identifier=first.customer_identifier, receiver_name=first.customer_name,
        documents=[documents[i.id] for i in invoices], uuid=envelope_id,
    )


def _checked_envelope(tenant: Tenant, sender: str, invoices: list[Invoice], documents: dict[int, bytes]) -> list[Envelope]:
    """The envelope of *invoices*, checked for what it adds to them: each was validated whole when it
    was issued, then sealed, so only its hash is checked here (``_unchanged``); the envelope's header
    is checked against GİB's schema and GİB's rules and ours. A header that fails fails the invoices
    it was made for (they share their receiver); an invoice whose document fails fails alone."""
    invoices = [invoice for invoice in invoices if _unchanged(invoice, documents[invoice.id])]
    if not invoices:
        return []
    envelope_id = sbdh.envelope_uuid(uuidlib.uuid4())
    xml, skeleton = _envelope_parts(tenant, sender, invoices, documents, envelope_id)
    report = validate_envelope_header(skeleton, postbox=is_postbox)
    if not report.valid:
        for invoice in invoices:
            _fail(invoice, report.errors[0].rule[:10], report.errors[0].message_tr)
        return []
    return [_store(tenant, sender, invoices, envelope_id, xml)]


def _unchanged(invoice: Invoice, data: bytes) -> bool:
    """Whether *invoice*'s document (*data*) is the one checked and sealed, by the SHA-256 recorded at
    sealing; one sealed before hashes were recorded is validated whole instead. False: it is FAILED."""
    if invoice.xml_sha256:
        if hashlib.sha256(data).hexdigest() == invoice.xml_sha256:
            return True
        _fail(invoice, "changed", str(DocumentChanged(number=invoice.number)))
        return False
    report = validate(data)
    if not report.valid:
        _fail(invoice, report.errors[0].rule[:10], report.errors[0].message_tr)
    return report.valid


def _store(tenant: Tenant, sender: str, invoices: list[Invoice], envelope_id: str, xml: bytes) -> Envelope:
    packed = packing.pack(xml, envelope_id)
    envelope = Envelope.objects.create(
        tenant=tenant, uuid=envelope_id, direction=Envelope.Direction.OUTGOING, type=Envelope.Type.SENDER,
        state=Envelope.State.PACKED, sender_alias=sender, receiver_alias=invoices[0].receiver_alias,
        party_identifier=invoices[0].customer_identifier, file_name=packed.file_name, data=packed.data, md5=packed.md5_hex,
    )
    envelope_made(envelope)
    for invoice in invoices:
        invoice.envelope, invoice.sender_alias, invoice.sends = envelope, sender, invoice.sends + 1
    statuses_set(invoices=invoices, to=Status.QUEUED, text=str(envelope.uuid), saved=("envelope", "sender_alias", "sends"))
    return envelope


def envelope_store(*, tenant: Tenant, type: str, sender: str, receiver: str, receiver_identifier: str, xml: bytes,
                   envelope_id: str, answers: Envelope | None = None) -> Envelope:
    """An outgoing envelope of responses (POSTBOX: our KABUL/RED; SYSTEM: our system response), packed."""
    packed = packing.pack(xml, envelope_id)
    return envelope_made(Envelope.objects.create(
        tenant=tenant, uuid=envelope_id, direction=Envelope.Direction.OUTGOING, type=type, state=Envelope.State.PACKED,
        sender_alias=sender, receiver_alias=receiver, party_identifier=receiver_identifier, answers=answers,
        file_name=packed.file_name, data=packed.data, md5=packed.md5_hex,
    ))


def _begin(envelope_id: int) -> Envelope | None:
    """PACKED → SENDING, debiting one credit per invoice; an envelope already SENDING (a retry, or
    one whose worker died mid-call) goes again without a second debit; any other is left alone."""
    with transaction.atomic():
        envelope = Envelope.objects.select_for_update().get(id=envelope_id)
        if envelope.state not in (Envelope.State.PACKED, Envelope.State.SENDING):
            return None
        if envelope.state == Envelope.State.PACKED:
            count = envelope.invoices.count()
            if count:
                credits_debit(tenant=envelope.tenant, reference=str(envelope.uuid), amount=count)
            envelope_move(envelope, to=Envelope.State.SENDING, text=f"-{count}")  # the credits taken
        envelope.send_attempts += 1
        envelope.save(update_fields=["state", "send_attempts", "updated_at"])
        return envelope


def envelope_send(*, envelope_id: int) -> Envelope | None:
    """Hand a packed envelope to GİB. No transaction is open during the call (GİB, or the local hub
    on the same database, must not wait on our locks): the credits are taken before it and given back
    only when GİB refuses the envelope for good (``envelope_send_failed``).

    Raises GibUnavailable, GibFault (but 2001) or InsufficientCredits; the task decides what follows.
    """
    envelope = _begin(envelope_id)
    if envelope is None:
        return None
    _archive(envelope)
    try:
        message = gib_client().send_document(file_name=envelope.file_name, data=envelope_zip(envelope), md5=envelope.md5)
    except GibFault as fault:
        if fault.fault_code != ALREADY_KNOWN:
            raise
        message = fault.text
    return _sent(envelope_id, message)


def _archive(envelope: Envelope) -> None:
    """The zip archived exactly as it goes, before it goes (again on a retry: the same row); from then
    on the archive holds it and the row no longer does."""
    kind = Document.Kind.SYSTEM_RESPONSE if envelope.type == Envelope.Type.SYSTEM else Document.Kind.ENVELOPE_SENT
    document = document_store(tenant=envelope.tenant, kind=kind, data=envelope_zip(envelope), media_type="application/zip",
                              subject=("envelope", envelope.id))
    Envelope.objects.filter(id=envelope.id).update(document=document, data=None)


def _sent(envelope_id: int, message: str) -> Envelope | None:
    with transaction.atomic():
        envelope = Envelope.objects.select_for_update().get(id=envelope_id)
        if envelope.state != Envelope.State.SENDING:
            return None
        now = timezone.now()
        envelope.sent_at = now
        record(envelope, code=None, text=message or "sent", source="send", now=now)
        statuses_set(invoices=list(envelope.invoices.select_for_update(of=("self",)).select_related("tenant").order_by("id")),
                     to=Status.SENT, text=message)
        if envelope.type == Envelope.Type.SYSTEM:  # nothing to follow: GİB keeps no status we act on
            envelope_move(envelope, to=Envelope.State.DONE, text=message, now=now)
        else:
            envelope_move(envelope, to=Envelope.State.SENT, text=message, now=now)
            envelope.next_poll_at = next_poll(envelope, now)
        envelope.save()
        return envelope


def envelope_send_failed(*, envelope_id: int, fault: GibFault) -> Envelope:
    """GİB refused the envelope outright: record the fault; a fault that says our zip is wrong (2006)
    fails its invoices, one that needs a person (2007, unknown) marks it for attention."""
    with transaction.atomic():
        envelope = Envelope.objects.select_for_update().get(id=envelope_id)
        now = timezone.now()
        record(envelope, code=fault.fault_code, text=fault.text or fault.entry.text_tr, source="send", now=now)
        if fault.entry.action == Action.FIX_AND_RESEND:
            invoices = list(envelope.invoices.select_for_update())
            for invoice in invoices:
                _fail(invoice, str(fault.fault_code), fault.entry.text_tr)
            if invoices:
                credits_add(tenant=envelope.tenant, amount=len(invoices), kind=LedgerEntry.Kind.REFUND, note=f"{envelope.uuid}: {fault.fault_code}")
            envelope_move(envelope, to=Envelope.State.DONE, text=str(fault.fault_code), now=now)
        envelope.attention = fault.entry.meaning
        envelope.save()
        return envelope


def envelope_held(*, envelope_id: int, reason: str) -> None:
    """The envelope waits (the tenant has no credits left): say so; credits added send it (``envelopes_waiting_for_credits``),
    and the sweeper tries again later besides."""
    Envelope.objects.filter(id=envelope_id).update(attention=reason, waits_for_credits=True, updated_at=timezone.now())


def envelopes_waiting_for_credits(*, tenant: Tenant) -> list[int]:
    """The tenant's envelopes that wait for credits, to be sent again now that there are some: no
    longer marked as waiting (a send that meets too few credits again marks them again)."""
    waiting = Envelope.objects.filter(tenant=tenant, direction=Envelope.Direction.OUTGOING, state=Envelope.State.PACKED, waits_for_credits=True)
    ids = list(waiting.order_by("id").values_list("id", flat=True))
    Envelope.objects.filter(id__in=ids).update(waits_for_credits=False, attention="", updated_at=timezone.now())
    return ids
