"""Envelopes GİB pushes to us (our side of sendDocument): incoming invoices for our tenants' postboxes,
the receivers' KABUL/RED for our invoices, and system responses about our envelopes.

Each push is checked (name, hash, zip, envelope, each document's seal) and stored in one transaction,
or refused with nothing stored. What cannot even be read is refused at once with a SOAP fault carrying
GİB's code; an envelope that can be read but not accepted is kept as REFUSED, without its documents,
and answered with a system response carrying the refusal code, as every accepted one is answered with
1200. A repeated push of an envelope ID is refused with 2001 and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from lxml import etree

from archive.models import Document
from archive.services import Put, Writes, document_put, document_record
from envelopes import codes, packing, sbdh
from envelopes.gib.soap import SendDocument
from envelopes.models import Envelope
from envelopes.states import envelope_apply, envelope_made, envelope_move, record
from integrator.errors import DomainError
from invoices.answers import AnswerNotApplicable, answer_receive
from invoices.services import invoices_receive
from schematron.validation import validate
from signing.verify import verify
from tenants.models import Alias
from ubl import document as ubl
from ubl import parse, response

PROCESSED = 1200
logger = logging.getLogger(__name__)


class Refused(DomainError):
    """The push is refused with GİB's *gib_code*: a SOAP fault when nothing could be read, else a
    system response. *reason* is ours, worded when it is shown; GİB's own text for the code stays
    GİB's Turkish in every language."""

    code = "envelope_refused"
    message = _("GİB code %(gib_code)s (%(gib_text)s): %(reason)s")

    def __init__(self, gib_code: int, reason):
        self.gib_code = gib_code
        entry = codes.fault(gib_code) if gib_code >= 2000 else codes.status(gib_code)
        super().__init__(gib_code=gib_code, reason=reason, gib_text=entry.text_tr)


def _read(request: SendDocument) -> tuple[bytes, sbdh.Envelope]:
    try:
        xml = packing.unpack(request.file_name, request.data, request.hash)
        return xml, sbdh.parse_envelope(xml)
    except sbdh.EnvelopeError as exc:
        raise Refused(exc.gib_code or 1140, str(exc)) from None


def _owner(alias: str) -> Alias:
    found = Alias.objects.select_related("tenant").filter(name=alias, deleted_at__isnull=True, tenant__is_active=True).first()
    if found is None:
        raise Refused(1181, _("%(alias)s is no postbox here") % {"alias": alias})
    return found


def envelope_receive(*, request: SendDocument, now: dt.datetime | None = None) -> Envelope:
    """Check and store a pushed envelope; raises Refused (nothing stored) when it cannot be read or
    is already here. Returns the stored envelope: RECEIVED, or REFUSED with the code it earned; all
    but a system envelope are to be answered with a system response (``needs_system_response``)."""
    xml, envelope = _read(request)
    owner = _owner(envelope.receiver_alias)
    if Envelope.objects.filter(uuid=envelope.uuid, direction=Envelope.Direction.INCOMING).exists():
        raise Refused(2001, _("envelope %(uuid)s was received already") % {"uuid": envelope.uuid})
    now = now or timezone.now()
    puts = _archived(request, envelope, owner.tenant, now)
    try:
        with transaction.atomic():
            stored = _store(request, envelope, owner, puts, now)
            try:
                with transaction.atomic():
                    _accept(xml, envelope, stored, owner, puts, now)
            except Refused as refusal:
                _refuse(stored, refusal, now)
    except IntegrityError:
        if not Envelope.objects.filter(uuid=envelope.uuid, direction=Envelope.Direction.INCOMING).exists():
            raise  # not ours to call a duplicate: 2001 would tell the sender its envelope was taken
        raise Refused(2001, _("envelope %(uuid)s was received already") % {"uuid": envelope.uuid}) from None  # pushed twice at once: the other push stored it
    return stored


def needs_system_response(envelope: Envelope) -> bool:
    return envelope.direction == Envelope.Direction.INCOMING and envelope.type != Envelope.Type.SYSTEM


@dataclass(frozen=True)
class Archived:
    """The objects of a pushed envelope, written before its transaction: the zip, and each document in it."""

    envelope: Put
    documents: dict[int, Put]  # by position in the envelope

    def of(self, position: int) -> Put:
        return self.documents[position]


def _archived(request: SendDocument, envelope: sbdh.Envelope, tenant, now: dt.datetime) -> Archived:
    """Every object of the envelope written to the archive (nothing locked; only rows name them, and
    only once recorded): a refused envelope leaves objects no row names, as a worker that dies does."""
    writes = Writes(tenant=tenant, now=now)
    for document in [] if envelope.type == sbdh.SYSTEMENVELOPE else envelope.documents:
        writes.put(document)
    zipped = document_put(tenant=tenant, data=request.data, media_type="application/zip", now=now)
    return Archived(zipped, dict(enumerate(writes.puts())))


def _store(request: SendDocument, envelope: sbdh.Envelope, owner: Alias, puts: Archived, now: dt.datetime) -> Envelope:
    stored = Envelope.objects.create(
        tenant=owner.tenant, uuid=envelope.uuid, direction=Envelope.Direction.INCOMING, type=envelope.type,
        state=Envelope.State.RECEIVED, sender_alias=envelope.sender_alias, receiver_alias=envelope.receiver_alias,
        party_identifier=envelope.sender_identifier, file_name=request.file_name, data=None, md5=request.hash,  # the archive holds it
        code=PROCESSED, text=codes.status(PROCESSED).text_tr, created_at=now,
    )
    kind = Document.Kind.SYSTEM_RESPONSE if envelope.type == sbdh.SYSTEMENVELOPE else Document.Kind.ENVELOPE_RECEIVED
    stored.document = document_record(put=puts.envelope, kind=kind, subject=("envelope", stored.id))
    stored.save(update_fields=["document"])
    return envelope_made(stored)


def _refuse(stored: Envelope, refusal: Refused, now: dt.datetime) -> None:
    envelope_move(stored, to=Envelope.State.REFUSED, text=str(refusal.gib_code), now=now)
    stored.code, stored.text = refusal.gib_code, str(refusal)
    stored.save(update_fields=["state", "code", "text", "updated_at"])
    record(stored, code=refusal.gib_code, text=str(refusal), source="platform", now=now)
    logger.warning("envelope %s from %s refused: %s", stored.uuid, stored.sender_alias, refusal)


def _validated(xml: bytes, envelope: sbdh.Envelope) -> None:
    """GİB's checks of the whole envelope, its documents within: schema (1160), then schematron (1150),
    on the envelope as it was read."""
    report = validate(xml, platform=False, tree=envelope.root.getroottree())
    if not report.valid:
        first = min(report.errors, key=lambda issue: issue.layer not in ("parse", "xsd"))
        raise Refused(1160 if first.layer in ("parse", "xsd") else 1150, first)  # worded when shown


def _sealed(documents: list[bytes]) -> list[etree._Element]:
    """Each document's seal checked; the documents as read, for reading them once."""
    read = []
    for position, document in enumerate(documents, 1):
        root = sbdh.safe_parse(document)  # a copy of what the envelope held: as readable as it was
        verification = verify(document, parsed=root)
        if not verification.valid:
            failed = ", ".join(check.label for check in verification.failed)
            raise Refused(1177, _("document %(position)s: its seal fails %(failed)s") % {"position": position, "failed": failed})
        read.append(root)
    return read


def _accept(xml: bytes, envelope: sbdh.Envelope, stored: Envelope, owner: Alias, puts: Archived, now: dt.datetime) -> None:
    try:
        return _process(xml, envelope, stored, owner, puts, now)
    except parse.ParseError as exc:  # a document our readers refuse (system responses pass no checks first)
        raise Refused(1140, exc) from None


def _process(xml: bytes, envelope: sbdh.Envelope, stored: Envelope, owner: Alias, puts: Archived, now: dt.datetime) -> None:
    if envelope.type == sbdh.SYSTEMENVELOPE:
        return _system_response(envelope, owner, now)
    _validated(xml, envelope)
    read = _sealed(envelope.documents)
    if envelope.element_type == "INVOICE":
        received = [(_incoming_invoice(root, owner), document, puts.of(position))
                    for position, (document, root) in enumerate(zip(envelope.documents, read, strict=True))]
        invoices_receive(tenant=owner.tenant, received=received, envelope=stored, sender_alias=stored.sender_alias,
                         receiver_alias=owner.name, now=now)
    elif envelope.element_type == "APPLICATIONRESPONSE":
        for position, document in enumerate(envelope.documents):
            _answer(document, owner, puts.of(position), now)
    else:
        raise Refused(1140, _("%(type)s is not a document type we receive") % {"type": envelope.element_type})
    return None


def _incoming_invoice(root: etree._Element, owner: Alias) -> ubl.Invoice:
    """The invoice read, checked to be addressed to the postbox's tenant."""
    document = parse.parse_invoice(root)
    tenant = owner.tenant
    if document.customer.identifier != tenant.identifier:
        raise Refused(1181, _("%(number)s is addressed to %(customer)s, not to %(tenant)s")
                      % {"number": document.id, "customer": document.customer.identifier, "tenant": tenant.identifier})
    return document


def _answer(xml: bytes, owner: Alias, put: Put, now: dt.datetime) -> None:
    """The receiver's KABUL or RED for one of our invoices."""
    try:
        answer_receive(tenant=owner.tenant, answer=response.parse_application_response(xml), xml=xml, put=put, now=now)
    except AnswerNotApplicable as exc:
        raise Refused(1150, exc.params["reason"]) from None


def _system_response(envelope: sbdh.Envelope, owner: Alias, now: dt.datetime) -> None:
    """A system response about one of our envelopes: its status, as a poll would have told."""
    for document in envelope.documents:
        answer = response.parse_system_response(document)
        ours = (Envelope.objects.select_for_update()
                .filter(tenant=owner.tenant, direction=Envelope.Direction.OUTGOING, uuid=answer.envelope_uuid).first())
        if ours is None:
            raise Refused(1150, _("no envelope of ours has the ID %(uuid)s") % {"uuid": answer.envelope_uuid})
        envelope_apply(envelope=ours, code=answer.code, text=answer.description, source="push", now=now)
