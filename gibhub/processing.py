"""Processing a received envelope, as GİB does after answering sendDocument: 1100, GİB's checks
(``reading``), then a refusal or 1200 with its documents registered and its delivery enqueued. A
system envelope (a receiver's answer) is not delivered: it settles the envelope it answers."""

from __future__ import annotations

import logging
import uuid as uuidlib

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envelopes import sbdh
from gibhub import claims, reading, status
from gibhub.forcing import Operation, claim_forced
from gibhub.models import HubDocument, HubEnvelope
from gibhub.reading import Refused
from gibhub.status import ANSWER_FAILED, AWAITING_ANSWER, DONE, PROCESSED, PROCESSING, QUEUED, set_status

logger = logging.getLogger(__name__)
RECEIVER_PROCESSED = "1200"  # the code a receiver's system response carries when it took the envelope
# A forced code after 1200 is reached the way GİB reaches it, without delivering anything.
FORCED_PATHS = {1100: (), 1200: (1200,), 1210: (1200, 1210), 1215: (1200, 1210, 1215), 1220: (1200, 1220),
                1230: (1200, 1230), 1300: (1200, 1300)}


def hub_envelope_process(*, envelope_id: int) -> None:
    """Process a queued envelope. Idempotent: an envelope past 1100 is left as it is; one another
    worker is processing is left to it; one left at 1100 by a worker that died is processed again once
    that worker's claim has lapsed, and only the first result is written."""
    envelope = _claim(envelope_id)
    if envelope is None:
        return
    forced = _forced(envelope)
    if forced is not None:
        _finish(envelope_id, FORCED_PATHS.get(forced, (forced,)), note=_("forced code %(code)s") % {"code": forced})
        return
    try:
        parsed = reading.checked(file_name=envelope.file_name, data=bytes(envelope.data), md5=envelope.md5)
    except Refused as refusal:
        _finish(envelope_id, (refusal.code,), note=refusal.note)
        return
    _accept(envelope_id, parsed)


def _forced(envelope: HubEnvelope) -> int | None:
    if envelope.type == sbdh.SYSTEMENVELOPE:
        return None  # the hub's own plumbing is never forced
    return claim_forced(operation=Operation.PROCESSING, receiver_alias=envelope.receiver_alias)


def _claim(envelope_id: int) -> HubEnvelope | None:
    if not claims.claim(envelope_id=envelope_id, statuses=claims.TO_PROCESS, now=timezone.now(), when_due=False):
        return None
    with transaction.atomic():
        envelope = status.locked(envelope_id)
        if envelope.status == QUEUED:
            set_status(envelope=envelope, to=PROCESSING)
    return envelope if envelope.status == PROCESSING else None


def _finish(envelope_id: int, path: tuple[int, ...], *, note: str) -> None:
    with transaction.atomic():
        envelope = status.locked(envelope_id)
        if envelope.status != PROCESSING:
            return  # another run finished first
        for code in path:
            set_status(envelope=envelope, to=code, note=note)
        claims.release(envelope, due_at=None)  # refused, or forced: nothing is delivered
    logger.info("gibhub: envelope %s → %s (%s)", envelope.uuid, envelope.status, note)


def _accept(envelope_id: int, parsed: sbdh.Envelope) -> None:
    from gibhub.tasks import deliver_envelope  # the task module imports the services

    with transaction.atomic():
        envelope = status.locked(envelope_id)
        if envelope.status != PROCESSING:
            return
        try:
            _register(envelope, parsed)
        except Refused as refusal:
            set_status(envelope=envelope, to=refusal.code, note=refusal.note)
            claims.release(envelope, due_at=None)
            return
        set_status(envelope=envelope, to=PROCESSED)
        if parsed.type == sbdh.SYSTEMENVELOPE:
            claims.release(envelope, due_at=None)
            _settle(envelope, parsed)
        else:
            claims.release(envelope, due_at=timezone.now())  # its first delivery try is due at once
            transaction.on_commit(lambda: deliver_envelope.delay(envelope_id))


def _register(envelope: HubEnvelope, parsed: sbdh.Envelope) -> None:
    """Record the documents' UUIDs; one the hub already holds (or one twice here) is 1163."""
    if parsed.type == sbdh.SYSTEMENVELOPE:
        return  # a system response is no document of the sender's
    uuids = reading.document_uuids(parsed)
    known = list(HubDocument.objects.filter(uuid__in=uuids).values_list("uuid", flat=True)[:5])
    if known or len(set(uuids)) != len(uuids):
        raise Refused(1163, _("already registered: %(uuids)s") % {"uuids": ", ".join(known) or _("a UUID twice in the envelope")})
    try:
        with transaction.atomic():
            HubDocument.objects.bulk_create(HubDocument(envelope=envelope, uuid=u, element_type=parsed.element_type) for u in uuids)
    except IntegrityError:
        raise Refused(1163, _("registered meanwhile by another envelope")) from None


def _settle(system: HubEnvelope, parsed: sbdh.Envelope) -> None:
    """A receiver's system response: the envelope it answers becomes 1300 (processed) or 1230 (not)."""
    answered, code = reading.system_answer(parsed)
    target = _answered_envelope(answered)
    if target is None or target.status not in AWAITING_ANSWER or target.receiver_identifier != parsed.sender_identifier:
        set_status(envelope=system, to=DONE, note=_("answers %(uuid)s, which awaits no answer from this sender") % {"uuid": answered})
        return
    outcome = DONE if code == RECEIVER_PROCESSED else ANSWER_FAILED
    set_status(envelope=target, to=outcome, note=_("system response %(uuid)s: %(code)s") % {"uuid": system.uuid, "code": code})
    claims.release(target, due_at=None)  # settled: a delivery try still waiting is no longer wanted
    set_status(envelope=system, to=DONE, note=_("answers %(uuid)s with %(code)s") % {"uuid": answered, "code": code})


def _answered_envelope(text: str) -> HubEnvelope | None:
    try:
        answered = uuidlib.UUID(text)
    except ValueError:
        return None
    return HubEnvelope.objects.select_for_update().filter(uuid=answered).first()
