"""Celery tasks of the local GİB hub: interfaces only, the work is in the services."""

from celery import shared_task
from django.conf import settings

from gibhub.delivery import hub_envelope_deliver, hub_sweep_unanswered
from gibhub.processing import hub_envelope_process

MAX_RETRY_DELAY = 3600  # seconds: the backoff doubles up to this


@shared_task
def process_envelope(envelope_id: int) -> None:
    hub_envelope_process(envelope_id=envelope_id)


@shared_task(bind=True, max_retries=None)
def deliver_envelope(self, envelope_id: int) -> None:
    """Retried with a doubling delay while the service says so; the service counts the tries (in
    the database, so a redelivered task does not start again) and ends them at 1215."""
    if hub_envelope_deliver(envelope_id=envelope_id):
        delay = min(settings.GIB_HUB_RETRY_DELAY * 2**self.request.retries, MAX_RETRY_DELAY)
        raise self.retry(countdown=delay)


@shared_task
def sweep_unanswered() -> None:
    hub_sweep_unanswered()
