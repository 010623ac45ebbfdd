"""The sweeper: work that waits too long in a state some task should have moved it from, found to be
enqueued again (``pipeline.tasks.pipeline_sweep``). A task message can be lost (a broker restart
without persistence) or its worker killed before it acknowledged; the tasks are idempotent, so
enqueuing twice is harmless, and what is swept is touched, so it is not swept again before another
``PIPELINE_SWEEP_AFTER`` seconds."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from envelopes.models import Envelope
from invoices.models import Invoice
from invoices.status import Status
from pipeline.models import Queued

BATCH = 500


def _take(queryset, now: dt.datetime) -> list[int]:
    ids = list(queryset.order_by("id").values_list("id", flat=True)[:BATCH])
    queryset.model.objects.filter(id__in=ids).update(updated_at=now)
    return ids


def sweep(*, now: dt.datetime | None = None) -> dict[str, list[int]]:
    """The ids to enqueue again, by step: invoices to validate and to seal, outgoing envelopes to
    send, incoming ones to answer with a system response, and tenants whose sealed invoices wait to
    be packed."""
    now = now or timezone.now()
    # A task queued so long ago was lost: the tenant's next invoice queues one again.
    Queued.objects.filter(queued_at__lt=now - dt.timedelta(seconds=settings.PIPELINE_SWEEP_AFTER)).delete()
    stale = Invoice.objects.filter(direction=Invoice.Direction.OUTGOING, updated_at__lt=now - dt.timedelta(seconds=settings.PIPELINE_SWEEP_AFTER))
    old_envelopes = Envelope.objects.filter(updated_at__lt=now - dt.timedelta(seconds=settings.PIPELINE_SWEEP_AFTER))
    found = {
        "validate": _take(stale.filter(status=Status.ISSUED), now),
        # Not HELD: an invoice held for want of a usable seal waits for a person; registering a seal releases it.
        "seal": _take(stale.filter(status=Status.VALID), now),
        "send": _take(old_envelopes.filter(direction=Envelope.Direction.OUTGOING, state__in=(Envelope.State.PACKED, Envelope.State.SENDING)), now),
        "answer": _take(old_envelopes.filter(direction=Envelope.Direction.INCOMING, answered_by__isnull=True).exclude(type=Envelope.Type.SYSTEM), now),
    }
    packable = _take(stale.filter(status=Status.SEALED, channel=Invoice.Channel.EFATURA), now)
    found["pack"] = sorted(set(Invoice.objects.filter(id__in=packable).values_list("tenant_id", flat=True)))
    return found
