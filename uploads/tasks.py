"""The upload's tasks: starting one once it is stored, running it, and running again those nobody runs."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from uploads import services
from uploads.models import Upload


def upload_start(**request) -> Upload:
    """An upload stored (``services.upload_create``'s arguments) and run once the request commits."""
    upload = services.upload_create(**request)
    transaction.on_commit(lambda: upload_run.delay(upload.id))
    return upload


@shared_task(acks_late=True)
def upload_run(upload_id: int) -> None:
    services.upload_run(upload_id=upload_id)


@shared_task
def uploads_sweep() -> int:
    stale = services.uploads_stale()
    for upload_id in stale:
        upload_run.delay(upload_id)
    return len(stale)
