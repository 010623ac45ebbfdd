"""Bulk upload in the portal: many UBL-TR files, a ZIP of them or the Excel template, issued one by
one in the background down the API's way, each refused alone with its reason; duplicates refused;
hostile ZIPs and XML refused with a clear message and nothing issued; progress, the report, a run that
dies and goes on, who may upload, and tenants kept apart."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from invoices.models import Invoice
from invoices.status import Status
from tests.clock import NOW, TODAY
from tests.exchange_fixtures import eager, exchange, poll_all  # noqa: F401 (fixture)
from tests.factories import make_user
from tests.invoice_payloads import CUSTOMER
from tests.upload_fixtures import changed, ubl_file, zipped
from uploads import services
from uploads.models import Upload, UploadFile

pytestmark = pytest.mark.django_db(transaction=True)
QUANTITY = "cac:InvoiceLine/cbc:InvoicedQuantity"


def uploads_url(tenant) -> str:
    return reverse("portal:uploads", args=[tenant.identifier])


def send(client, tenant, *files: tuple[str, bytes]):
    """Upload *files* through the portal, the job run in-process once the request commits."""
    with eager():
        return client.post(uploads_url(tenant), {"files": [_named(name, data) for name, data in files]})


def _named(name: str, data: bytes):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def last_upload(tenant) -> Upload:
    return Upload.objects.filter(tenant=tenant).latest("id")


def outcomes(upload: Upload) -> list[tuple[str, str]]:
    return list(UploadFile.objects.filter(upload=upload).order_by("position").values_list("name", "state"))


@pytest.fixture
def clerk_a(client, tenant_a, gib_package):
    client.force_login(make_user(tenant=tenant_a, role="clerk"))
    return client


# --- a ZIP of many ---------------------------------------------------------------------------


def test_a_zip_of_20_with_2_bad_ends_at_18_issued_and_2_refused_with_their_reasons(client, exchange, tenant_a, tenant_b):
    client.force_login(make_user(tenant=tenant_a, role="clerk"))
    files = {f"fatura-{n:02d}.xml": ubl_file(tenant_a, n) for n in range(1, 21)}
    files["fatura-05.xml"] = changed(files["fatura-05.xml"], QUANTITY, drop_attribute="unitCode")  # GİB's rule
    files["fatura-12.xml"] = changed(files["fatura-12.xml"], "cac:LegalMonetaryTotal/cbc:PayableAmount", text="1.00")  # ours
    answer = send(client, tenant_a, ("ay-sonu.zip", zipped(files)))

    upload = last_upload(tenant_a)
    assert answer.status_code == 302 and answer["Location"] == reverse("portal:upload", args=[tenant_a.identifier, upload.id])
    status = client.get(reverse("portal:upload-status", args=[tenant_a.identifier, upload.id])).json()
    assert (status["state"], status["total"], status["percent"]) == ("done", 20, 100)
    assert status["counts"] == {"waiting": 0, "checked": 0, "issued": 18, "moved_in": 0, "refused": 2, "duplicates": 0}
    refused = {file.name: file.errors for file in UploadFile.objects.filter(upload=upload, state="refused")}
    assert set(refused) == {"ay-sonu.zip/fatura-05.xml", "ay-sonu.zip/fatura-12.xml"}
    (gib,) = refused["ay-sonu.zip/fatura-05.xml"]
    assert gib["layer"] == "gib" and gib["rule"] == "InvoicedQuantityCheck" and gib["xpath"].endswith("cbc:InvoicedQuantity[1]")
    assert gib["line"] > 1 and gib["message_tr"] and gib["message_tr"] != gib["message_en"]
    (ours,) = refused["ay-sonu.zip/fatura-12.xml"]
    assert ours["rule"] == "PLT-TOTAL-PAYABLE" and "Ödenecek tutar" in ours["message_tr"]

    issued = Invoice.objects.filter(tenant=tenant_a, direction=Invoice.Direction.OUTGOING)
    assert issued.count() == 18 and sorted(issued.values_list("number", flat=True))[-1].endswith("000000018")
    poll_all()
    assert set(issued.values_list("status", flat=True)) <= {Status.SENT, Status.DELIVERED}  # sealed and sent through the hub
    assert Invoice.objects.filter(tenant=tenant_b, direction=Invoice.Direction.INCOMING).count() > 0

    page = client.get(answer["Location"]).content.decode()  # reloaded: the same from the database
    assert 'id="upload-progress" max="100" value="100"' in page and 'id="count-issued">18<' in page
    assert "InvoicedQuantityCheck" in page and "PLT-TOTAL-PAYABLE" in page and "satır" in page
    assert UploadFile.objects.filter(upload=upload).exclude(data=None).count() == 0  # the bytes go once the upload is done


def test_the_same_zip_twice_issues_nothing_new(clerk_a, tenant_a):
    archive = zipped({f"{n}.xml": ubl_file(tenant_a, n) for n in range(1, 4)})
    send(clerk_a, tenant_a, ("a.zip", archive))
    assert Invoice.objects.filter(tenant=tenant_a).count() == 3
    send(clerk_a, tenant_a, ("a.zip", archive))
    again = last_upload(tenant_a)
    assert Invoice.objects.filter(tenant=tenant_a).count() == 3
    assert [state for _name, state in outcomes(again)] == ["refused"] * 3
    for file in UploadFile.objects.filter(upload=again):
        assert file.duplicate and file.errors[0]["rule"] == "duplicate" and file.uuid in file.errors[0]["message_en"]


def test_a_file_whose_ettn_was_issued_already_is_a_duplicate_and_the_others_go_on(clerk_a, tenant_a):
    first = ubl_file(tenant_a, 1)
    send(clerk_a, tenant_a, ("bir.xml", first))
    send(clerk_a, tenant_a, ("bir-yine.xml", first), ("iki.xml", ubl_file(tenant_a, 2)), ("bir-kopya.xml", first))
    assert outcomes(last_upload(tenant_a)) == [("bir-yine.xml", "refused"), ("iki.xml", "issued"), ("bir-kopya.xml", "refused")]
    assert Invoice.objects.filter(tenant=tenant_a).count() == 2
    counts = services.upload_counts(last_upload(tenant_a))
    assert (counts["issued"], counts["refused"], counts["duplicates"]) == (1, 2, 2)


def test_an_invoice_of_another_supplier_is_refused_with_the_reason(clerk_a, tenant_a, tenant_b):
    send(clerk_a, tenant_a, ("b.xml", ubl_file(tenant_b, 1)))
    (file,) = UploadFile.objects.filter(upload=last_upload(tenant_a))
    assert file.state == "refused" and file.errors[0]["rule"] == "supplier_mismatch"
    assert "4840847211" in file.errors[0]["message_tr"] and Invoice.objects.count() == 0


# --- bad uploads: refused, each with a clear message, nothing issued, never a 500 ---------------


def _bomb() -> bytes:
    return zipped({"bomba.xml": b"<a>" + b" " * (10 * 1024 * 1024) + b"</a>"})


def _many() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for n in range(10_000):
            archive.writestr(f"{n}.xml", b"")
    return out.getvalue()


XXE = b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]><Invoice>&x;</Invoice>'
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>')
BAD = {
    "zip bomb": (lambda: ("bomba.zip", _bomb()), "compressed more than 100 times"),
    "10,000 entries": (lambda: ("cok.zip", _many()), "it holds 10000 files; at most 5000"),
    "path outside": (lambda: ("yol.zip", zipped({"../../etc/passwd": b"root:x:0:0"})), "its name leads outside the ZIP"),
    "nested zip": (lambda: ("ic-ice.zip", zipped({"ic.zip": zipped({"a.xml": b"<a/>"})})), "an archive inside the ZIP is not opened"),
    "XXE": (lambda: ("xxe.xml", XXE), "DOCTYPE"),
    "billion laughs": (lambda: ("lol.xml", LAUGHS), "DOCTYPE"),
    "not UBL": (lambda: ("not.xml", b"<?xml version='1.0'?><order><id>1</id></order>"), "order"),
    "broken XML": (lambda: ("broken.xml", b"<Invoice><cbc:ID>"), "not well-formed"),
    "empty": (lambda: ("bos.xml", b""), "The file is empty."),
    "not a zip": (lambda: ("sahte.zip", b"PK\x03\x04 not really"), "it is not a ZIP file"),
    "not a sheet": (lambda: ("sahte.xlsx", zipped({"a.txt": b"x"})), "not an Excel workbook"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_upload_is_refused_with_a_clear_message_and_issues_nothing(clerk_a, tenant_a, case):
    make, expected = BAD[case]
    name, data = make()
    answer = send(clerk_a, tenant_a, (name, data))
    assert answer.status_code == 302
    upload = last_upload(tenant_a)
    files = list(UploadFile.objects.filter(upload=upload))
    assert files and all(file.state == "refused" for file in files)
    assert any(expected in error["message_en"] for file in files for error in file.errors), [f.errors for f in files]
    assert all(error["message_tr"] for file in files for error in file.errors)
    assert Invoice.objects.count() == 0
    assert clerk_a.get(answer["Location"]).status_code == 200


def test_a_bad_entry_refuses_itself_and_the_zip_goes_on(clerk_a, tenant_a):
    archive = zipped({"iyi.xml": ubl_file(tenant_a, 1), "../kotu.xml": ubl_file(tenant_a, 2), "xxe.xml": XXE})
    send(clerk_a, tenant_a, ("karisik.zip", archive))
    assert outcomes(last_upload(tenant_a)) == [("karisik.zip/iyi.xml", "issued"), ("karisik.zip/../kotu.xml", "refused"),
                                               ("karisik.zip/xxe.xml", "refused")]
    reasons = {file.name: file.errors[0] for file in UploadFile.objects.filter(upload=last_upload(tenant_a), state="refused")}
    assert "ZIP" in reasons["karisik.zip/../kotu.xml"]["message_tr"] and reasons["karisik.zip/xxe.xml"]["layer"] == "parse"


def test_more_files_than_an_upload_takes_are_refused_beside_the_field(clerk_a, tenant_a, settings, monkeypatch):
    monkeypatch.setattr(services, "MAX_FILES", 2)
    answer = send(clerk_a, tenant_a, *[(f"{n}.xml", ubl_file(tenant_a, n)) for n in range(3)])
    assert answer.status_code == 200 and "Tek seferde en çok 2 fatura yüklenebilir" in answer.content.decode()
    assert Upload.objects.count() == 0 and Invoice.objects.count() == 0


# --- the Excel template ------------------------------------------------------------------------


def test_the_template_round_trip_issues_two_invoices_of_three_lines(clerk_a, tenant_a):
    answer = clerk_a.get(reverse("portal:upload-template", args=[tenant_a.identifier]))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    keys = [value.rsplit("[", 1)[1].rstrip("]") for value in header]
    example = {key: cell.value for key, cell in zip(keys, sheet[2])}
    assert example["issue_date"] == TODAY.isoformat() and "Fatura anahtarı [invoice_key]" in header
    sheet.delete_rows(2)
    for key in ("A-1", "A-2"):
        for n in range(1, 4):
            sheet.append([{**example, "invoice_key": key, "issue_date": TODAY, "line_name": f"{key} kalem {n}", "line_quantity": n,
                           "line_unit_price": 10.5 * n}.get(k, "") for k in keys])
    filled = io.BytesIO()
    book.save(filled)

    send(clerk_a, tenant_a, ("faturalar.xlsx", filled.getvalue()))
    upload = last_upload(tenant_a)
    assert [state for _name, state in outcomes(upload)] == ["issued", "issued"]
    invoices = Invoice.objects.filter(tenant=tenant_a).order_by("number")
    assert [len(invoice.payload["lines"]) for invoice in invoices] == [3, 3]
    assert invoices[0].payload["lines"][2] == {"name": "A-1 kalem 3", "quantity": "3", "unit": "MTR", "unit_price": "31.5", "kdv_rate": "20"}
    assert invoices[0].customer_identifier == CUSTOMER["vkn"]


def test_a_sheet_invoice_that_does_not_pass_is_refused_beside_its_field(clerk_a, tenant_a):
    answer = clerk_a.get(reverse("portal:upload-template", args=[tenant_a.identifier]))
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book.active
    keys = [cell.value.rsplit("[", 1)[1].rstrip("]") for cell in sheet[1]]
    row = {key: cell.value for key, cell in zip(keys, sheet[2])}
    sheet.append([{**row, "invoice_key": "2", "customer_vkn_tckn": "123"}.get(k, "") for k in keys])
    sheet.append([{**row, "invoice_key": "3", "currency": "EUR"}.get(k, "") for k in keys])
    sheet.append([{**row, "invoice_key": "3", "currency": "USD"}.get(k, "") for k in keys])
    filled = io.BytesIO()
    book.save(filled)
    send(clerk_a, tenant_a, ("f.xlsx", filled.getvalue()))
    files = list(UploadFile.objects.filter(upload=last_upload(tenant_a)).order_by("position"))
    assert [file.state for file in files] == ["issued", "refused", "refused"]
    assert "customer" in files[1].errors[0]["message_en"] and "currency" in files[2].errors[0]["message_en"]
    assert "#3" in files[1].name


def _sheet(client, tenant, *rows: dict) -> bytes:
    """The portal's template with *rows* (over its example row) in place of the example."""
    book = load_workbook(io.BytesIO(client.get(reverse("portal:upload-template", args=[tenant.identifier])).content))
    sheet = book.active
    keys = [cell.value.rsplit("[", 1)[1].rstrip("]") for cell in sheet[1]]
    example = {key: cell.value for key, cell in zip(keys, sheet[2])}
    sheet.delete_rows(2)
    for row in rows:
        sheet.append([{**example, **row}.get(key, "") for key in keys])
    filled = io.BytesIO()
    book.save(filled)
    return filled.getvalue()


def test_a_sheet_with_ettns_sent_again_issues_nothing_new(clerk_a, tenant_a):
    ettn = "5B0F2C1E-7A44-4E2B-9C3D-2F1A0B9C8D7E"
    data = _sheet(clerk_a, tenant_a, {"invoice_key": "1", "ettn": ettn.lower()}, {"invoice_key": "2", "ettn": "yok"})
    send(clerk_a, tenant_a, ("s.xlsx", data))
    first, bad = UploadFile.objects.filter(upload=last_upload(tenant_a)).order_by("position")
    assert first.state == "issued" and first.uuid == ettn and str(Invoice.objects.get(tenant=tenant_a).uuid).upper() == ettn
    assert bad.state == "refused" and bad.errors[0]["rule"] == "ettn_invalid"
    assert "yok" in bad.errors[0]["message_tr"] and bad.errors[0]["message_tr"] != bad.errors[0]["message_en"]
    send(clerk_a, tenant_a, ("s.xlsx", data))
    again = UploadFile.objects.filter(upload=last_upload(tenant_a)).order_by("position").first()
    assert again.state == "refused" and again.duplicate and Invoice.objects.filter(tenant=tenant_a).count() == 1


def test_a_reason_is_kept_in_turkish_and_in_english(clerk_a, tenant_a, tenant_b):
    send(clerk_a, tenant_a, ("s.xlsx", _sheet(clerk_a, tenant_a, {"invoice_key": "1", "line_kdv_rate": "250"})),
         ("b.xml", ubl_file(tenant_b, 1)))
    sheet, other = UploadFile.objects.filter(upload=last_upload(tenant_a)).order_by("position")
    for file, rule in ((sheet, "payload_invalid"), (other, "supplier_mismatch")):
        (error,) = file.errors
        assert error["rule"] == rule and error["message_tr"] != error["message_en"], error
    assert "100" in sheet.errors[0]["message_en"] and "lines" in sheet.errors[0]["message_en"]


def test_many_files_go_in_one_request(clerk_a, tenant_a):
    answer = send(clerk_a, tenant_a, *[(f"{n}.xml", b"") for n in range(150)])  # more than Django's default 100
    assert answer.status_code == 302 and last_upload(tenant_a).total == 150


# --- progress, the report, and a run that dies ---------------------------------------------------


def test_the_report_downloads_as_csv_and_xlsx_with_rule_xpath_and_line(clerk_a, tenant_a):
    bad = changed(ubl_file(tenant_a, 2), QUANTITY, drop_attribute="unitCode")
    send(clerk_a, tenant_a, ("iyi.xml", ubl_file(tenant_a, 1)), ("kotu.xml", bad))
    upload = last_upload(tenant_a)
    answer = clerk_a.get(reverse("portal:upload-report-csv", args=[tenant_a.identifier, upload.id]), HTTP_ACCEPT_LANGUAGE="tr")
    assert answer["Content-Type"].startswith("text/csv") and "attachment" in answer["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Dosya", "Sonuç"]
    issued = Invoice.objects.get(tenant=tenant_a)
    assert rows[1][:4] == ["iyi.xml", "düzenlendi", issued.number, str(issued.uuid).upper()]
    assert rows[2][0:2] == ["kotu.xml", "reddedildi"] and rows[2][4] == "InvoicedQuantityCheck" and rows[2][5].startswith("/")
    assert int(rows[2][6]) > 1 and rows[2][7]

    book = load_workbook(io.BytesIO(clerk_a.get(reverse("portal:upload-report-xlsx", args=[tenant_a.identifier, upload.id])).content))
    cells = [[cell.value for cell in row] for row in book.active.iter_rows()]
    assert [row[:2] for row in cells[1:]] == [[row[0], row[1]] for row in rows[1:]] and cells[2][4] == "InvoicedQuantityCheck"


def test_a_waiting_upload_shows_its_bar_and_the_status_view_follows_it(clerk_a, tenant_a):
    upload = services.upload_create(tenant=tenant_a, user=None, sources=[("a.xml", ubl_file(tenant_a, 1)), ("b.xml", b"")])
    page = clerk_a.get(reverse("portal:upload", args=[tenant_a.identifier, upload.id])).content.decode()
    assert 'id="upload-progress" max="100" value="50"' in page and "/status/" in page and 'data-state="waiting"' in page
    status = clerk_a.get(reverse("portal:upload-status", args=[tenant_a.identifier, upload.id])).json()
    assert (status["state"], status["done"], status["counts"]["waiting"], status["counts"]["refused"]) == ("waiting", 1, 1, 1)
    assert [file["state"] for file in status["files"]] == ["waiting", "refused"]


def test_a_run_whose_worker_died_is_taken_up_and_issues_nothing_twice(tenant_a, gib_package):
    sources = [(f"{n}.xml", ubl_file(tenant_a, n)) for n in range(1, 5)]
    upload = services.upload_create(tenant=tenant_a, user=None, sources=sources)
    died_at = timezone.now()
    Upload.objects.filter(id=upload.id).update(state=Upload.State.RUNNING, started_at=died_at, beat_at=died_at)
    first, second, *_rest = UploadFile.objects.filter(upload=upload).order_by("position")
    services.file_process(upload=upload, file=first)  # the dead worker issued the first file
    draft = services._checked(tenant_a, second)  # and checked the second, then died while issuing it
    UploadFile.objects.filter(id=second.id).update(state=UploadFile.State.CHECKED)

    assert services.upload_run(upload_id=upload.id, now=died_at + dt.timedelta(seconds=30)) is None  # still beating, as far as anyone knows
    assert services.uploads_stale(now=died_at + dt.timedelta(seconds=30)) == []
    later = died_at + services.stale_after() + dt.timedelta(seconds=1)
    assert services.uploads_stale(now=later) == [upload.id]
    done = services.upload_run(upload_id=upload.id, now=later)
    assert done.state == Upload.State.DONE and done.finished_at
    assert [state for _name, state in outcomes(upload)] == ["issued"] * 4
    assert Invoice.objects.filter(tenant=tenant_a).count() == 4
    assert Invoice.objects.filter(tenant=tenant_a, uuid=draft.document.uuid).count() == 1
    assert services.upload_run(upload_id=upload.id, now=later) is None  # done: nothing to do again


def test_the_sweeper_runs_an_upload_nobody_started(tenant_a, gib_package):
    from uploads.tasks import uploads_sweep

    upload = services.upload_create(tenant=tenant_a, user=None, sources=[("a.xml", ubl_file(tenant_a, 1))])
    Upload.objects.filter(id=upload.id).update(created_at=NOW - dt.timedelta(hours=1))
    with eager():
        assert uploads_sweep() == 1
    assert Upload.objects.get(id=upload.id).state == Upload.State.DONE and Invoice.objects.count() == 1


# --- who may upload, and whose uploads are seen ------------------------------------------------------


def test_a_clerk_uploads_and_a_viewer_may_not(client, tenant_a, gib_package):
    client.force_login(make_user(tenant=tenant_a, role="viewer"))
    outgoing = client.get(reverse("portal:invoices", args=[tenant_a.identifier])).content.decode()
    assert uploads_url(tenant_a) not in outgoing
    assert client.get(uploads_url(tenant_a)).status_code == 403
    assert send(client, tenant_a, ("a.xml", ubl_file(tenant_a, 1))).status_code == 403
    assert client.get(reverse("portal:upload-template", args=[tenant_a.identifier])).status_code == 403
    assert Upload.objects.count() == 0 and Invoice.objects.count() == 0

    client.force_login(make_user(tenant=tenant_a, role="clerk"))
    outgoing = client.get(reverse("portal:invoices", args=[tenant_a.identifier])).content.decode()
    assert f'id="nav-uploads" href="{uploads_url(tenant_a)}"' in outgoing
    page = client.get(uploads_url(tenant_a)).content.decode()
    assert 'id="upload-files"' in page and 'id="upload-submit"' in page and "Toplu yükleme" in page
    assert send(client, tenant_a, ("a.xml", ubl_file(tenant_a, 1))).status_code == 302
    assert Invoice.objects.count() == 1


def test_tenant_b_sees_none_of_as_uploads_by_any_id(client, tenant_a, tenant_b, gib_package):
    upload = services.upload_create(tenant=tenant_a, user=None, sources=[("a-gizli.xml", ubl_file(tenant_a, 1))])
    client.force_login(make_user(tenant=tenant_b, role="owner"))
    for name in ("portal:upload", "portal:upload-status", "portal:upload-report-csv", "portal:upload-report-xlsx"):
        assert client.get(reverse(name, args=[tenant_b.identifier, upload.id])).status_code == 404, name
        assert client.get(reverse(name, args=[tenant_a.identifier, upload.id])).status_code == 404, name
    assert "a-gizli.xml" not in client.get(uploads_url(tenant_b)).content.decode()
    assert client.get(uploads_url(tenant_a)).status_code == 404


def test_an_uploaded_invoice_goes_down_the_apis_way(clerk_a, tenant_a):
    ettn = "8E0A4A4C-3E1A-4C6A-9B1E-8C7A0D5E2F11"
    send(clerk_a, tenant_a, ("a.xml", ubl_file(tenant_a, 7, ettn=ettn)))
    invoice = Invoice.objects.get(tenant=tenant_a)
    assert str(invoice.uuid).upper() == ettn and invoice.number.startswith("AAA") and invoice.number != f"ERP{TODAY.year}000000007"
    moves = list(invoice.status_changes.order_by("id").values_list("to_status", flat=True))
    assert moves[:2] == [Status.ISSUED, Status.VALID]  # validated by the pipeline, then on to its seal (none here: held)
    file = UploadFile.objects.get(upload=last_upload(tenant_a))
    assert (file.state, file.invoice_id, file.number, file.uuid) == ("issued", invoice.id, invoice.number, ettn)


def test_operators_read_an_upload_in_the_admin_and_change_nothing(client, tenant_a, gib_package):
    from django.contrib.auth import get_user_model

    upload = services.upload_create(tenant=tenant_a, user=None, sources=[("a.xml", ubl_file(tenant_a, 1)), ("b.xml", b"")])
    client.force_login(get_user_model().objects.create_superuser("operator", password="x" * 12))
    page = client.get(reverse("admin:uploads_upload_change", args=[upload.id]))
    assert page.status_code == 200 and "b.xml" in page.content.decode()
    assert client.get(reverse("admin:uploads_upload_delete", args=[upload.id])).status_code == 403
    assert client.get(reverse("admin:uploads_upload_add")).status_code == 403


def test_without_gibs_package_the_files_wait_and_none_is_refused(tenant_a, gib_package, settings, tmp_path):
    upload = services.upload_create(tenant=tenant_a, user=None, sources=[("a.xml", ubl_file(tenant_a, 1))])
    settings.GIB_PACKAGES_ROOT = tmp_path / "none"
    services.upload_run(upload_id=upload.id)
    assert outcomes(upload) == [("a.xml", "waiting")] and Upload.objects.get(id=upload.id).state == Upload.State.RUNNING
    settings.GIB_PACKAGES_ROOT = gib_package
    later = timezone.now() + services.stale_after() + dt.timedelta(seconds=1)
    assert services.upload_run(upload_id=upload.id, now=later).state == Upload.State.DONE and outcomes(upload) == [("a.xml", "issued")]
