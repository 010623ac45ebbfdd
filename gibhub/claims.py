"""Who works on a hub envelope, and when.

The work a task still owes an envelope (processing it, or its next delivery try) is due at
``due_at``; empty, there is none (refused, settled, delivered, given up, or forced on purpose). A
worker claims the work with a conditional update that sets ``claimed_until`` and acts only when that
update changed exactly one row (as ``envelopes.polling`` claims envelopes): two workers never work on
one envelope at once. A claim lapses ``GIB_HUB_STUCK_AFTER`` seconds after it was made, which is
longer than a delivery try can last (the settings see to it); so the claim of a worker that was
killed ends, and ``hub_sweep_stuck`` (run by beat) enqueues again the work whose task was lost with
it, or lost in the broker. The tasks are idempotent: work enqueued twice is done once.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from gibhub.models import HubEnvelope
from gibhub.status import NOT_DELIVERED, PROCESSED, PROCESSING, QUEUED

logger = logging.getLogger(__name__)
TO_PROCESS = (QUEUED, PROCESSING)
TO_DELIVER = (PROCESSED, NOT_DELIVERED)
# A retry set on one worker may run on another whose clock is a little behind; it is still due.
CLOCK_SKEW = dt.timedelta(seconds=2)
BATCH = 500


def stuck_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.GIB_HUB_STUCK_AFTER)


def _unclaimed(now: dt.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)


def claim(*, envelope_id: int, statuses: tuple[int, ...], now: dt.datetime, when_due: bool) -> bool:
    """Claim the envelope's work while it is at one of *statuses* and nobody holds it (with
    *when_due*, only once its work is due); True when this worker won it."""
    found = HubEnvelope.objects.filter(_unclaimed(now), pk=envelope_id, status__in=statuses)
    if when_due:
        found = found.filter(due_at__lte=now + CLOCK_SKEW)
    return found.update(claimed_until=now + stuck_after()) == 1


def release(envelope: HubEnvelope, *, due_at: dt.datetime | None) -> None:
    """Give up the claim on the locked *envelope*, its next work due at *due_at* (None: no more)."""
    envelope.due_at, envelope.claimed_until = due_at, None
    envelope.save(update_fields=["due_at", "claimed_until"])


def hub_sweep_stuck(*, now: dt.datetime | None = None) -> int:
    """Enqueue again the processing or delivery try due more than ``GIB_HUB_STUCK_AFTER`` seconds ago
    that nobody holds; returns how many.

    Each is touched (due now) before it is enqueued, so that later sweeps leave it to its task for as
    long again; with many sweepers, only the one whose touch changed the row enqueues it.
    """
    from gibhub.tasks import deliver_envelope, process_envelope  # the task module imports the services

    now = now or timezone.now()
    stuck = HubEnvelope.objects.filter(
        _unclaimed(now), Q(status__in=TO_PROCESS) | Q(status__in=TO_DELIVER, delivered_at__isnull=True),
        due_at__lte=now - stuck_after(),
    )
    swept = 0
    for envelope_id, code, seen in stuck.order_by("due_at").values_list("pk", "status", "due_at")[:BATCH]:
        if HubEnvelope.objects.filter(pk=envelope_id, due_at=seen).update(due_at=now) != 1:
            continue  # another sweeper took it, or its task moved it meanwhile
        logger.warning("gibhub: envelope %s stuck at %s since %s: enqueued again", envelope_id, code, seen.isoformat())
        (process_envelope if code in TO_PROCESS else deliver_envelope).delay(envelope_id)
        swept += 1
    return swept
