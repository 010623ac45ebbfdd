"""Celery tasks of the envelopes app: interfaces only, the work is in the services."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from envelopes import answers, polling, sending, sweeper
from envelopes.codes import Action
from envelopes.gib.client import GibFault, GibUnavailable
from envelopes.userlist import UserListError, UserListUnavailable, userlist_import
from invoices.tasks import backoff
from tenants.ledger import InsufficientCredits
from tenants.models import Tenant

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=3, default_retry_delay=15 * 60)
def userlist_refresh(self, sources: list[str] | None = None) -> None:
    """Import each of GİB's lists named by settings.GIB_USERLIST_SOURCE (beat runs this).

    Idempotent: importing a list again writes nothing that is already so. A source that cannot be
    fetched is retried, alone, in 15 minutes; a list that is broken is recorded and left for the next
    scheduled run, since fetching it again at once would give the same list.
    """
    unavailable = []
    for source in sources if sources is not None else settings.GIB_USERLIST_SOURCE:
        try:
            userlist_import(source=source)
        except UserListUnavailable:
            unavailable.append(source)
        except UserListError:
            logger.exception("user list: not imported")  # the message names the source, without credentials
    if unavailable:
        raise self.retry(kwargs={"sources": unavailable})


@shared_task
def envelopes_pack(tenant_id: int) -> None:
    for envelope in sending.envelopes_pack(tenant=Tenant.objects.get(id=tenant_id)):
        transaction.on_commit(lambda envelope_id=envelope.id: envelope_send.delay(envelope_id))


@shared_task(bind=True, max_retries=12)
def envelope_send(self, envelope_id: int) -> None:
    """GİB unreachable or failing on its side (2000, 2002, 2003, 2005): the same zip again, later.
    A fault that needs a fix or a person is recorded; so is a tenant out of credits, whom the sweeper
    tries again once there are credits."""
    try:
        sending.envelope_send(envelope_id=envelope_id)
    except GibUnavailable:
        raise self.retry(countdown=backoff(self.request.retries)) from None
    except GibFault as fault:
        if fault.entry.action == Action.RESEND:
            raise self.retry(countdown=backoff(self.request.retries)) from None
        sending.envelope_send_failed(envelope_id=envelope_id, fault=fault)
    except InsufficientCredits as exc:
        sending.envelope_held(envelope_id=envelope_id, reason=str(exc))


@shared_task
def envelopes_poll() -> int:
    """Beat: poll GİB for every envelope that is due (safe with many workers)."""
    return polling.poll_due()


@shared_task
def system_response_send(envelope_id: int) -> None:
    envelope = answers.system_response_send(envelope_id=envelope_id)
    if envelope is not None:
        transaction.on_commit(lambda: envelope_send.delay(envelope.id))


@shared_task
def pipeline_sweep() -> dict:
    """Beat: re-enqueue what waits too long in a state a task should have moved it from (a lost
    message, a worker killed mid-task), and let 8-day-old unanswered invoices count as accepted."""
    swept = sweeper.sweep()
    swept["lapsed"] = answers.answers_lapse()
    return swept
