"""Delivering a processed envelope to the integrator serving its receiver alias, unchanged (same file
name, zip and MD5), with the client the platform itself uses; and the sweep that marks delivered
envelopes whose receiver never answered (1220).

Each try is claimed first (``gibhub.claims``): a second worker handed the same envelope meanwhile (a
redelivered message, the stuck sweeper's) posts nothing while the first one's claim holds."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from envelopes.gib.client import GibClient, GibError, GibFault
from gibhub import claims, status
from gibhub.models import HubDeliveryAttempt, HubEnvelope
from gibhub.reading import RECEIVER_KIND
from gibhub.registry import active_alias
from gibhub.status import DELIVERY_ENDED, NO_ANSWER, NOT_DELIVERED, PROCESSED, set_status

logger = logging.getLogger(__name__)
ALREADY_THERE = 2001  # the receiver holds the envelope: an earlier try got through before its answer was lost
MAX_RETRY_DELAY = 3600  # seconds: the delay between tries doubles up to this


def hub_envelope_deliver(*, envelope_id: int) -> int | None:
    """Try to hand the envelope over once, if its try is due and this worker claims it; the seconds
    until the next try when it should be tried again, else None.

    Every try is a ``HubDeliveryAttempt``. A failure makes the envelope 1210, and 1215 once
    ``GIB_HUB_DELIVERY_ATTEMPTS`` tries have failed. Idempotent: a delivered envelope is not sent
    again, nor one whose try another worker holds or whose next try is not yet due.
    """
    if not claims.claim(envelope_id=envelope_id, statuses=claims.TO_DELIVER, now=timezone.now(), when_due=True):
        return None
    envelope = HubEnvelope.objects.get(pk=envelope_id)
    url = _endpoint(envelope)
    error = _send(envelope, url)
    HubDeliveryAttempt.objects.create(envelope=envelope, url=url, ok=error is None, error=error or "")
    logger.info("gibhub: delivery of %s to %s: %s", envelope.uuid, url or "-", error or "delivered")
    return _after_attempt(envelope_id, error)


def _endpoint(envelope: HubEnvelope) -> str:
    alias = active_alias(name=envelope.receiver_alias, kind=RECEIVER_KIND.get(envelope.type, "PK"), identifier=envelope.receiver_identifier)
    return alias.endpoint if alias else ""


def _send(envelope: HubEnvelope, url: str) -> str | None:
    """None when the receiver took the envelope, else what went wrong."""
    if not url:
        return _("the receiver has no active alias with an endpoint")
    try:
        client = GibClient(url=url, timeout=settings.GIB_HUB_DELIVERY_TIMEOUT)
        client.send_document(file_name=envelope.file_name, data=bytes(envelope.data), md5=envelope.md5)
    except GibFault as exc:
        return None if exc.fault_code == ALREADY_THERE else str(exc)
    except GibError as exc:  # GibUnavailable, or no WSDL to talk with
        return str(exc)
    return None


def _after_attempt(envelope_id: int, error: str | None) -> int | None:
    with transaction.atomic():
        envelope = status.locked(envelope_id)
        if error is None:
            _delivered(envelope)
            return None
        if envelope.status not in (PROCESSED, NOT_DELIVERED):
            claims.release(envelope, due_at=None)
            return None  # answered or settled meanwhile
        if envelope.status == PROCESSED:
            set_status(envelope=envelope, to=NOT_DELIVERED, note=error)
        failed = envelope.delivery_attempts.filter(ok=False).count()
        if failed >= settings.GIB_HUB_DELIVERY_ATTEMPTS:
            set_status(envelope=envelope, to=DELIVERY_ENDED, note=error)
            claims.release(envelope, due_at=None)
            return None
        delay = retry_delay(failed)
        claims.release(envelope, due_at=timezone.now() + dt.timedelta(seconds=delay))
        return delay


def retry_delay(failed: int) -> int:
    """Seconds before the next try after *failed* failed ones: counted in the database, so that a
    redelivered or re-enqueued task keeps the schedule."""
    return min(settings.GIB_HUB_RETRY_DELAY * 2 ** (failed - 1), MAX_RETRY_DELAY)


def _delivered(envelope: HubEnvelope) -> None:
    claims.release(envelope, due_at=None)
    envelope.delivered_at = envelope.delivered_at or timezone.now()
    envelope.save(update_fields=["delivered_at"])
    if envelope.status == NOT_DELIVERED:
        set_status(envelope=envelope, to=PROCESSED, note=_("delivered"))


def hub_sweep_unanswered(*, now: dt.datetime | None = None) -> int:
    """Mark 1220 the envelopes delivered more than ``GIB_HUB_ANSWER_WAIT`` seconds ago and still at
    1200; returns how many. Safe with many workers: each is moved under its row lock, once."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=settings.GIB_HUB_ANSWER_WAIT)
    waiting = HubEnvelope.objects.filter(status=PROCESSED, delivered_at__lte=cutoff).values_list("pk", flat=True)
    moved = 0
    for envelope_id in list(waiting):
        with transaction.atomic():
            envelope = status.locked(envelope_id)
            if envelope.status == PROCESSED and envelope.delivered_at and envelope.delivered_at <= cutoff:
                set_status(envelope=envelope, to=NO_ANSWER, note=_("no system response since %(at)s") % {"at": envelope.delivered_at.isoformat()})
                moved += 1
    return moved
