"""e-Arşiv's tasks: each takes an id and calls one service (``earsiv.sending``); beat's tick finds
what is due. Running one twice changes nothing the second time: each step claims its report."""

from __future__ import annotations

from celery import shared_task

from earsiv import sending


@shared_task
def report_send(report_id: int) -> str:
    """Build (when its builder died first) and send one report."""
    return sending.report_send(report_id=report_id).state


@shared_task
def report_poll(report_id: int) -> str:
    return sending.report_poll(report_id=report_id).state


@shared_task
def earsiv_tick() -> dict[str, int]:
    """Beat: each tenant's ended days claimed into reports; what is due sent and polled."""
    send, poll = sending.earsiv_due()
    for report_id in send:
        report_send.delay(report_id)
    for report_id in poll:
        report_poll.delay(report_id)
    return {"send": len(send), "poll": len(poll)}
