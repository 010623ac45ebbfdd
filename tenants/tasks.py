"""Celery tasks of the tenants app: interfaces only, the work is in the services."""

from celery import shared_task

from tenants import credit_warnings, webhooks


@shared_task
def webhook_deliver(delivery_id: int) -> None:
    """The first post of a delivery, enqueued when the change it tells of commits. Its retries are
    not Celery's: they wait in the database, and beat's webhooks_due posts them (a lost message too)."""
    webhooks.webhook_deliver(delivery_id=delivery_id)


@shared_task
def webhooks_due() -> int:
    """Beat: post every webhook delivery that is due (safe with many workers)."""
    return webhooks.webhooks_due()


@shared_task
def credits_low_warn(tenant_id: int) -> None:
    """The owners told that the credits fell below the threshold, once the debit that crossed it commits."""
    credit_warnings.credits_low_tell(tenant_id=tenant_id)
