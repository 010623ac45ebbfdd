"""The export's tasks: building one, finding those nobody builds, and removing the ZIPs past their days."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from exports import services
from exports.models import Export


def export_ask(**request) -> Export:
    """An export asked for (``services.export_request``'s arguments), built once the request commits."""
    export = services.export_request(**request)
    transaction.on_commit(lambda: export_build.delay(export.id))
    return export


@shared_task(bind=True, max_retries=3, acks_late=True)
def export_build(self, export_id: int) -> None:
    services.export_build(export_id=export_id)


@shared_task
def exports_sweep() -> int:
    stale = services.exports_stale()
    for export_id in stale:
        export_build.delay(export_id)
    return len(stale)


@shared_task
def exports_expire() -> int:
    return services.exports_expire()
