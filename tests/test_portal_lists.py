"""The portal's lists at work: sorted by a column and read by keyset (a page does not shift when an
invoice arrives), what needs a person counted above them, KABUL/RED for the invoices ticked in the
inbox, and the XML and PDFs of the invoices ticked (or of all a list's filters keep) downloaded as one
ZIP. B never reaches A's by any id."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse

from exports.models import Export
from exports.services import export_build
from invoices.models import Invoice
from invoices.status import Status
from invoices.views import PER_PAGE
from tests.delivery_fixtures import earsiv  # noqa: F401  (a fixture)
from tests.exchange_fixtures import eager
from tests.factories import make_user
from tests.test_exports import sealed
from tests.test_portal_invoices import DAY, incoming, numbers_on, outgoing, received_from, sealed_a  # noqa: F401  (a fixture)
from ubl.response import ANSWER_WINDOW


def rows_in_order(response) -> list[str]:
    return re.findall(r"<code>([A-Z]{3}\d{13})</code>", response.content.decode())


def link(response, rel: str) -> str:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else ""


def list_url(tenant) -> str:
    return reverse("portal:invoices", args=[tenant.identifier])


# --- keyset pages and sorting ---------------------------------------------------------------------


def test_pages_follow_each_other_by_keyset_and_back_and_an_arrival_shifts_nothing(client_a, tenant_a):
    for n in range(1, PER_PAGE + 6):  # a day each, the newest last
        outgoing(tenant_a, f"AAA2026{n:09d}", issue_date=DAY + dt.timedelta(days=n))
    first = client_a.get(list_url(tenant_a))
    assert rows_in_order(first) == [f"AAA2026{n:09d}" for n in range(PER_PAGE + 5, 5, -1)]  # newest first
    assert not link(first, "prev") and "30 fatura" in first.content.decode()
    outgoing(tenant_a, "AAA2026999999999", issue_date=DAY + dt.timedelta(days=99))  # arrives while page one is read
    second = client_a.get(list_url(tenant_a) + link(first, "next"))
    assert rows_in_order(second) == [f"AAA2026{n:09d}" for n in range(5, 0, -1)]
    assert not link(second, "next")
    back = client_a.get(list_url(tenant_a) + link(second, "prev"))
    assert rows_in_order(back) == rows_in_order(first)  # the same page, the newcomer before it
    assert rows_in_order(client_a.get(list_url(tenant_a), {"after": "not-a-cursor"}))[0] == "AAA2026999999999"  # from the start


def test_a_column_sorts_both_ways_and_ties_keep_a_stable_order_across_pages(client_a, tenant_a):
    amounts = {"AAA2026000000001": "300.00", "AAA2026000000002": "100.00", "AAA2026000000003": "200.00"}
    for number, amount in amounts.items():
        Invoice.objects.filter(id=outgoing(tenant_a, number).id).update(payable_amount=Decimal(amount))
    up = client_a.get(list_url(tenant_a), {"sort": "amount"})
    assert rows_in_order(up) == ["AAA2026000000002", "AAA2026000000003", "AAA2026000000001"]
    assert 'aria-sort="ascending"' in up.content.decode() and "sort=-amount" in up.content.decode()  # the header turns it round
    assert rows_in_order(client_a.get(list_url(tenant_a), {"sort": "-amount"})) == ["AAA2026000000001", "AAA2026000000003", "AAA2026000000002"]
    assert rows_in_order(client_a.get(list_url(tenant_a), {"sort": "; DROP TABLE"}))  # an unknown column: the default order
    for n in range(4, PER_PAGE + 10):  # many of one amount: the id breaks the tie, page after page
        outgoing(tenant_a, f"AAA2026{n:09d}")
    seen, url = [], list_url(tenant_a) + "?sort=amount"
    while url:
        page = client_a.get(url)
        seen += rows_in_order(page)
        url = list_url(tenant_a) + link(page, "next") if link(page, "next") else ""
    assert len(seen) == len(set(seen)) == Invoice.objects.filter(tenant=tenant_a).count()


def test_the_inbox_sorts_by_supplier_and_keeps_its_filters_on_the_next_page(client_a, tenant_a):
    for n in range(1, PER_PAGE + 3):
        incoming(tenant_a, f"CCC2026{n:09d}", supplier=(f"Tedarikçi {n:02d}", "3900383669"))
    incoming(tenant_a, "CCC2026999999999", status=Status.ACCEPTED, supplier=("Aaa Kabul Edilmiş", "3900383669"))
    url = reverse("portal:inbox", args=[tenant_a.identifier])
    first = client_a.get(url, {"sort": "supplier", "status": Status.RECEIVED})
    assert rows_in_order(first)[:2] == ["CCC2026000000001", "CCC2026000000002"]
    second = client_a.get(url + link(first, "next"))
    assert "status=received" in link(first, "next") and rows_in_order(second) == ["CCC2026000000026", "CCC2026000000027"]


# --- what needs a person --------------------------------------------------------------------------


def test_the_lists_count_what_needs_a_person_and_link_to_it(client_a, tenant_a):
    outgoing(tenant_a, "AAA2026000000001", status=Status.INVALID)
    outgoing(tenant_a, "AAA2026000000002", status=Status.HELD)
    outgoing(tenant_a, "AAA2026000000003", status=Status.HELD)
    outgoing(tenant_a, "AAA2026000000004", status=Status.DELIVERED)
    page = client_a.get(list_url(tenant_a)).content.decode()
    assert 'href="?status=held">Kullanılabilir mali mühür bekleniyor: 2</a>' in page and "?status=invalid" in page
    assert "?status=failed" not in page  # none failed
    incoming(tenant_a, "CCC2026000000001", received_ago=dt.timedelta(days=1))
    incoming(tenant_a, "CCC2026000000002", received_ago=ANSWER_WINDOW - dt.timedelta(days=1))  # a day left
    incoming(tenant_a, "CCC2026000000003", received_ago=ANSWER_WINDOW + dt.timedelta(hours=1))  # too late
    incoming(tenant_a, "CCC2026000000004", profile="TEMELFATURA")
    inbox = reverse("portal:inbox", args=[tenant_a.identifier])
    page = client_a.get(inbox).content.decode()
    assert "2 fatura yanıtınızı bekliyor" in page and "1 fatura 2 gün içinde yanıtlanmalı" in page
    assert numbers_on(client_a.get(inbox, {"closing": "on"})) == {"CCC2026000000002"}


# --- KABUL/RED for the ticked ---------------------------------------------------------------------


def answer_ticked(client, tenant, invoices, code="KABUL", reason="", **extra):
    return client.post(reverse("portal:inbox-answer", args=[tenant.identifier]),
                       {"uuid": [str(i.uuid) for i in invoices], "code": code, "reason": reason, "query": "sort=supplier", **extra})


def test_kabul_for_the_ticked_answers_each_and_says_why_one_could_not_be(client_a, sealed_a, tenant_b):
    fresh = [received_from(tenant_b, sealed_a) for _ in range(2)]
    late = received_from(tenant_b, sealed_a, received_ago=ANSWER_WINDOW + dt.timedelta(minutes=1))
    bs = outgoing(tenant_b, "BBB2026000000001")  # B's: not in A's inbox by its ETTN either
    page = client_a.get(reverse("portal:inbox", args=[sealed_a.identifier])).content.decode()
    assert page.count("data-answerable") == 2 and 'value="KABUL"' in page
    response = answer_ticked(client_a, sealed_a, [*fresh, late, bs])
    assert response.status_code == 302 and response["Location"].endswith("/inbox/?sort=supplier")
    statuses = dict(Invoice.objects.filter(id__in=[i.id for i in [*fresh, late]]).values_list("id", "status"))
    assert [statuses[i.id] for i in fresh] == [Status.ACCEPTED, Status.ACCEPTED] and statuses[late.id] == Status.RECEIVED
    shown = client_a.get(response["Location"]).content.decode()
    assert "2 fatura KABUL ile yanıtlandı" in shown and fresh[0].number in shown
    assert "8 gün" in shown and str(bs.uuid).upper() in shown  # why the late one and B's were not answered
    assert Invoice.objects.get(id=bs.id).status == Status.ISSUED


def test_red_for_the_ticked_needs_its_reason_and_the_form_its_ticks(client_a, sealed_a, tenant_b):
    invoice = received_from(tenant_b, sealed_a)
    shown = client_a.get(answer_ticked(client_a, sealed_a, [invoice], code="RED")["Location"]).content.decode()
    assert "RED" in shown and Invoice.objects.get(id=invoice.id).status == Status.RECEIVED
    nothing = client_a.get(answer_ticked(client_a, sealed_a, [], code="KABUL")["Location"]).content.decode()
    assert "Önce faturaları işaretleyin." in nothing
    answer_ticked(client_a, sealed_a, [invoice], code="RED", reason="Fiyat hatalı")
    assert Invoice.objects.get(id=invoice.id).answer_reason == "Fiyat hatalı"


@pytest.mark.parametrize("role", ["viewer", "clerk"])
def test_who_may_not_answer_sees_no_answer_buttons_and_is_refused(client, sealed_a, tenant_b, role):
    client.force_login(make_user(tenant=sealed_a, role=role))
    invoice = received_from(tenant_b, sealed_a)
    assert 'value="KABUL"' not in client.get(reverse("portal:inbox", args=[sealed_a.identifier])).content.decode()
    assert answer_ticked(client, sealed_a, [invoice]).status_code == 403
    assert Invoice.objects.get(id=invoice.id).status == Status.RECEIVED


# --- downloads ------------------------------------------------------------------------------------


def download(client, tenant, django_capture_on_commit_callbacks, **form) -> zipfile.ZipFile:
    with eager(), django_capture_on_commit_callbacks(execute=True):
        asked = client.post(reverse("portal:list-download", args=[tenant.identifier]), form)
    assert asked.status_code == 302 and asked["Location"] == reverse("portal:exports", args=[tenant.identifier])
    export = Export.objects.filter(tenant=tenant).latest("id")
    assert export.state == Export.State.READY, export.error
    page = client.get(asked["Location"]).content.decode()
    assert reverse("portal:export-download", args=[tenant.identifier, export.id]) in page
    got = client.get(reverse("portal:export-download", args=[tenant.identifier, export.id]))
    return zipfile.ZipFile(io.BytesIO(b"".join(got.streaming_content)))


def index_of(archive: zipfile.ZipFile) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))


def test_the_ticked_invoices_xml_downloads_as_one_zip_and_nothing_of_bs(client_a, tenant_a, tenant_b, django_capture_on_commit_callbacks):
    one, two, _other = (sealed(tenant_a, f"AAA202600000000{n}") for n in (1, 2, 3))
    theirs = sealed(tenant_b, "BBB2026000000001")
    archive = download(client_a, tenant_a, django_capture_on_commit_callbacks, direction="out", contents="xml",
                       uuid=[str(one.uuid), str(two.uuid), str(theirs.uuid)])
    xml = {name for name in archive.namelist() if name.endswith(".xml")}
    assert xml == {f"outgoing/{one.number}_{one.uuid}.xml", f"outgoing/{two.number}_{two.uuid}.xml"}
    assert archive.read(f"outgoing/{one.number}_{one.uuid}.xml").startswith(b"<Invoice><cbc:ID>AAA2026000000001")
    assert {row["number"] for row in index_of(archive)} == {one.number, two.number}
    assert "manifest.sha256" in archive.namelist()


def test_every_invoice_the_filters_keep_downloads_not_only_the_page(client_a, tenant_a, django_capture_on_commit_callbacks):
    for n in range(1, PER_PAGE + 4):
        sealed(tenant_a, f"AAA2026{n:09d}", status=Status.DELIVERED)
    sealed(tenant_a, "AAA2026999999999", status=Status.FAILED)
    archive = download(client_a, tenant_a, django_capture_on_commit_callbacks, direction="out", contents="xml", everything="on",
                       query="status=delivered&sort=amount")
    assert len(index_of(archive)) == PER_PAGE + 3 and "AAA2026999999999" not in {row["number"] for row in index_of(archive)}


@pytest.mark.django_db(transaction=True)  # the pipeline enqueues its tasks when a transaction commits
def test_pdfs_and_xml_of_sealed_invoices_download_together_and_an_unsealed_one_says_why(client, earsiv, tenant_a, user_a,
                                                                                          django_capture_on_commit_callbacks):
    from tests.test_delivery import issue

    invoices = [issue(client, earsiv) for _ in range(2)]
    draft = outgoing(tenant_a, "AAA2026000000077")
    client.force_login(user_a)
    archive = download(client, tenant_a, django_capture_on_commit_callbacks, direction="out", contents="both",
                       uuid=[str(i.uuid) for i in [*invoices, draft]])
    for invoice in invoices:
        stem = f"outgoing/{invoice.number}_{invoice.uuid}"
        assert archive.read(f"{stem}.pdf").startswith(b"%PDF-") and b"<Invoice" in archive.read(f"{stem}.xml")[:500]
    row = next(row for row in index_of(archive) if row["number"] == draft.number)
    assert row["note"] and not any(name.endswith(f"{draft.uuid}.pdf") for name in archive.namelist())


def test_a_viewer_downloads_what_they_see_but_not_a_periods_hand_over(client, tenant_a, django_capture_on_commit_callbacks):
    invoice = sealed(tenant_a, "AAA2026000000001")
    client.force_login(make_user(tenant=tenant_a, role="viewer"))
    page = client.get(reverse("portal:exports", args=[tenant_a.identifier]))
    assert page.status_code == 200 and 'name="period_from"' not in page.content.decode()
    assert client.post(reverse("portal:exports", args=[tenant_a.identifier]), {"period_from": "2026-01-01", "period_to": "2026-01-31"}).status_code == 403
    assert download(client, tenant_a, django_capture_on_commit_callbacks, direction="out", contents="xml", uuid=[str(invoice.uuid)])
    hand_over = export_build(export_id=Export.objects.create(tenant=tenant_a, period_from=DAY, period_to=DAY, requested_via="api").id)
    assert client.get(reverse("portal:export-download", args=[tenant_a.identifier, hand_over.id])).status_code == 403


def test_a_download_with_nothing_ticked_is_refused_with_a_message(client_a, tenant_a):
    response = client_a.post(reverse("portal:list-download", args=[tenant_a.identifier]), {"direction": "in", "contents": "pdf",
                                                                                            "query": "awaiting=on"}, follow=True)
    assert response.redirect_chain[-1][0].endswith("/inbox/?awaiting=on")
    assert "İndirilecek faturaları işaretleyin" in response.content.decode() and not Export.objects.exists()


def test_b_reaches_none_of_as_lists_actions(client_b, tenant_a, tenant_b):
    invoice = incoming(tenant_a, "CCC2026000000001")
    for name, form in (("portal:inbox-answer", {"uuid": [str(invoice.uuid)], "code": "KABUL"}),
                       ("portal:list-download", {"uuid": [str(invoice.uuid)], "direction": "in", "contents": "xml"})):
        assert client_b.post(reverse(name, args=[tenant_a.identifier]), form).status_code == 404
    client_b.post(reverse("portal:list-download", args=[tenant_b.identifier]), {"uuid": [str(invoice.uuid)], "direction": "in",
                                                                                "contents": "xml"})
    assert Export.objects.get(tenant=tenant_b).selection["uuids"] == [str(invoice.uuid)]
    assert export_build(export_id=Export.objects.get(tenant=tenant_b).id).total == 0  # B's export of A's ETTN holds nothing


def test_a_download_too_large_to_tick_is_refused(client_a, tenant_a):
    many = [str(uuid.uuid4()) for _ in range(501)]
    response = client_a.post(reverse("portal:list-download", args=[tenant_a.identifier]), {"uuid": many, "direction": "out",
                                                                                            "contents": "xml"}, follow=True)
    assert "En çok 500 fatura" in response.content.decode() and not Export.objects.exists()


def test_an_erp_asks_the_api_for_the_xml_of_some_invoices(client, tenant_a, tenant_b, django_capture_on_commit_callbacks):
    from tests.test_api_invoices import auth, key

    mine, theirs = sealed(tenant_a, "AAA2026000000001"), sealed(tenant_b, "BBB2026000000001")
    raw = key(tenant_a)
    with eager(), django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/api/v1/exports", {"uuids": [str(mine.uuid), str(theirs.uuid)], "direction": "out", "contents": "xml"},
                            content_type="application/json", **auth(raw))
    assert asked.status_code == 202 and asked.json()["contents"] == "xml"
    export = Export.objects.get(id=asked.json()["id"])
    assert (export.state, export.total) == (Export.State.READY, 1)
    nothing = client.post("/api/v1/exports", {"contents": "pdf"}, content_type="application/json", **auth(raw))
    assert nothing.status_code == 400 and "uuids" in nothing.content.decode()
