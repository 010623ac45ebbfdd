"""Moving in from another integrator: signed invoices, outgoing and incoming, as XML or in ZIPs,
each checked (read safely, its seal verified, the tenant its supplier or its customer, not here
already) and archived exactly as it came, found and exported like the others, never issued again;
what is refused says why, file by file; a ZIP is read as if it were hostile."""

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from archive.models import Document, Event
from archive.services import document_open
from invoices.models import Invoice
from invoices.moving_in import ALREADY_HERE, MOVED_IN, REFUSED, files_move_in
from invoices.selectors import InvoiceFilter, invoices_of
from invoices.services import invoice_issue
from invoices.status import Status
from signing import xades
from tenants.api_keys import api_key_create
from tenants.models import NumberCounter, NumberSeries
from tenants.numbering import series_create
from tests.envelope_helpers import key_of
from tests.exchange_fixtures import eager, trust
from tests.factories import make_user
from tests.invoice_payloads import PERSON, payload
from tests.test_api_invoices import TO_A
from uploads.models import Upload


def signed_elsewhere(tenant, seal, root, count=1, **data) -> list[bytes]:
    """Invoices *tenant* issued and sealed at its former integrator: the signed XML, and no row here."""
    made = []
    for _ in range(count):
        invoice = invoice_issue(tenant=tenant, data=payload("TICARIFATURA", **data))
        made.append(xades.sign(bytes(invoice.xml), key_of(seal, root)))
        Invoice.objects.filter(id=invoice.id).delete()
    NumberCounter.objects.filter(series__tenant=tenant).update(last_value=0)  # this integrator has given no number yet
    return made


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def former(tenant_a, tenant_b, seal_a, seal_b, test_root, gib_package, settings, tmp_path):
    """Two invoices A issued and one A received from B, all sealed at A's former integrator."""
    trust(settings, tmp_path, test_root)
    ours = signed_elsewhere(tenant_a, seal_a, test_root, count=2)
    theirs = signed_elsewhere(tenant_b, seal_b, test_root, customer=TO_A)
    return ours, theirs


def test_signed_invoices_move_in_as_they_came_and_are_found_like_the_others(tenant_a, former):
    ours, theirs = former
    outcomes = files_move_in(tenant=tenant_a, name="eski.zip", data=zipped({"giden/1.xml": ours[0], "giden/2.xml": ours[1]}))
    outcomes += files_move_in(tenant=tenant_a, name="gelen.xml", data=theirs[0])
    assert [(o.name, o.result, o.direction) for o in outcomes] == [
        ("eski.zip/giden/1.xml", MOVED_IN, "out"), ("eski.zip/giden/2.xml", MOVED_IN, "out"), ("gelen.xml", MOVED_IN, "in")]
    moved = Invoice.objects.filter(tenant=tenant_a).order_by("id")
    assert [(i.direction, i.status, i.document.kind) for i in moved] == [
        ("out", Status.MIGRATED, Document.Kind.INVOICE_MIGRATED), ("out", Status.MIGRATED, Document.Kind.INVOICE_MIGRATED),
        ("in", Status.MIGRATED, Document.Kind.INVOICE_MIGRATED)]
    for invoice, data in zip(moved, [*ours, *theirs], strict=True):
        with document_open(invoice.document) as stream:
            assert stream.read() == data  # exactly as it came
        assert invoice.xml is None
    numbers = [i.number for i in moved]
    found = invoices_of(tenant=tenant_a, direction=None, filters=InvoiceFilter(search="B Gıda"))
    assert set(found.values_list("number", flat=True)) == set(numbers)  # searchable like the rest
    # A's series goes on after the numbers it used at its former integrator: nothing is numbered twice.
    assert NumberCounter.objects.get(series__tenant=tenant_a, series__prefix=numbers[1][:3]).last_value == int(numbers[1][-9:])
    assert invoice_issue(tenant=tenant_a, data=payload("TICARIFATURA")).number > numbers[1]

    again = files_move_in(tenant=tenant_a, name="eski.zip", data=zipped({"1.xml": ours[0]}))
    assert [o.result for o in again] == [ALREADY_HERE] and Document.objects.filter(kind=Document.Kind.INVOICE_MIGRATED).count() == 3


def test_what_cannot_move_in_is_refused_file_by_file_with_the_reason(tenant_a, tenant_b, seal_a, test_root, former):
    ours, _ = former  # A's, to B: they would move into B's archive as incoming, were they intact and outside a trap
    tampered = ours[0].replace(b"<cbc:Note>", b"<cbc:Note>X", 1)
    series_create(tenant=tenant_a, prefix="EAA", kind=NumberSeries.Kind.EARSIV, is_default=True)
    [to_a_person] = signed_elsewhere(tenant_a, seal_a, test_root, customer=PERSON)  # neither from B nor to B
    files = {
        "degisik.xml": tampered,
        "baskasinin.xml": to_a_person,
        "bos.xml": b"",
        "doctype.xml": b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Invoice>&e;</Invoice>',
        "../disari.xml": ours[1],
        "ic.zip": zipped({"1.xml": ours[1]}),
        "bomba.xml": b"<a>" + b" " * 5_000_000 + b"</a>",
    }
    outcomes = {o.name.removeprefix("toplu.zip/"): o for o in files_move_in(tenant=tenant_b, name="toplu.zip", data=zipped(files))}
    assert all(outcome.result == REFUSED for outcome in outcomes.values()), outcomes
    assert "seal" in outcomes["degisik.xml"].reason or "mühür" in outcomes["degisik.xml"].reason
    assert tenant_a.identifier in outcomes["baskasinin.xml"].reason and tenant_b.identifier in outcomes["baskasinin.xml"].reason
    assert "DOCTYPE" in outcomes["doctype.xml"].reason
    assert "ZIP" in outcomes["../disari.xml"].reason and outcomes["ic.zip"].reason and "100" in outcomes["bomba.xml"].reason
    assert not Invoice.objects.filter(tenant=tenant_b, status=Status.MIGRATED).exists()


def test_a_zip_that_cannot_be_read_is_refused_whole(tenant_a):
    [outcome] = files_move_in(tenant=tenant_a, name="kirik.zip", data=b"PK\x03\x04 not a zip at all")
    assert outcome.result == REFUSED and "ZIP" in outcome.reason


def test_a_name_written_in_turkish_dos_reads_as_it_was_written(tenant_a):
    data = zipped({"FATURA_SUBAT.xml": b"<x/>"}).replace(b"FATURA_SUBAT.xml", "FATURA_ŞUBAT.xml".encode("cp857"))
    [outcome] = files_move_in(tenant=tenant_a, name="eski.zip", data=data)
    assert outcome.name == "eski.zip/FATURA_ŞUBAT.xml" and outcome.result == REFUSED  # <x/> is no invoice


def test_the_portal_moves_invoices_in_in_the_background_for_those_who_configure(client_a, tenant_a, tenant_b, former,
                                                                                django_capture_on_commit_callbacks):
    ours, theirs = former
    url = reverse("portal:move-in", args=[tenant_a.identifier])
    files = [_named("eski.zip", zipped({"1.xml": ours[0], "2.xml": ours[1]})), _named("gelen.xml", theirs[0]),
             _named("bozuk.xml", b"<Invoice/>"), _named("liste.xlsx", b"PK\x03\x04")]
    with eager(), django_capture_on_commit_callbacks(execute=True):
        answer = client_a.post(url, {"files": files})
    upload = Upload.objects.get(tenant=tenant_a)
    assert upload.purpose == Upload.Purpose.MOVE_IN and answer["Location"] == reverse("portal:upload", args=[tenant_a.identifier, upload.id])
    assert list(upload.files.order_by("position").values_list("name", "state")) == [
        ("eski.zip/1.xml", "moved_in"), ("eski.zip/2.xml", "moved_in"), ("gelen.xml", "moved_in"), ("bozuk.xml", "refused"),
        ("liste.xlsx", "refused")]
    assert Invoice.objects.filter(tenant=tenant_a, status=Status.MIGRATED).count() == 3
    page = client_a.get(answer["Location"]).content.decode()
    assert "Taşıma #" in page and "gelen.xml" in page and "/invoices/in/" in page  # the incoming one links to the inbox's page
    refused = upload.files.get(name="bozuk.xml").errors[0]
    assert refused["message_tr"] != refused["message_en"] and "UBL-TR" in refused["message_en"]
    [event] = Event.objects.filter(action=Event.Action.MOVED_IN)
    assert event.tenant == tenant_a and event.subject_ref == str(upload.id)
    listed = client_a.get(url).content.decode()
    assert f'data-upload="{upload.id}"' in listed

    with eager(), django_capture_on_commit_callbacks(execute=True):  # the same files again: all here already
        client_a.post(url, {"files": [_named("gelen.xml", theirs[0])]})
    again = Upload.objects.filter(tenant=tenant_a).latest("id")
    assert list(again.files.values_list("state", "duplicate")) == [("refused", True)]
    assert Invoice.objects.filter(tenant=tenant_a, status=Status.MIGRATED).count() == 3

    clerk = Client()
    clerk.force_login(make_user(tenant=tenant_a, role="clerk"))
    assert clerk.get(url).status_code == 403
    assert clerk.get(reverse("portal:upload", args=[tenant_a.identifier, upload.id])).status_code == 403  # not a bulk upload of theirs
    outsider = Client()
    outsider.force_login(make_user(tenant=tenant_b))
    assert outsider.get(url).status_code == 404
    assert outsider.get(reverse("portal:upload", args=[tenant_b.identifier, upload.id])).status_code == 404


def _named(name: str, data: bytes):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def test_the_command_moves_files_in_and_fails_when_any_is_refused(tenant_a, former, tmp_path):
    ours, _ = former
    good, bad = tmp_path / "1.xml", tmp_path / "2.xml"
    good.write_bytes(ours[0])
    bad.write_bytes(b"<Invoice/>")
    out = io.StringIO()
    call_command("archive_move_in", "--tenant", tenant_a.identifier, str(good), stdout=out)
    assert "1.xml: moved in AAA" in out.getvalue() and "1 moved in" in out.getvalue()  # the tests' commands speak English
    with pytest.raises(CommandError, match="0 moved in, 1 already here, 1 refused"):
        call_command("archive_move_in", "--tenant", tenant_a.identifier, str(good), str(bad), stdout=io.StringIO())


def test_an_erp_moves_invoices_in_through_the_api_and_follows_them(client, tenant_a, tenant_b, former, django_capture_on_commit_callbacks):
    ours, theirs = former
    _key, raw = api_key_create(tenant=tenant_a, name="göç", scopes=["send"])
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}
    with eager(), django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("api-move-ins"), {"files": [_named("eski.zip", zipped({"1.xml": ours[0]})), _named("gelen.xml", theirs[0]),
                                                                 _named("bozuk.xml", b"<Invoice/>")]}, **auth)
    assert answer.status_code == 202, answer.json()
    body = answer.json()
    assert (body["state"], body["total"]) == ("waiting", 3)  # the worker takes it once the request commits
    followed = client.get(answer["Location"], **auth).json()
    assert (followed["state"], followed["done"], followed["counts"]) == ("done", 3, {"waiting": 0, "moved_in": 2, "already_here": 0,
                                                                                     "refused": 1})
    assert [(f["name"], f["state"], f["direction"]) for f in followed["files"]] == [
        ("eski.zip/1.xml", "moved_in", "out"), ("gelen.xml", "moved_in", "in"), ("bozuk.xml", "refused", "")]
    assert "UBL-TR" in followed["files"][2]["reasons"][0]
    assert [row["id"] for row in client.get(reverse("api-move-ins"), **auth).json()["results"]] == [body["id"]]
    with eager(), django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("api-move-ins"), {"files": [_named("gelen.xml", theirs[0])]}, **auth)
    assert client.get(again["Location"], **auth).json()["counts"]["already_here"] == 1 and Invoice.objects.filter(tenant=tenant_a, status=Status.MIGRATED).count() == 2

    assert client.post(reverse("api-move-ins"), {}, **auth).status_code == 400  # no files
    _read, read_only = api_key_create(tenant=tenant_a, name="okur", scopes=["read"])
    assert client.get(reverse("api-move-ins"), HTTP_AUTHORIZATION=f"Api-Key {read_only}").status_code == 403
    _other, b_key = api_key_create(tenant=tenant_b, name="b", scopes=["send"])
    assert client.get(answer["Location"], HTTP_AUTHORIZATION=f"Api-Key {b_key}").status_code == 404
