"""Searching a tenant's invoices, outgoing and incoming, through one selector: Turkish letters fold as
Turkish folds them, every filter narrows, PostgreSQL and SQLite give the same answers (this module runs
on both), and another tenant's invoices are never found."""

import datetime as dt
import importlib
import re
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from invoices.models import Invoice
from invoices.search import fold, terms
from invoices.selectors import InvoiceFilter, invoices_of
from invoices.status import Status
from tests.clock import TODAY
from tests.test_api_invoices import auth, key

DAY = TODAY - dt.timedelta(days=30)
OUT, IN = Invoice.Direction.OUTGOING, Invoice.Direction.INCOMING


def invoice(tenant, number: str, *, name: str, identifier: str = "4840847211", direction=OUT, amount="120.00", currency="TRY",
            status=Status.ISSUED, gib_code=None, profile="TICARIFATURA", type_code="SATIS", issue_date=DAY) -> Invoice:
    party = {"customer_identifier": identifier, "customer_name": name, "supplier_identifier": tenant.identifier, "supplier_name": tenant.title}
    if direction == IN:
        party = {"supplier_identifier": identifier, "supplier_name": name, "customer_identifier": tenant.identifier, "customer_name": tenant.title}
    return Invoice.objects.create(
        tenant=tenant, number=number, direction=direction, profile=profile, type_code=type_code, issue_date=issue_date,
        currency=currency, tax_amount=Decimal("0.00"), payable_amount=Decimal(amount), status=status, gib_code=gib_code,
        xml=b"<Invoice/>", **party,
    )


@pytest.fixture
def archive_of_a(tenant_a, tenant_b):
    made = [
        invoice(tenant_a, "AAA2026000000001", name="ŞİŞLİ Gıda Ltd. Şti.", identifier="1111111111", amount="100.00"),
        invoice(tenant_a, "AAA2026000000002", name="Işık Elektrik A.Ş.", identifier="2222222222", amount="2500.50", currency="EUR",
                status=Status.DELIVERED, gib_code=1300, issue_date=DAY + dt.timedelta(days=5)),
        invoice(tenant_a, "FIN2026000000003", name="İstanbul Yazılım", identifier="33333333333", amount="99.99", profile="EARSIVFATURA",
                type_code="IADE", issue_date=DAY - dt.timedelta(days=20)),
        invoice(tenant_a, "CCC2026000000004", name="ISTANBUL TEKNIK", identifier="4444444444", direction=IN, status=Status.RECEIVED),
        invoice(tenant_a, "DDD2026000000005", name="şişli kırtasiye", identifier="5555555555", direction=IN, amount="7.00",
                status=Status.ACCEPTED),
        # B's, matching every search of A's: never found by A.
        invoice(tenant_b, "BBB2026000000001", name="ŞİŞLİ Gıda Ltd. Şti.", identifier="1111111111", amount="100.00"),
        invoice(tenant_b, "BBB2026000000002", name="ŞİŞLİ Kırtasiye", identifier="5555555555", direction=IN),
    ]
    return {inv.number: inv for inv in made}


def found(tenant, direction=None, **filters) -> set[str]:
    return set(invoices_of(tenant=tenant, direction=direction, filters=InvoiceFilter(**filters)).values_list("number", flat=True))


def test_turkish_letters_fold_as_turkish_folds_them():
    assert fold("ŞİŞLİ") == fold("şişli") == "şişli"
    assert fold("IŞIK") == fold("ışık") == "ışık"
    assert fold("İSTANBUL") == "istanbul" and fold("ISTANBUL") == "ıstanbul"  # dotless I is ı, not i
    assert fold("  Çağrı   ÖZGÜR ") == "çağrı özgür"
    assert terms("ŞİŞLİ  gıda") == ["şişli", "gıda"]


@pytest.mark.parametrize("search, expected", [
    ("ŞİŞLİ", {"AAA2026000000001", "DDD2026000000005"}),
    ("şişli", {"AAA2026000000001", "DDD2026000000005"}),
    ("Şişli GIDA", {"AAA2026000000001"}),  # every word must be found
    ("ışık", {"AAA2026000000002"}),
    ("IŞIK", {"AAA2026000000002"}),
    ("istanbul", {"FIN2026000000003"}),  # İstanbul; ISTANBUL reads ıstanbul in Turkish
    ("ıstanbul", {"CCC2026000000004"}),
    ("fin2026", {"FIN2026000000003"}),  # a number found lowered the usual way too
    ("FIN2026000000003", {"FIN2026000000003"}),
    ("000000002", {"AAA2026000000002"}),
    ("3333333", {"FIN2026000000003"}),  # the other party's TCKN
    ("1111111111", {"AAA2026000000001"}),
    ("tekstil", set()),  # A's own name is not the other party of any of them
    ("nothing-like-it", set()),
])
def test_search_finds_by_number_ettn_and_the_other_party(tenant_a, archive_of_a, search, expected):
    assert found(tenant_a, search=search) == expected


def test_search_by_ettn_in_any_case(tenant_a, archive_of_a):
    ettn = str(archive_of_a["CCC2026000000004"].uuid)
    assert found(tenant_a, search=ettn.upper()) == found(tenant_a, search=ettn) == {"CCC2026000000004"}


@pytest.mark.parametrize("filters, expected", [
    ({"amount_min": Decimal("100.00")}, {"AAA2026000000001", "AAA2026000000002", "CCC2026000000004"}),
    ({"amount_min": Decimal("99.99"), "amount_max": Decimal("100.00")}, {"AAA2026000000001", "FIN2026000000003"}),
    ({"amount_max": Decimal("0")}, set()),
    ({"currency": "EUR"}, {"AAA2026000000002"}),
    ({"gib_code": 1300}, {"AAA2026000000002"}),
    ({"profile": "EARSIVFATURA"}, {"FIN2026000000003"}),
    ({"type_code": "IADE"}, {"FIN2026000000003"}),
    ({"statuses": (Status.RECEIVED, Status.ACCEPTED)}, {"CCC2026000000004", "DDD2026000000005"}),
    ({"issued_from": DAY, "issued_to": DAY}, {"AAA2026000000001", "CCC2026000000004", "DDD2026000000005"}),
    ({"party": "5555555555"}, {"DDD2026000000005"}),
    ({"search": "şişli", "amount_max": Decimal("50")}, {"DDD2026000000005"}),
])
def test_every_filter_narrows_both_directions(tenant_a, archive_of_a, filters, expected):
    assert found(tenant_a, **filters) == expected


def test_one_direction(tenant_a, archive_of_a):
    assert found(tenant_a, OUT, search="şişli") == {"AAA2026000000001"}
    assert found(tenant_a, IN, search="şişli") == {"DDD2026000000005"}
    assert found(tenant_a, IN, party="1111111111") == set()  # the customer of an outgoing one is no supplier


def test_the_search_text_follows_the_columns(tenant_a):
    row = invoice(tenant_a, "AAA2026000000009", name="Eski Ünvan")
    row.customer_name = "YENİ ÜNVAN A.Ş."
    row.save(update_fields=["customer_name"])
    assert found(tenant_a, search="yeni ünvan") == {"AAA2026000000009"} and not found(tenant_a, search="eski")
    row.status = Status.DELIVERED
    row.save(update_fields=["status"])  # a save that leaves the searched columns alone leaves the text alone
    assert Invoice.objects.get(id=row.id).search_text == row.searchable()


def test_the_migration_fills_the_rows_there_are_and_can_run_again(tenant_a, archive_of_a):
    migration = importlib.import_module("invoices.migrations.0008_invoice_search_text")
    Invoice.objects.filter(tenant=tenant_a).update(search_text="")
    migration.fill(apps, None)
    migration.fill(apps, None)
    assert all(row.search_text == row.searchable() for row in Invoice.objects.all())
    assert found(tenant_a, search="ŞİŞLİ") == {"AAA2026000000001", "DDD2026000000005"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's")
def test_postgresql_reads_the_search_through_a_trigram_index(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'invoice_search_trgm'")
        (definition,) = cursor.fetchone()
        assert "gin" in definition and "gin_trgm_ops" in definition
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT id FROM invoices_invoice WHERE search_text LIKE %s", ["%şişli%"])
        assert "invoice_search_trgm" in " ".join(row[0] for row in cursor.fetchall())  # a word anywhere, found without a scan


# --- through the API and the portal ----------------------------------------------------------------


def test_the_api_lists_search_with_q(client, tenant_a, tenant_b, archive_of_a):
    raw = key(tenant_a, "read")
    outgoing = client.get("/api/v1/invoices", {"q": "ŞİŞLİ"}, **auth(raw)).json()["results"]
    assert [row["number"] for row in outgoing] == ["AAA2026000000001"]
    incoming = client.get("/api/v1/incoming", {"q": "şişli", "amount_max": "10"}, **auth(raw)).json()["results"]
    assert [row["number"] for row in incoming] == ["DDD2026000000005"]
    rows = client.get("/api/v1/invoices", {"currency": "EUR", "gib_code": "1300", "amount_min": "2500.50"}, **auth(raw)).json()["results"]
    assert [row["number"] for row in rows] == ["AAA2026000000002"]
    theirs = client.get("/api/v1/invoices", {"q": "şişli"}, **auth(key(tenant_b, "read"))).json()["results"]
    assert [row["number"] for row in theirs] == ["BBB2026000000001"]


@pytest.mark.parametrize("query, field", [
    ({"amount_min": "10", "amount_max": "5"}, "amount_max"),
    ({"issued_from": "2026-03-02", "issued_to": "2026-03-01"}, "issued_to"),
    ({"currency": "lira"}, "currency"),
    ({"gib_code": "x"}, "gib_code"),
    ({"q": "x" * 201}, "q"),
])
def test_the_api_refuses_a_search_it_cannot_read(client, tenant_a, query, field):
    response = client.get("/api/v1/invoices", query, **auth(key(tenant_a, "read")))
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert field in response.content.decode()


def numbers_on(response) -> set[str]:
    return set(re.findall(r"<code>([A-Z]{3}\d{13})</code>", response.content.decode()))


def test_the_portal_searches_every_invoice_of_the_tenant(client_a, tenant_a, archive_of_a):
    url = reverse("portal:search", args=[tenant_a.identifier])
    response = client_a.get(url, {"search": "ŞİŞLİ"})
    assert response.status_code == 200 and numbers_on(response) == {"AAA2026000000001", "DDD2026000000005"}
    page = response.content.decode()
    assert "2 fatura bulundu" in page and "ŞİŞLİ Gıda Ltd. Şti." in page and "şişli kırtasiye" in page
    assert numbers_on(client_a.get(url, {"direction": "in", "search": "şişli"})) == {"DDD2026000000005"}
    assert numbers_on(client_a.get(url, {"amount_min": "2000", "currency": "eur"})) == {"AAA2026000000002"}
    assert numbers_on(client_a.get(url, {"gib_code": "1300"})) == {"AAA2026000000002"}
    assert len(numbers_on(client_a.get(url))) == 5  # no filter: all of A's, none of B's
    assert numbers_on(client_a.get(url, {"amount_min": "lots"})) == numbers_on(client_a.get(url))  # an unreadable filter is dropped


def test_a_broad_search_counts_to_a_cap_and_says_so(client_a, tenant_a, archive_of_a, monkeypatch):
    monkeypatch.setattr("invoices.views.COUNT_CAP", 3)
    monkeypatch.setattr("invoices.views.PER_PAGE", 2)
    url = reverse("portal:search", args=[tenant_a.identifier])
    first, second = client_a.get(url), client_a.get(url, {"page": 2})
    assert "3 faturadan fazlası bulundu" in first.content.decode()
    assert len(numbers_on(first)) == 2 and len(numbers_on(second)) == 1  # the pages run to the cap
    assert "2 fatura bulundu" in client_a.get(url, {"search": "şişli"}).content.decode()  # under the cap: the count


def test_another_tenants_search_page_is_not_found(client_b, tenant_a, archive_of_a):
    assert client_b.get(reverse("portal:search", args=[tenant_a.identifier]), {"search": "şişli"}).status_code == 404
