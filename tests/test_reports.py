"""Reports: the day figures follow every invoice's state, the reports read them, and on PostgreSQL
every figure equals a direct SQL sum over the invoices."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from invoices.services import gib_code_set, invoice_issue, set_status
from invoices.status import Status
from reports.selectors import MONTH, REPORTS, Period, report_of
from tenants.api_keys import api_key_create
from tests.clock import TODAY
from tests.concurrency import run_concurrently
from tests.invoice_payloads import CASES, payload
from tests.report_fixtures import issue_varied, receive_varied

WHOLE = Period(TODAY - dt.timedelta(days=90), TODAY, MONTH)


def rows(tenant, name, period=WHOLE):
    return report_of(tenant=tenant, name=name, period=period).rows


def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def test_a_state_change_moves_the_figures(tenant_a):
    invoice = invoice_issue(tenant=tenant_a, data=payload())
    assert [(r["status"], r["count"]) for r in rows(tenant_a, "statuses")] == [("issued", 1)]
    assert [r["count"] for r in rows(tenant_a, "invoices")] == [1]
    set_status(invoice=invoice, to=Status.INVALID)
    assert [(r["status"], r["count"]) for r in rows(tenant_a, "statuses")] == [("invalid", 1)]
    assert rows(tenant_a, "invoices") == rows(tenant_a, "vat") == rows(tenant_a, "customers") == []  # an invalid invoice counts nowhere else

    other = invoice_issue(tenant=tenant_a, data=payload())
    for to in (Status.VALID, Status.SEALED, Status.QUEUED, Status.SENT):
        set_status(invoice=other, to=to)
    gib_code_set(invoice=other, code=1200, never_resend=False)
    assert [(r["gib_code"], r["count"]) for r in rows(tenant_a, "gib-codes")] == [("—", 1), ("1200", 1)]
    set_status(invoice=other, to=Status.DELIVERED, code="1300")
    gib_code_set(invoice=other, code=1300, never_resend=False)
    assert [(r["gib_code"], r["count"]) for r in rows(tenant_a, "gib-codes")] == [("—", 1), ("1300", 1)]
    assert [(r["status"], r["count"]) for r in rows(tenant_a, "statuses")] == [("delivered", 1), ("invalid", 1)]
    (line,) = rows(tenant_a, "invoices")
    assert (line["count"], line["payable"], line["tax"]) == (1, other.payable_amount, other.tax_amount)


def test_vat_per_rate_and_withholding_come_from_the_document(tenant_a):
    invoice = invoice_issue(tenant=tenant_a, data=CASES["temel_tevkifat"])
    (vat,) = rows(tenant_a, "vat")
    kdv = invoice.taxes.get(withholding=False)
    assert (vat["percent"], vat["taxable"], vat["tax"]) == (Decimal("20.00"), kdv.taxable, kdv.amount)
    (withheld,) = rows(tenant_a, "withholding")
    tevkifat = invoice.taxes.get(withholding=True)
    assert (withheld["code"], withheld["percent"], withheld["amount"]) == ("606", Decimal("90.00"), tevkifat.amount)
    assert withheld["amount"] == (kdv.amount * Decimal("0.9")).quantize(Decimal("0.01"))


def test_another_tenant_sees_none_of_the_figures(tenant_a, tenant_b):
    invoice_issue(tenant=tenant_a, data=payload())
    assert all(rows(tenant_b, name) == [] for name in REPORTS)


# --- on PostgreSQL: every report equals SQL over the invoices ---------------------------------------


def sql(query: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


MONTHLY = "to_char(date_trunc('month', i.issue_date), 'YYYY-MM')"
WHERE = "i.tenant_id = %(tenant)s AND i.issue_date BETWEEN %(start)s AND %(end)s"
COUNTED = WHERE + " AND i.status <> 'invalid'"
EXPECTED = {
    "invoices": (f"SELECT {MONTHLY}, direction, currency, count(*), sum(payable_amount), sum(tax_amount) FROM invoices_invoice i "
                 f"WHERE {COUNTED} GROUP BY 1, 2, 3 ORDER BY 1, 2 DESC, 3", ["period", "direction", "currency", "count", "payable", "tax"]),
    "statuses": (f"SELECT direction, status, currency, count(*), sum(payable_amount) FROM invoices_invoice i WHERE {WHERE} "
                 "GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2, 3", ["direction", "status", "currency", "count", "payable"]),
    "gib-codes": (f"SELECT coalesce(gib_code, 0), count(*) FROM invoices_invoice i WHERE {WHERE} AND direction = 'out' GROUP BY 1 ORDER BY 1",
                  ["gib_code", "count"]),
    "profiles": (f"SELECT direction, profile, type_code, currency, count(*), sum(payable_amount) FROM invoices_invoice i WHERE {COUNTED} "
                 "GROUP BY 1, 2, 3, 4 ORDER BY 1 DESC, 2, 3, 4", ["direction", "profile", "type_code", "currency", "count", "payable"]),
    "vat": (f"SELECT {MONTHLY}, i.direction, i.currency, t.percent, count(*), sum(t.taxable), sum(t.amount) FROM invoices_invoice i "
            f"JOIN invoices_invoicetax t ON t.invoice_id = i.id WHERE {COUNTED} AND NOT t.withholding AND t.code = '0015' "
            "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2 DESC, 3, 4", ["period", "direction", "currency", "percent", None, "taxable", "tax"]),
    "withholding": (f"SELECT {MONTHLY}, i.direction, i.currency, t.code, t.percent, sum(t.taxable), sum(t.amount) FROM invoices_invoice i "
                    f"JOIN invoices_invoicetax t ON t.invoice_id = i.id WHERE {COUNTED} AND t.withholding "
                    "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2 DESC, 3, 4, 5", ["period", "direction", "currency", "code", "percent", "taxable", "amount"]),
}
PARTIES = ("SELECT identifier, name, currency, n, payable FROM ("
           "  SELECT {who}_identifier AS identifier, max({who}_name) AS name, currency, count(*) AS n, sum(payable_amount) AS payable,"
           "         row_number() OVER (PARTITION BY currency ORDER BY sum(payable_amount) DESC, {who}_identifier) AS place"
           f"  FROM invoices_invoice i WHERE {COUNTED} AND direction = %(direction)s GROUP BY 1, 3) ranked"
           " WHERE place <= 10 ORDER BY currency <> 'TRY', currency, payable DESC, identifier")


def expected(name: str, tenant, period: Period) -> list[dict]:
    params = {"tenant": tenant.id, "start": period.start, "end": period.end}
    if name in ("customers", "suppliers"):
        found = sql(PARTIES.format(who="customer" if name == "customers" else "supplier"),
                    {**params, "direction": "out" if name == "customers" else "in"})
        return [dict(zip(["identifier", "name", "currency", "count", "payable"], row)) for row in found]
    query, keys = EXPECTED[name]
    found = [dict((k, v) for k, v in zip(keys, row) if k) for row in sql(query, params)]
    if name == "gib-codes":
        found = [{"gib_code": str(r["gib_code"]) if r["gib_code"] else "—", "count": r["count"]} for r in found]
    return found


@pytest.mark.postgres
def test_every_report_equals_sql_over_the_invoices(tenant_a, tenant_b):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    issue_varied(tenant_a, count=240)
    receive_varied(tenant_a, tenant_b, count=60)
    issue_varied(tenant_b, count=20, seed=3)  # B's never count in A's
    changed = issue_varied(tenant_a, count=40, seed=7)
    for invoice in changed[::2]:  # states changed after the first figures were read
        if invoice.status == Status.SENT:
            set_status(invoice=invoice, to=Status.FAILED, code="1160")
            gib_code_set(invoice=invoice, code=1160, never_resend=False)
        elif invoice.status == Status.ISSUED:
            set_status(invoice=invoice, to=Status.INVALID)
    for period in (WHOLE, Period(TODAY - dt.timedelta(days=20), TODAY - dt.timedelta(days=5), MONTH)):
        for name in REPORTS:
            got = rows(tenant_a, name, period)
            assert got == expected(name, tenant_a, period), name
            assert got or name in ("withholding",), name
    by_day = Period(TODAY - dt.timedelta(days=30), TODAY, "day")
    daily = rows(tenant_a, "invoices", by_day)
    assert sum(r["count"] for r in daily) == sql(f"SELECT count(*) FROM invoices_invoice i WHERE {COUNTED}",
                                                  {"tenant": tenant_a.id, "start": by_day.start, "end": by_day.end})[0][0]
    assert len({r["period"] for r in daily}) > 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_invoices_moving_at_once_in_opposite_orders_neither_wait_nor_deadlock(tenant_a):
    # Two workers each move two invoices of different profiles in one transaction, in opposite
    # orders, each taking its second once the other holds its first. Were a figure row shared, each
    # would wait for the other's: a deadlock. Each connection adds to its own rows instead.
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    import threading

    from django.db import transaction

    temel = [invoice_issue(tenant=tenant_a, data=payload("TEMELFATURA")) for _ in range(2)]
    ticari = [invoice_issue(tenant=tenant_a, data=payload("TICARIFATURA")) for _ in range(2)]
    both_first = threading.Barrier(2, timeout=20)
    orders = [(temel[0], ticari[0]), (ticari[1], temel[1])]

    def move(order):
        first, second = order
        with transaction.atomic():
            set_status(invoice=first, to=Status.VALID)
            both_first.wait()  # a figure row the other holds would block here until the other gives up
            set_status(invoice=second, to=Status.VALID)

    results, errors = run_concurrently(lambda: move(orders.pop()), 2)
    assert errors == [] and len(results) == 2
    assert [(r["status"], r["count"]) for r in rows(tenant_a, "statuses")] == [("valid", 4)]
    assert {(r["profile"], r["count"]) for r in rows(tenant_a, "profiles")} == {("TEMELFATURA", 2), ("TICARIFATURA", 2)}


# --- the API -------------------------------------------------------------------------------------------


def test_the_api_gives_the_same_figures(client, tenant_a, tenant_b):
    invoice_issue(tenant=tenant_a, data=payload())
    invoice_issue(tenant=tenant_a, data=payload(currency="USD", exchange_rate="34.2150"))
    _key, raw = api_key_create(tenant=tenant_a, name="ERP", scopes=["read"])
    response = client.get("/api/v1/reports/invoices", {"from": WHOLE.start, "to": WHOLE.end}, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["report"], body["granularity"], body["start"]) == ("invoices", "month", WHOLE.start.isoformat())
    table = rows(tenant_a, "invoices")
    assert body["rows"] == [{**r, "payable": f"{r['payable']:.2f}", "tax": f"{r['tax']:.2f}"} for r in table]
    assert [c["key"] for c in body["columns"]] == ["period", "direction", "currency", "count", "payable", "tax"]
    for name in REPORTS:
        assert client.get(f"/api/v1/reports/{name}", HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200

    _key_b, raw_b = api_key_create(tenant=tenant_b, name="ERP", scopes=["read"])
    assert client.get("/api/v1/reports/invoices", {"from": WHOLE.start}, HTTP_AUTHORIZATION=f"Api-Key {raw_b}").json()["rows"] == []


@pytest.mark.parametrize(("query", "words"), [
    ({"granularity": "week"}, "granularity must be month or day"),
    ({"from": "2026-13-01"}, "from must be a date"),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "is after to"),
    ({"from": "2020-01-01", "to": "2026-01-01", "granularity": "day"}, "at most 366 days"),
])
def test_the_api_refuses_a_bad_period(client, tenant_a, query, words):
    _key, raw = api_key_create(tenant=tenant_a, name="ERP", scopes=["read"])
    response = client.get("/api/v1/reports/vat", query, HTTP_AUTHORIZATION=f"Api-Key {raw}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and response.json()["code"] == "period_invalid"
    assert words in response.json()["detail"]


def test_the_api_needs_the_read_scope_and_a_known_report(client, tenant_a):
    _key, raw = api_key_create(tenant=tenant_a, name="ERP", scopes=["send"])
    assert client.get("/api/v1/reports/vat", HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 403
    assert client.get("/api/v1/reports/vat").status_code == 401
    _key, raw = api_key_create(tenant=tenant_a, name="ERP 2", scopes=["read"])
    response = client.get("/api/v1/reports/nothing", HTTP_AUTHORIZATION=f"Api-Key {raw}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and "vat" in response.json()["detail"]


# --- the page and its files -------------------------------------------------------------------------


def test_the_page_draws_each_report_beside_its_table(client_a, tenant_a):
    invoice_issue(tenant=tenant_a, data=CASES["temel_tevkifat"])
    invoice_issue(tenant=tenant_a, data=payload())
    response = english(client_a).get(reverse("portal:reports", args=[tenant_a.identifier]), {"from": WHOLE.start, "to": WHOLE.end})
    assert response.status_code == 200
    page = response.content.decode()
    for name in REPORTS:
        assert f'data-report="{name}"' in page
    drawn = [n for n in REPORTS if rows(tenant_a, n)]
    assert drawn == [n for n in REPORTS if n != "suppliers"]  # nothing was received: nothing to draw
    assert page.count("<svg") == len(drawn) and page.count('<rect class="bar"') == sum(len(rows(tenant_a, n)) for n in REPORTS)
    assert "Nothing in this range." in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/portal.js" defer>']  # the charts need none of their own


def test_a_bad_period_on_the_page_is_said(client_a, tenant_a):
    response = english(client_a).get(reverse("portal:reports", args=[tenant_a.identifier]), {"granularity": "year"})
    assert response.status_code == 400 and "granularity must be month or day" in response.content.decode()


def test_csv_and_xlsx_hold_the_table(client_a, tenant_a):
    invoice_issue(tenant=tenant_a, data=payload())
    invoice_issue(tenant=tenant_a, data=payload(currency="EUR", exchange_rate="36.1000"))
    table = rows(tenant_a, "invoices")
    url = reverse("portal:report-download", args=[tenant_a.identifier, "invoices", "csv"])
    response = english(client_a).get(url, {"from": WHOLE.start, "to": WHOLE.end})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0] == ["Period", "Direction", "Currency", "Count", "Payable amount", "Tax"]
    assert lines[1:] == [[r["period"], r["direction"], r["currency"], str(r["count"]), str(r["payable"]), str(r["tax"])] for r in table]
    url = reverse("portal:report-download", args=[tenant_a.identifier, "invoices", "xlsx"])
    sheet = load_workbook(io.BytesIO(client_a.get(url, {"from": WHOLE.start, "to": WHOLE.end}).content)).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(v[0], v[3], Decimal(str(v[4]))) for v in values] == [(r["period"], r["count"], r["payable"]) for r in table]


def test_another_tenant_s_reports_are_not_found(client_b, tenant_a):
    assert client_b.get(reverse("portal:reports", args=[tenant_a.identifier])).status_code == 404
    assert client_b.get(reverse("portal:report-download", args=[tenant_a.identifier, "vat", "csv"])).status_code == 404


def test_the_dashboard_links_the_reports(client_a, tenant_a):
    page = client_a.get(reverse("portal:dashboard", args=[tenant_a.identifier])).content.decode()
    assert reverse("portal:reports", args=[tenant_a.identifier]) in page


def test_rebuilding_gives_the_figures_kept_as_they_went(tenant_a, tenant_b):
    from django.core.management import call_command

    from invoices.figures import figures_rebuild
    from reports.models import DayFigure

    issue_varied(tenant_a, count=30)
    receive_varied(tenant_a, tenant_b, count=10)
    kept = {name: rows(tenant_a, name) for name in REPORTS}
    DayFigure.objects.filter(tenant=tenant_a).delete()
    assert rows(tenant_a, "invoices") == []
    assert figures_rebuild(tenant=tenant_a) == 40
    assert {name: rows(tenant_a, name) for name in REPORTS} == kept
    out = io.StringIO()
    call_command("reports_rebuild", "--tenant", tenant_a.identifier, stdout=out)
    assert "40 invoices" in out.getvalue() and {name: rows(tenant_a, name) for name in REPORTS} == kept


def test_the_chart_s_axis_reaches_above_the_highest_bar_and_speaks_turkish():
    import re as regex

    from django.utils import translation

    from reports.charts import Numbers, bar_chart
    from reports.selectors import Chart, Column, Table

    table = Table("t", "T", [Column("period", "P"), Column("payable", "A", "money")],
                  [{"period": "2026-01", "payable": Decimal("23")}, {"period": "2026-02", "payable": Decimal("1234567.89")}],
                  Chart("payable", ("period",)))
    with translation.override("tr"):
        svg = bar_chart(table, {}, Numbers())
    ticks = regex.findall(r'<text class="tick"[^>]*>([^<]+)</text>', svg)
    assert ticks[0] == "0,00" and ticks[-1] == "1.500.000,00"  # round steps, Turkish separators
    heights = [float(h) for h in regex.findall(r'class="bar"[^>]*height="([\d.]+)"', svg)]
    assert heights[1] <= 320 - 28 - 100 and abs(heights[0] / heights[1] - 23 / 1234567.89) < 1e-3
    assert regex.findall(r'data-value="([^"]+)"', svg) == ["23", "1234567.89"]
