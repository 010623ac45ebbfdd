"""Exports: a period's documents as one ZIP with its index and a manifest that ``sha256sum -c``
checks, built in the background, asked for and downloaded through the API and the portal, on the
file store and on the S3 server. Another tenant's export is not found; a build whose worker died
starts over; memory stays bounded however many invoices the period holds."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import subprocess
import tracemalloc
import uuid
import zipfile
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from archive.handover import handover_open, handover_put, scratch_dir
from archive.models import Document
from archive.services import document_open, document_store
from archive.storage import ObjectMissing
from envelopes.models import Envelope
from exports.models import Export
from exports.services import STALE_AFTER, PeriodInvalid, export_build, export_request, exports_expire, exports_stale
from invoices.models import Invoice
from invoices.status import Status
from tests.clock import NOW, TODAY
from tests.exchange_fixtures import eager
from tests.factories import make_user
from tests.s3_fixtures import archive_store, file_archive, s3_archive, s3_endpoint  # noqa: F401  (fixtures)
from tests.test_api_invoices import auth, key
from tests.test_search import invoice

START = TODAY.replace(day=1) - dt.timedelta(days=60)
END = START + dt.timedelta(days=29)


def sealed(tenant, number: str, *, issue_date=START, direction=Invoice.Direction.OUTGOING, **columns) -> Invoice:
    """An invoice whose document is archived, as the pipeline leaves it."""
    row = invoice(tenant, number, name="Şişli Gıda Ltd. Şti.", issue_date=issue_date, direction=direction, **columns)
    kind = Document.Kind.INVOICE_SEALED if direction == Invoice.Direction.OUTGOING else Document.Kind.INVOICE_RECEIVED
    data = f"<Invoice><cbc:ID>{number}</cbc:ID><ETTN>{row.uuid}</ETTN>{'ğüşiöç' * 50}</Invoice>".encode()
    row.document = document_store(tenant=tenant, kind=kind, data=data, subject=("invoice", row.id))
    row.save(update_fields=["document"])
    return row


@pytest.fixture
def period_of_a(tenant_a, tenant_b):
    first = sealed(tenant_a, "AAA2026000000001", status=Status.DELIVERED, gib_code=1300)
    envelope = Envelope.objects.create(
        tenant=tenant_a, uuid=uuid.uuid4(), direction="out", type=Envelope.Type.SENDER, state=Envelope.State.DONE,
        sender_alias="urn:mail:gb@a.example", receiver_alias="urn:mail:pk@b.example", file_name="", data=b"PK-the-envelope", md5="x")
    envelope.file_name = f"{envelope.uuid}.zip"
    envelope.save()
    system = Envelope.objects.create(
        tenant=tenant_a, uuid=uuid.uuid4(), direction="in", type=Envelope.Type.SYSTEM, state=Envelope.State.RECEIVED,
        sender_alias="urn:mail:gb@gib", receiver_alias="urn:mail:gb@a.example", file_name="sr.zip", data=b"PK-gib-says-1300", md5="y",
        answers=envelope)
    second = sealed(tenant_a, "AAA2026000000002", issue_date=END, amount="2500.50", currency="EUR")
    Invoice.objects.filter(id__in=[first.id, second.id]).update(envelope=envelope)  # one envelope, exported once
    received = sealed(tenant_a, "CCC2026000000003", direction=Invoice.Direction.INCOMING, status=Status.ACCEPTED)
    Invoice.objects.filter(id=received.id).update(answer="KABUL", answer_uuid=uuid.uuid4(), answer_xml=b"<ApplicationResponse>KABUL</ApplicationResponse>")
    unsealed = invoice(tenant_a, "AAA2026000000004", name="Işık Elektrik", issue_date=START + dt.timedelta(days=3))  # not archived yet
    Invoice.objects.filter(id=unsealed.id).update(xml=b"<Invoice>as built</Invoice>")
    sealed(tenant_a, "AAA2026000000005", issue_date=START - dt.timedelta(days=1))  # the day before the period
    sealed(tenant_a, "AAA2026000000006", issue_date=END + dt.timedelta(days=1))  # the day after
    sealed(tenant_b, "BBB2026000000001")  # B's, in the period
    return {"envelope": envelope, "system": system}


def built(tenant, **period) -> Export:
    export = export_request(tenant=tenant, period_from=period.get("start", START), period_to=period.get("end", END), via="operator")
    return export_build(export_id=export.id)


def unzipped(export: Export, folder) -> zipfile.ZipFile:
    with handover_open(export.file_key) as stream:
        data = stream.read()
    assert len(data) == export.size and hashlib.sha256(data).hexdigest() == export.sha256
    (folder / "export.zip").write_bytes(data)
    return zipfile.ZipFile(io.BytesIO(data))


def test_an_export_holds_the_period_with_its_index_and_a_manifest_that_checks(archive_store, tenant_a, period_of_a, tmp_path):
    export = built(tenant_a)
    assert export.state == Export.State.READY and export.total == export.done == 4 and export.percent == 100
    archive = unzipped(export, tmp_path)
    names = set(archive.namelist())
    numbers = {name.split("/")[-1].split("_")[0] for name in names if name.startswith("invoices/")}
    assert numbers == {"AAA2026000000001", "AAA2026000000002", "CCC2026000000003", "AAA2026000000004"}
    envelope, system = period_of_a["envelope"], period_of_a["system"]
    assert {f"envelopes/{envelope.uuid}.zip", f"envelopes/{system.file_name}", "index.csv", "index.xlsx", "manifest.sha256"} <= names
    assert sum(name.startswith("envelopes/") for name in names) == 2  # the shared envelope once, with GİB's answer
    assert [name for name in names if name.startswith("answers/")] == [n for n in names if n.startswith("answers/CCC2026000000003_")]
    first = Invoice.objects.get(tenant=tenant_a, number="AAA2026000000001")
    with document_open(first.document) as stream:
        assert archive.read(f"invoices/outgoing/AAA2026000000001_{first.uuid}.xml") == stream.read()  # as archived

    archive.extractall(tmp_path / "unpacked")
    checked = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=tmp_path / "unpacked", capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(": OK") == len(names) - 1  # every file but the manifest itself

    rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    by_number = {row["number"]: row for row in rows}
    assert list(by_number) == ["AAA2026000000001", "CCC2026000000003", "AAA2026000000004", "AAA2026000000002"]  # by issue date
    assert by_number["AAA2026000000001"]["storage_key"] == first.document.key
    assert by_number["AAA2026000000001"]["sha256"] == first.document.sha256 and by_number["AAA2026000000001"]["gib_code"] == "1300"
    assert by_number["AAA2026000000002"]["payable_amount"] == "2500.50" and by_number["AAA2026000000002"]["currency"] == "EUR"
    assert by_number["CCC2026000000003"]["answer"] == "KABUL" and by_number["CCC2026000000003"]["counterparty"] == "Şişli Gıda Ltd. Şti."
    assert all(row["file"] == f"invoices/{'outgoing' if row['direction'] in ('Outgoing', 'Giden') else 'incoming'}/{row['number']}_{row['ettn']}.xml"
               for row in rows)  # each row names its invoice's file, answered or not
    assert by_number["AAA2026000000004"]["storage_key"] == ""  # from its row: not archived yet
    sheet = load_workbook(io.BytesIO(archive.read("index.xlsx")), read_only=True).active
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert table[0][:2] == ["number", "ettn"] and [row[0] for row in table[1:]] == list(by_number)
    assert Decimal(str(table[4][10])) == Decimal("2500.50")  # amounts are numbers in the sheet


def test_an_empty_period_is_an_empty_export_with_its_index(tenant_a, period_of_a, tmp_path):
    export = built(tenant_a, start=END + dt.timedelta(days=10), end=END + dt.timedelta(days=20))
    assert export.state == Export.State.READY and export.total == 0
    assert set(unzipped(export, tmp_path).namelist()) == {"index.csv", "index.xlsx", "manifest.sha256"}


@pytest.mark.parametrize("start, end", [(END, START), (START, START + dt.timedelta(days=5000))])
def test_a_period_that_runs_backwards_or_too_long_is_refused(tenant_a, start, end):
    with pytest.raises(PeriodInvalid):
        export_request(tenant=tenant_a, period_from=start, period_to=end, via="operator")
    assert not Export.objects.exists()


def test_a_build_whose_worker_died_is_claimed_again_and_starts_over(tenant_a, period_of_a, tmp_path):
    export = export_request(tenant=tenant_a, period_from=START, period_to=END, via="operator")
    left = scratch_dir() / "left.zip"
    left.write_bytes(b"half a zip")
    handover_put(key="1234567890/export-left-behind.zip", path=left)
    died_at = NOW - STALE_AFTER - dt.timedelta(seconds=1)
    Export.objects.filter(id=export.id).update(state=Export.State.BUILDING, started_at=died_at, done=3,
                                               file_key="1234567890/export-left-behind.zip")
    assert export_build(export_id=export.id, now=died_at + dt.timedelta(seconds=30)) is None  # still building, as far as anyone knows
    assert export.id in exports_stale(now=NOW)
    export = export_build(export_id=export.id, now=NOW)
    assert export.state == Export.State.READY and export.done == 4
    with pytest.raises(ObjectMissing):
        handover_open("1234567890/export-left-behind.zip")  # what the dead builder handed over is gone
    assert export_build(export_id=export.id, now=NOW) is None  # built: nothing to do again
    assert len(unzipped(export, tmp_path).namelist()) > 3


def test_an_export_past_its_days_is_removed_and_its_documents_stay(tenant_a, period_of_a, settings):
    export = built(tenant_a)
    documents = Document.objects.count()
    assert exports_expire(now=export.expires_at - dt.timedelta(seconds=1)) == 0
    assert exports_expire(now=export.expires_at + dt.timedelta(seconds=1)) == 1
    assert Export.objects.get(id=export.id).state == Export.State.EXPIRED and Document.objects.count() == documents
    with pytest.raises(ObjectMissing):
        handover_open(export.file_key)


# --- through the API and the portal ----------------------------------------------------------------


def test_the_api_asks_follows_and_downloads_an_export(client, tenant_a, tenant_b, period_of_a, django_capture_on_commit_callbacks):
    raw = key(tenant_a, "read")
    with eager(), django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/exports", {"period_from": START.isoformat(), "period_to": END.isoformat()},
                               content_type="application/json", **auth(raw))
    assert response.status_code == 202, response.content
    location = response["Location"]
    status = client.get(location, **auth(raw)).json()
    assert status["state"] == "ready" and status["percent"] == 100 and status["total"] == 4
    download = client.get(status["download"], **auth(raw))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    data = b"".join(download.streaming_content)
    assert hashlib.sha256(data).hexdigest() == status["sha256"] == download["Digest"].removeprefix("sha-256=")
    assert 'attachment; filename="1234567890_' in download["Content-Disposition"]
    assert [row["id"] for row in client.get("/api/v1/exports", **auth(raw)).json()["results"]] == [status["id"]]

    theirs = key(tenant_b, "read")  # B finds A's export by no id, and lists none
    assert client.get(location, **auth(theirs)).status_code == 404
    assert client.get(status["download"], **auth(theirs)).status_code == 404
    assert client.get("/api/v1/exports", **auth(theirs)).json()["results"] == []


def test_the_api_refuses_a_period_it_cannot_read(client, tenant_a):
    raw = key(tenant_a, "read")
    backwards = client.post("/api/v1/exports", {"period_from": END.isoformat(), "period_to": START.isoformat()},
                            content_type="application/json", **auth(raw))
    assert backwards.status_code == 400 and "period_to" in backwards.content.decode()
    assert client.post("/api/v1/exports", {"period_from": "yesterday"}, content_type="application/json", **auth(raw)).status_code == 400
    assert not Export.objects.exists()


def test_the_portal_asks_shows_progress_and_downloads(client_a, user_a, tenant_a, period_of_a, django_capture_on_commit_callbacks):
    url = reverse("portal:exports", args=[tenant_a.identifier])
    page = client_a.get(url)
    assert page.status_code == 200 and "Dönemi dışa aktar" in page.content.decode()
    with eager(), django_capture_on_commit_callbacks(execute=True):
        asked = client_a.post(url, {"period_from": START.isoformat(), "period_to": END.isoformat()})
    assert asked.status_code == 302
    export = Export.objects.get(tenant=tenant_a)
    assert export.requested_via == "portal" and export.requested_by == user_a
    listing = client_a.get(url).content.decode()
    assert "İndir" in listing and reverse("portal:export-download", args=[tenant_a.identifier, export.id]) in listing
    status = client_a.get(reverse("portal:export-status", args=[tenant_a.identifier, export.id])).json()
    assert status == {"id": export.id, "state": "ready", "label": "indirilmeye hazır", "percent": 100, "done": 4, "total": 4}
    download = client_a.get(reverse("portal:export-download", args=[tenant_a.identifier, export.id]))
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == export.sha256


def test_a_waiting_export_shows_its_bar(client_a, tenant_a, period_of_a):
    export = export_request(tenant=tenant_a, period_from=START, period_to=END, via="api")
    Export.objects.filter(id=export.id).update(state=Export.State.BUILDING, total=8, done=2)
    page = client_a.get(reverse("portal:exports", args=[tenant_a.identifier])).content.decode()
    assert '<progress max="100" value="25">' in page and "/status/" in page


def test_the_portal_refuses_a_backwards_period_beside_the_field(client_a, tenant_a):
    page = client_a.post(reverse("portal:exports", args=[tenant_a.identifier]), {"period_from": END.isoformat(), "period_to": START.isoformat()})
    assert page.status_code == 200 and "Dönem başlamadan bitiyor." in page.content.decode() and not Export.objects.exists()


def test_only_those_who_may_export_do_and_never_anothers(client_b, tenant_a, period_of_a):
    export = built(tenant_a)
    clerk = Client()
    clerk.force_login(make_user(tenant=tenant_a, role="clerk"))
    page = clerk.get(reverse("portal:exports", args=[tenant_a.identifier]))  # the downloads, without the period's form
    assert page.status_code == 200 and 'name="period_from"' not in page.content.decode()
    assert clerk.post(reverse("portal:exports", args=[tenant_a.identifier]), {"period_from": START, "period_to": END}).status_code == 403
    assert clerk.get(reverse("portal:export-download", args=[tenant_a.identifier, export.id])).status_code == 403
    for name in ("portal:export-status", "portal:export-download"):
        assert client_b.get(reverse(name, args=[tenant_a.identifier, export.id])).status_code == 404


# --- at scale ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_an_export_of_ten_thousand_invoices_checks_and_stays_within_its_memory(tenant_a, file_archive, tmp_path):
    """10,000 invoices of 20 kB (200 MB of documents): the ZIP's manifest checks with sha256sum -c, and
    what Python allocates while building it stays a small fraction of it."""
    rows, documents = [], []
    for n in range(10_000):
        data = f"<Invoice n='{n}'>".encode() + hashlib.sha256(str(n).encode()).hexdigest().encode() * 625
        sha256 = hashlib.sha256(data).hexdigest()
        documents.append(Document(tenant=tenant_a, kind=Document.Kind.INVOICE_SEALED, key=f"{tenant_a.identifier}/{sha256[:2]}/{sha256}",
                                  sha256=sha256, size=len(data), created_at=NOW, retain_until=TODAY.replace(year=TODAY.year + 10)))
        file_archive.put(documents[-1].key, data, sha256=sha256, media_type="application/xml", retain_until=NOW)
    Document.objects.bulk_create(documents, batch_size=1000)
    for n, document in enumerate(Document.objects.filter(tenant=tenant_a).order_by("id")):
        rows.append(Invoice(tenant=tenant_a, number=f"AAA2026{n:09d}", profile="TICARIFATURA", type_code="SATIS", issue_date=START,
                            currency="TRY", supplier_identifier=tenant_a.identifier, supplier_name="A", customer_identifier="4840847211",
                            customer_name="Şişli Gıda", tax_amount=Decimal("1.00"), payable_amount=Decimal("6.00"), xml=b"",
                            status=Status.DELIVERED, document=document))
    Invoice.objects.bulk_create(rows, batch_size=1000)
    export = export_request(tenant=tenant_a, period_from=START, period_to=START, via="operator")
    tracemalloc.start()
    export = export_build(export_id=export.id)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert export.state == Export.State.READY and export.total == 10_000
    assert peak < 40 * 1024 * 1024, f"{peak / 2**20:.0f} MB allocated at the peak"
    with handover_open(export.file_key) as stream, zipfile.ZipFile(stream) as archive:
        archive.extractall(tmp_path / "unpacked")
    checked = subprocess.run(["sha256sum", "--quiet", "-c", "manifest.sha256"], cwd=tmp_path / "unpacked", capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout[:2000]
    assert len((tmp_path / "unpacked" / "manifest.sha256").read_text().splitlines()) == 10_002
