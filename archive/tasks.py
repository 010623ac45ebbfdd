"""Beat's checks of the archive: a sample of objects read back every night, all of them every week."""

from celery import shared_task

from archive.services import archive_verify

NIGHTLY_SAMPLE = 500  # documents per tenant


@shared_task
def archive_verify_sample() -> int:
    return len(archive_verify(sample=NIGHTLY_SAMPLE).problems)


@shared_task
def archive_verify_full() -> int:
    return len(archive_verify().problems)
