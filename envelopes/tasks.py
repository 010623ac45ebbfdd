"""Celery tasks of the envelopes app beside the pipeline's: GİB's registered-user list, fetched from GİB
and imported."""

import logging

from celery import shared_task
from django.conf import settings

from envelopes.userlist import UserListError, UserListUnavailable, userlist_import

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
