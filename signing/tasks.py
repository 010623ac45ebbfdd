"""The seal's beat task: warning of seals that end soon (``signing.warnings``)."""

from celery import shared_task

from signing.warnings import seals_warn as warn


@shared_task
def seals_warn() -> int:
    return len(warn())
