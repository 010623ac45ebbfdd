"""The sweeper: work that waits too long in a state some task should have moved it from is enqueued
again. A task message can be lost (a broker restart without persistence) or its worker killed before it
acknowledged; the tasks are idempotent, so enqueuing twice is harmless, and what is swept is touched,
so it is not swept again before another ``PIPELINE_SWEEP_AFTER`` seconds."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from envelopes.models import Envelope
from invoices.models import Invoice
from invoices.status import Status

BATCH = 500


def _take(queryset, now: dt.datetime) -> list[int]:
    ids = list(queryset.order_by("id").values_list("id", flat=True)[:BATCH])
    queryset.model.objects.filter(id__in=ids).update(updated_at=now)
    return ids


def sweep(*, now: dt.datetime | None = None) -> dict:
    from envelopes.tasks import envelope_send, envelopes_pack, system_response_send
    from invoices.tasks import invoice_seal, invoice_validate

    now = now or timezone.now()
    stale = Invoice.objects.filter(direction=Invoice.Direction.OUTGOING, updated_at__lt=now - dt.timedelta(seconds=settings.PIPELINE_SWEEP_AFTER))
    old_envelopes = Envelope.objects.filter(updated_at__lt=now - dt.timedelta(seconds=settings.PIPELINE_SWEEP_AFTER))
    counts = {}
    for name, queryset, task in (
        ("validate", stale.filter(status=Status.ISSUED), invoice_validate),
        # Not HELD: an invoice held for want of a usable seal waits for a person; registering a seal releases it.
        ("seal", stale.filter(status=Status.VALID), invoice_seal),
        ("send", old_envelopes.filter(direction=Envelope.Direction.OUTGOING, state__in=(Envelope.State.PACKED, Envelope.State.SENDING)), envelope_send),
        ("answer", old_envelopes.filter(direction=Envelope.Direction.INCOMING, answered_by__isnull=True)
         .exclude(type=Envelope.Type.SYSTEM), system_response_send),
    ):
        ids = _take(queryset, now)
        for item in ids:
            task.delay(item)
        counts[name] = len(ids)
    tenants = set(Invoice.objects.filter(id__in=_take(stale.filter(status=Status.SEALED, channel=Invoice.Channel.EFATURA), now))
                  .values_list("tenant_id", flat=True))
    for tenant_id in tenants:
        envelopes_pack.delay(tenant_id)
    counts["pack"] = len(tenants)
    return counts
