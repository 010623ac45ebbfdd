"""The envelopes of answers: our KABUL/RED to an incoming TICARIFATURA invoice, in a POSTBOXENVELOPE
from the postbox that received it to the sender unit that sent it; and the system response that
acknowledges every envelope pushed to us, in a SYSTEMENVELOPE. The answers themselves are the
invoices' (``invoices.answers``).
"""

from __future__ import annotations

import uuid as uuidlib

from django.db import transaction
from django.utils import timezone

from envelopes import sbdh
from envelopes.models import Envelope
from envelopes.sending import envelope_store
from invoices.models import Invoice
from tenants.models import Tenant


def answer_envelope(*, tenant: Tenant, invoice: Invoice, sealed: bytes) -> Envelope:
    """Our sealed answer to *invoice*, packed: from the postbox that received the invoice back to the
    sender unit that sent it."""
    envelope_id = sbdh.envelope_uuid(uuidlib.uuid4())
    xml = sbdh.postbox_envelope(
        sender_alias=invoice.receiver_alias, sender_identifier=tenant.identifier, sender_name=tenant.display_name,
        receiver_alias=invoice.sender_alias, receiver_identifier=invoice.supplier_identifier, receiver_name=invoice.supplier_name,
        documents=[sealed], uuid=envelope_id,
    )
    return envelope_store(tenant=tenant, type=Envelope.Type.POSTBOX, sender=invoice.receiver_alias, receiver=invoice.sender_alias,
                          receiver_identifier=invoice.supplier_identifier, xml=xml, envelope_id=envelope_id)


def system_response_pack(*, envelope_id: int) -> Envelope | None:
    """Our system response to an envelope pushed to us (1200, or the code it was refused with), packed
    in a SYSTEMENVELOPE to the envelope's sender unit; once per envelope (None when it was made already)."""
    with transaction.atomic():
        incoming = Envelope.objects.select_for_update().select_related("tenant").get(id=envelope_id)
        if incoming.answered_by.exists():
            return None
        tenant = incoming.tenant
        answer = sbdh.system_response(
            sender_identifier=tenant.identifier, sender_name=tenant.display_name, receiver_identifier=incoming.party_identifier,
            envelope=str(incoming.uuid), envelope_date=timezone.localdate(incoming.created_at), code=incoming.code,
            description=incoming.text, envelope_type=incoming.type,
        )
        envelope_id = sbdh.envelope_uuid(uuidlib.uuid4())
        sender, receiver = incoming.receiver_alias, incoming.sender_alias  # back the way the envelope came
        xml = sbdh.system_envelope(
            sender_alias=sender, sender_identifier=tenant.identifier, sender_name=tenant.display_name,
            receiver_alias=receiver, receiver_identifier=incoming.party_identifier, receiver_name="",
            document=answer, uuid=envelope_id,
        )
        return envelope_store(tenant=tenant, type=Envelope.Type.SYSTEM, sender=sender, receiver=receiver,
                              receiver_identifier=incoming.party_identifier, xml=xml, envelope_id=envelope_id, answers=incoming)

