"""A bulk upload run by a real Celery worker, as production runs it, and the worker killed mid-way:
beat's sweeper gives the upload to the next worker, which goes on from the first file not done;
every file ends issued once, numbered without a gap."""

import time
from collections import Counter

import pytest

from invoices.models import Invoice
from tests.upload_fixtures import ubl_file, zipped
from tests.worker_fixtures import worker_exchange  # noqa: F401 (fixture)
from uploads.models import Upload, UploadFile
from uploads.tasks import upload_start

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
FILES = 150


def issued(upload) -> int:
    return UploadFile.objects.filter(upload=upload, state=UploadFile.State.ISSUED).count()


def test_an_upload_whose_worker_is_killed_goes_on_and_issues_each_file_once(worker_exchange, tenant_a):
    from django.db import transaction

    archive = zipped({f"{n:03d}.xml": ubl_file(tenant_a, n) for n in range(1, FILES + 1)})
    with transaction.atomic():
        upload = upload_start(tenant=tenant_a, user=None, sources=[("buyuk.zip", archive)])
    worker_exchange.wait(lambda: issued(upload) >= 10, seconds=60, every=0.05, what="10 files issued", state=lambda: issued(upload))
    worker_exchange.processes.kill_worker()
    at_kill = issued(upload)
    assert at_kill < FILES, "the kill came too late to test anything"
    assert Upload.objects.get(id=upload.id).state == Upload.State.RUNNING

    started = time.monotonic()
    worker_exchange.processes.start_worker()
    worker_exchange.wait(lambda: Upload.objects.get(id=upload.id).state == Upload.State.DONE, seconds=120,
                         what="the upload done after the kill", state=lambda: issued(upload))
    print(f"\nkilled at {at_kill}/{FILES} issued; done {time.monotonic() - started:.1f} s after a new worker started")

    assert issued(upload) == FILES
    invoices = Invoice.objects.filter(tenant=tenant_a, direction=Invoice.Direction.OUTGOING)
    assert Counter(invoices.values_list("uuid", flat=True)).most_common(1)[0][1] == 1 and invoices.count() == FILES
    numbers = sorted(int(number[-9:]) for number in invoices.values_list("number", flat=True))
    assert numbers == list(range(1, FILES + 1))  # gap-free: nothing numbered twice or lost
