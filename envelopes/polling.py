"""Following outgoing envelopes at GİB: getApplicationResponse until the code is final.

Safe with many workers: a poller claims an envelope by moving its ``next_poll_at`` forward with a
conditional update that names the value it saw, and polls it only when that update changed exactly one
row. A poll that gets no answer only pushes the next one further out.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from archive.models import Document
from archive.services import document_store
from envelopes.gib.client import GibError, GibFault, gib_client
from envelopes.models import Envelope
from envelopes.states import envelope_apply, next_poll, record
from ubl.response import ResponseError, parse_system_response

LEASE = dt.timedelta(minutes=5)  # a claimed envelope is left alone this long, even if its poller dies
POLLED_TYPES = (Envelope.Type.SENDER, Envelope.Type.POSTBOX)
logger = logging.getLogger(__name__)


def envelopes_due(*, now: dt.datetime, limit: int = 200) -> list[tuple[int, dt.datetime]]:
    due = Envelope.objects.filter(
        direction=Envelope.Direction.OUTGOING, state=Envelope.State.SENT, type__in=POLLED_TYPES, next_poll_at__lte=now
    )
    return list(due.order_by("next_poll_at").values_list("id", "next_poll_at")[:limit])


def envelope_claim(*, envelope_id: int, seen: dt.datetime, now: dt.datetime) -> bool:
    return Envelope.objects.filter(id=envelope_id, next_poll_at=seen).update(next_poll_at=now + LEASE) == 1


def envelope_poll(*, envelope_id: int, now: dt.datetime | None = None) -> Envelope:
    """Ask GİB for the envelope's status and apply it."""
    envelope = Envelope.objects.get(id=envelope_id)
    Envelope.objects.filter(id=envelope_id).update(polls=F("polls") + 1)
    try:
        answer = gib_client().get_application_response(str(envelope.uuid))
        response = parse_system_response(answer)
    except (GibError, ResponseError) as exc:
        return _unanswered(envelope_id, exc, now or timezone.now())
    # GİB's answer archived as it came; the same answer polled again is the row made the first time.
    document_store(tenant=envelope.tenant, kind=Document.Kind.GIB_ANSWER, data=answer, subject=("envelope", envelope.id))
    with transaction.atomic():
        envelope = Envelope.objects.select_for_update().get(id=envelope_id)
        return envelope_apply(envelope=envelope, code=response.code, text=response.description, source="poll", now=now)


def _unanswered(envelope_id: int, error: Exception, now: dt.datetime) -> Envelope:
    with transaction.atomic():
        envelope = Envelope.objects.select_for_update().get(id=envelope_id)
        if isinstance(error, GibFault):  # 2004: GİB does not know it; 2007: suspended. A person looks.
            record(envelope, code=error.fault_code, text=error.text or error.entry.text_tr, source="poll", now=now)
            envelope.attention = error.entry.meaning
        logger.warning("envelope %s: no status from GİB: %s", envelope.uuid, error)
        envelope.next_poll_at = next_poll(envelope, now)
        envelope.save(update_fields=["attention", "next_poll_at", "updated_at"])
        return envelope


def poll_due(*, now: dt.datetime | None = None) -> list[Envelope]:
    """Poll every envelope that is due and that this worker could claim; returns those it polled."""
    now = now or timezone.now()
    return [envelope_poll(envelope_id=envelope_id, now=now)
            for envelope_id, seen in envelopes_due(now=now) if envelope_claim(envelope_id=envelope_id, seen=seen, now=now)]
