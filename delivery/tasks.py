"""The deliveries' tasks: each takes an id and calls one service (``delivery.services``)."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from delivery import services


@shared_task
def deliveries_plan(invoice_id: int) -> int:
    """A sealed e-Arşiv invoice: its deliveries decided, and each sent once the decision commits."""
    planned = services.deliveries_plan(invoice_id=invoice_id)
    for delivery in planned:
        transaction.on_commit(lambda delivery_id=delivery.id: delivery_send.delay(delivery_id))
    return len(planned)


@shared_task
def delivery_send(delivery_id: int) -> str | None:
    delivery = services.delivery_send(delivery_id=delivery_id)
    return delivery.state if delivery is not None else None


@shared_task
def deliveries_due() -> dict[str, int]:
    """Beat: what is due is sent, lost plans are made, claims of dead workers released."""
    due = services.deliveries_due()
    for invoice_id in due.plan:
        deliveries_plan.delay(invoice_id)
    for delivery_id in due.send:
        delivery_send.delay(delivery_id)
    return {"send": len(due.send), "plan": len(due.plan), "released": due.released}
