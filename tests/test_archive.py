"""The archive: documents written once, content-addressed, hash-chained per tenant, kept until the end
of their year plus ten years, and checked by reading them back. Each test runs on the file-system
store and on a real S3-protocol server (moto's, over HTTP), where every object is put under Object
Lock in compliance mode."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from archive import storage
from archive.models import ArchiveCheck, Document, RetainedDocument
from archive.services import Writes, archive_verify, document_open, document_store, lock_until
from invoices.documents import invoice_xml
from tenants.models import Tenant
from tests.clock import NOW, YEAR
from tests.s3_fixtures import archive_store, file_archive, s3_archive, s3_endpoint  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)
KIND = Document.Kind.INVOICE_SEALED
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stored(tenant, data: bytes, subject: int = 1, kind: str = KIND) -> Document:
    return document_store(tenant=tenant, kind=kind, data=data, subject=("invoice", subject), now=NOW)


def read(document: Document) -> bytes:
    with document_open(document) as stream:
        return stream.read()


# --- tampering behind the archive's back, as someone with access to the store could -------------------


def overwrite(store, key: str, data: bytes) -> None:
    if isinstance(store, storage.FileStore):
        path = store.root / key
        os.chmod(path, 0o644)
        path.write_bytes(data)
    else:  # a new version over the locked one: the lock keeps the old version, not the key's current bytes
        store.client.put_object(Bucket=store.bucket, Key=key, Body=data, ChecksumAlgorithm="SHA256")


def remove(store, key: str) -> None:
    if isinstance(store, storage.FileStore):
        os.chmod(store.root / key, 0o644)
        (store.root / key).unlink()
    else:  # a delete marker: the locked version stays, the key answers "no such key"
        store.client.delete_object(Bucket=store.bucket, Key=key)


# --- storing ----------------------------------------------------------------------------------------


def test_a_document_is_stored_once_and_read_back_as_it_was(archive_store, tenant_a):
    document = stored(tenant_a, b"<Invoice>bir</Invoice>")

    assert read(document) == b"<Invoice>bir</Invoice>"
    assert (document.size, document.media_type, document.retain_until) == (22, "application/xml", dt.date(YEAR + 10, 12, 31))
    assert document.key == f"{tenant_a.identifier}/{document.sha256[:2]}/{document.sha256}"
    assert stored(tenant_a, b"<Invoice>bir</Invoice>") == document  # a retried step stores nothing twice
    assert (Document.objects.count(), list(archive_store.keys())) == (1, [document.key])


def test_the_same_bytes_for_another_document_share_one_object(archive_store, tenant_a):
    first, second = stored(tenant_a, b"<x/>", subject=1), stored(tenant_a, b"<x/>", subject=2)
    assert first != second and first.key == second.key
    assert list(archive_store.keys()) == [first.key]


def test_an_object_is_never_overwritten(archive_store, tenant_a):
    document = stored(tenant_a, b"<Invoice>bir</Invoice>")
    with pytest.raises(storage.ObjectConflict):
        archive_store.put(document.key, b"<Invoice>iki</Invoice>", sha256="0" * 64, media_type="application/xml",
                          retain_until=lock_until(document.retain_until))
    assert read(document) == b"<Invoice>bir</Invoice>"


def test_writes_started_together_come_back_in_their_order_and_a_failed_one_raises_at_its_place(archive_store, tenant_a):
    taken = stored(tenant_a, b"<Invoice>iki</Invoice>")
    overwrite(archive_store, taken.key, b"<Invoice>other bytes</Invoice>")
    writes = Writes(tenant=tenant_a, now=NOW)
    for data in [b"<Invoice>bir</Invoice>", b"<Invoice>iki</Invoice>", b"<Invoice>uc</Invoice>"]:
        writes.put(data)

    puts = writes.puts()
    first = next(puts)
    with pytest.raises(storage.ObjectConflict):
        next(puts)

    assert (writes.started, first.size, first.at) == (3, 22, NOW)
    with archive_store.open(first.key) as stream:
        assert stream.read() == b"<Invoice>bir</Invoice>"
    assert len(list(archive_store.keys())) == 3  # the one after the failure was written too: no row names it yet
    assert Document.objects.count() == 1  # writing records nothing


def test_the_file_store_leaves_its_files_read_only(file_archive, tenant_a):
    document = stored(tenant_a, b"<x/>")
    assert os.stat(file_archive.root / document.key).st_mode & 0o777 == 0o444
    assert not [path for path in file_archive.root.rglob(".*")]  # no temporary file left


def test_every_object_is_locked_in_compliance_mode_until_its_retain_until(s3_archive, tenant_a):
    document = stored(tenant_a, b"<x/>")
    client, bucket = s3_archive.client, s3_archive.bucket

    mode, until = s3_archive.retention(document.key)
    assert (mode, until) == ("COMPLIANCE", lock_until(document.retain_until))
    head = client.head_object(Bucket=bucket, Key=document.key)
    assert head["ServerSideEncryption"] == "AES256"
    assert client.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="AccessDenied"):  # the bucket itself refuses, whoever asks
        client.delete_object(Bucket=bucket, Key=document.key, VersionId=head["VersionId"])


def test_nothing_is_deleted_before_its_retain_until(archive_store, tenant_a, admin_client):
    document = stored(tenant_a, b"<x/>")
    with pytest.raises(storage.ObjectRetained):
        archive_store.delete(document.key, retain_until=lock_until(document.retain_until), now=NOW)
    with pytest.raises(RetainedDocument):
        document.delete()
    with pytest.raises(RetainedDocument):
        Document.objects.filter(tenant=tenant_a).delete()

    page = admin_client.get(f"/admin/archive/document/{document.id}/delete/", follow=True)
    assert "saklama süresi bitene kadar tutulmalıdır; hiçbir şey silinmedi" in page.content.decode()  # the admin speaks Turkish
    assert Document.objects.filter(id=document.id).exists() and read(document) == b"<x/>"


def test_a_bucket_without_object_lock_is_refused(s3_archive):
    client = s3_archive.client
    client.create_bucket(Bucket="unlocked", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    with pytest.raises(storage.StoreError, match="versioning is not enabled"):
        storage.bucket_check(client=client, bucket="unlocked")
    client.put_bucket_versioning(Bucket="unlocked", VersioningConfiguration={"Status": "Enabled"})
    with pytest.raises(storage.StoreError, match="Object Lock is not enabled"):
        storage.bucket_check(client=client, bucket="unlocked")


# --- the chain and the check ------------------------------------------------------------------------


def test_each_tenants_documents_form_one_chain(archive_store, tenant_a, tenant_b):
    a1, b1, a2 = stored(tenant_a, b"<a1/>"), stored(tenant_b, b"<b1/>"), stored(tenant_a, b"<a2/>")
    assert (a1.previous_chain, b1.previous_chain, a2.previous_chain) == ("", "", a1.chain)
    assert archive_verify().clean


def test_an_untouched_archive_verifies_clean(archive_store, tenant_a):
    for number in range(5):
        stored(tenant_a, f"<Invoice>{number}</Invoice>".encode(), subject=number)
    out = io.StringIO()
    call_command("archive_verify", "--tenant", tenant_a.identifier, stdout=out, lang="en")
    assert "5 documents read; the archive is intact." in out.getvalue()
    assert ArchiveCheck.objects.get().problems == []


def test_a_flipped_byte_a_deleted_object_and_two_swapped_are_each_named(archive_store, tenant_a):
    documents = [stored(tenant_a, f"<Invoice>{number}</Invoice>".encode(), subject=number) for number in range(5)]
    flipped, deleted, one, other = documents[0], documents[1], documents[2], documents[3]
    overwrite(archive_store, flipped.key, read(flipped).replace(b"0", b"1"))
    remove(archive_store, deleted.key)
    first, second = read(one), read(other)
    overwrite(archive_store, one.key, second)
    overwrite(archive_store, other.key, first)

    result = archive_verify(tenant=tenant_a)

    found = {problem.document: problem.what for problem in result.problems}
    assert set(found) == {flipped.id, deleted.id, one.id, other.id}  # documents[4] is untouched
    assert "missing" in found[deleted.id] and "changed" in found[flipped.id] and "changed" in found[one.id]
    with pytest.raises(CommandError, match="4 problem"):
        call_command("archive_verify", stdout=io.StringIO(), lang="en")
    assert len(ArchiveCheck.objects.order_by("-id").first().problems) == 4


def test_a_row_changed_or_dropped_breaks_the_chain_from_there(archive_store, tenant_a):
    documents = [stored(tenant_a, f"<Invoice>{number}</Invoice>".encode(), subject=number) for number in range(4)]
    Document.objects.filter(id=documents[1].id).update(subject_id=99)  # said to belong to another invoice
    with connection.cursor() as cursor:  # dropped by hand, past the model's refusal
        cursor.execute(f"DELETE FROM {Document._meta.db_table} WHERE id = %s", [documents[2].id])

    problems = archive_verify(tenant=tenant_a).problems

    assert [(p.document, "out of chain" in p.what) for p in problems] == [(documents[1].id, True), (documents[3].id, True)]


def test_a_sample_reads_that_many_objects_and_still_follows_the_whole_chain(archive_store, tenant_a):
    for number in range(6):
        stored(tenant_a, f"<Invoice>{number}</Invoice>".encode(), subject=number)
    result = archive_verify(sample=2)
    assert (result.checked, result.clean) == (2, True)


def test_beat_checks_a_sample_nightly_and_everything_weekly(settings):
    import archive.tasks  # noqa: F401  (what a worker finds by autodiscovery)
    from integrator.celery import app

    sample, full = settings.CELERY_BEAT_SCHEDULE["archive-verify-sample"], settings.CELERY_BEAT_SCHEDULE["archive-verify-full"]
    assert sample["task"] in app.tasks and full["task"] in app.tasks


# --- a worker killed between the object and its row -------------------------------------------------


STORE_IN_A_CHILD = """
import django; django.setup()
from archive.services import document_store
from tenants.models import Tenant
document_store(tenant=Tenant.objects.get(identifier="{vkn}"), kind="invoice_sealed", data=b"<Invoice>k</Invoice>", subject=("invoice", 7))
"""


def test_a_worker_killed_between_the_object_and_its_row_leaves_no_row_and_the_next_try_completes(archive_store, tenant_a, settings):
    # The child stores: it writes the object, then waits for the tenant's row, which this test holds
    # locked; it is killed there. No row may name an object that is not there, and trying again works.
    from tests.worker_fixtures import database_url

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "integrator.settings", "DATABASE_URL": database_url(),
           **{name: str(getattr(settings, name)) for name in ("ARCHIVE_STORE", "ARCHIVE_DIR", "ARCHIVE_S3_BUCKET", "ARCHIVE_S3_ENDPOINT_URL",
                                                            "ARCHIVE_S3_REGION", "ARCHIVE_S3_ACCESS_KEY_ID", "ARCHIVE_S3_SECRET_ACCESS_KEY")}}
    with transaction.atomic():
        Tenant.objects.select_for_update().get(id=tenant_a.id)
        child = subprocess.Popen([sys.executable, "-c", STORE_IN_A_CHILD.format(vkn=tenant_a.identifier)], cwd=CHECKOUT, env=env,
                                 start_new_session=True)
        deadline = time.monotonic() + 30
        while not list(archive_store.keys()):
            assert child.poll() is None and time.monotonic() < deadline, "the child did not get as far as the object"
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    assert not Document.objects.exists()

    document = stored(tenant_a, b"<Invoice>k</Invoice>", subject=7)
    assert read(document) == b"<Invoice>k</Invoice>" and Document.objects.count() == 1
    assert archive_verify().clean


# --- the pipeline's documents -----------------------------------------------------------------------


def test_an_invoice_is_archived_as_built_then_as_sealed_and_names_the_current_one(archive_store, settings, tmp_path, gib_package,
                                                                                  tenant_a, seal_a, test_root):
    from invoices.services import invoice_issue
    from invoices.steps import invoice_seal, invoice_validate
    from tests.exchange_fixtures import equip, today_payload, trust

    trust(settings, tmp_path, test_root)
    equip(tenant_a, seal_a, test_root)
    invoice = invoice_issue(tenant=tenant_a, data=today_payload())
    built = invoice_xml(invoice)
    invoice_validate(invoice_id=invoice.id)
    sealed = invoice_seal(invoice_id=invoice.id)
    assert invoice_validate(invoice_id=invoice.id) is None and invoice_seal(invoice_id=invoice.id) is None  # run again: nothing

    first, second = Document.objects.filter(subject_type="invoice", subject_id=invoice.id).order_by("id")
    assert (first.kind, read(first)) == (Document.Kind.INVOICE_BUILT, built)
    assert (second.kind, read(second), second.previous_chain) == (Document.Kind.INVOICE_SEALED, invoice_xml(sealed), first.chain)
    assert sealed.document == second and sealed.xml_sha256 == second.sha256
    assert archive_verify().clean
