"""Celery tasks of the local GİB hub: interfaces only, the work is in the services."""

from celery import shared_task

from gibhub.claims import hub_sweep_stuck
from gibhub.delivery import hub_envelope_deliver, hub_sweep_unanswered
from gibhub.processing import hub_envelope_process


@shared_task
def process_envelope(envelope_id: int) -> None:
    hub_envelope_process(envelope_id=envelope_id)


@shared_task(bind=True, max_retries=None)
def deliver_envelope(self, envelope_id: int) -> None:
    """Retried after the delay the service says; the service counts the tries (in the database, so a
    redelivered task does not start again) and ends them at 1215."""
    delay = hub_envelope_deliver(envelope_id=envelope_id)
    if delay is not None:
        raise self.retry(countdown=delay)


@shared_task
def sweep_unanswered() -> None:
    hub_sweep_unanswered()


@shared_task
def sweep_stuck() -> None:
    hub_sweep_stuck()
