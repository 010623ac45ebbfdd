"""EFaturaService's two synchronous calls as the hub answers them. sendDocument checks only what GİB
checks at once (the name, 2006; the MD5, 2000; a UUID already received, 2001), stores the envelope at
1000 and leaves the rest to processing; getApplicationResponse answers an envelope's current status
as GİB's system response (S_APR)."""

from __future__ import annotations

import uuid as uuidlib

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envelopes import codes, sbdh
from envelopes.packing import zip_md5
from gibhub import reading, status
from gibhub.forcing import Operation, claim_forced
from gibhub.models import HubEnvelope
from integrator.errors import DomainError

GIB_IDENTIFIER, GIB_NAME = "3900383669", "Gelir İdaresi Başkanlığı"
BAD_NAME, HASH_MISMATCH, ALREADY_RECEIVED, NOT_FOUND = 2006, 2000, 2001, 2004


class HubFault(DomainError):
    """GİB's EFaturaFault: the call is answered with a SOAP fault carrying *fault_code*."""

    code = "gibhub_fault"
    message = _("GİB fault %(fault)s: %(text)s")

    def __init__(self, fault_code: int):
        self.fault_code = fault_code
        self.gib_msg = status.folded(codes.fault(fault_code).text_tr)  # GİB writes its messages ASCII-folded
        super().__init__(fault=fault_code, text=self.gib_msg)


def _named_uuid(file_name: str) -> uuidlib.UUID:
    """The UUID a ``<GUID>.zip`` is named by; 2006 when the name is anything else."""
    stem, dot, extension = file_name.rpartition(".")
    try:
        if dot and extension.lower() == "zip" and len(stem) == 36:
            return uuidlib.UUID(stem)
    except ValueError:
        pass
    raise HubFault(BAD_NAME)


def _forced_fault(operation: str, envelope_type: str, receiver_alias: str) -> None:
    if envelope_type == sbdh.SYSTEMENVELOPE:
        return  # the hub's own plumbing is never forced
    forced = claim_forced(operation=operation, receiver_alias=receiver_alias)
    if forced is not None:
        raise HubFault(forced)


def hub_send_document(*, file_name: str, data: bytes, md5: str) -> str:
    """Take an envelope's zip as GİB's sendDocument does; GİB's message when it is queued, else HubFault."""
    envelope_uuid = _named_uuid(file_name)
    if zip_md5(data) != (md5 or "").strip().lower():
        raise HubFault(HASH_MISMATCH)
    header = reading.header(file_name=file_name, data=data, md5=md5)
    _forced_fault(Operation.SEND, header.type if header else "", header.receiver_alias if header else "")
    _store(envelope_uuid, file_name=file_name, data=data, md5=md5.strip().lower(), header=header)
    return status.gib_text(status.QUEUED)


def _header_fields(header: sbdh.Envelope | None) -> dict[str, str]:
    names = ("type", "sender_alias", "sender_identifier", "receiver_alias", "receiver_identifier")
    # Cut to the columns: what an envelope says of itself is checked only when it is processed.
    return {name: getattr(header, name)[: HubEnvelope._meta.get_field(name).max_length] for name in names} if header else {}


def _store(envelope_uuid: uuidlib.UUID, *, file_name: str, data: bytes, md5: str, header: sbdh.Envelope | None) -> HubEnvelope:
    """Store the envelope at 1000 and enqueue its processing once stored; 2001 when the UUID is known."""
    from gibhub.tasks import process_envelope  # the task module imports the services

    with transaction.atomic():
        try:
            with transaction.atomic():
                now = timezone.now()
                envelope = HubEnvelope.objects.create(uuid=envelope_uuid, file_name=file_name, data=data, md5=md5, status=status.QUEUED,
                                                      status_at=now, due_at=now, **_header_fields(header))
        except IntegrityError:
            raise HubFault(ALREADY_RECEIVED) from None
        status.record(envelope=envelope, code=status.QUEUED)
        transaction.on_commit(lambda: process_envelope.delay(envelope.pk))
    return envelope


def hub_application_response(*, uuid: str) -> bytes:
    """GİB's system response (S_APR) for the envelope *uuid*, with its current status; 2004 when unknown."""
    envelope = _known(uuid)
    _forced_fault(Operation.QUERY, envelope.type if envelope else "", envelope.receiver_alias if envelope else "")
    if envelope is None:
        raise HubFault(NOT_FOUND)
    return _status_response(envelope)


def _known(text: str) -> HubEnvelope | None:
    try:
        return HubEnvelope.objects.filter(uuid=uuidlib.UUID(text.strip())).first()
    except ValueError:
        return None


def _status_response(envelope: HubEnvelope) -> bytes:
    """From GİB to the envelope's sender; the same status always gives the same document."""
    return sbdh.system_response(
        sender_identifier=GIB_IDENTIFIER, sender_name=GIB_NAME, receiver_identifier=envelope.sender_identifier,
        envelope=str(envelope.uuid), envelope_date=timezone.localdate(envelope.received_at), code=envelope.status,
        description=status.gib_text(envelope.status), envelope_type=envelope.type or sbdh.SENDERENVELOPE,
        uuid=uuidlib.uuid5(envelope.uuid, f"status/{envelope.status}"), issued=envelope.status_at,
    )
