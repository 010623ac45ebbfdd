"""Benchmark: the reports page and API with a tenant of 1,000,000 invoices on PostgreSQL.

Run from the checkout:  DATABASE_URL=postgres://… .venv/bin/python bench/reports.py [--invoices 1000000] [--times 30]

The invoices are written by PostgreSQL itself (INSERT … SELECT over generate_series, their values
drawn from hashes of the row number): three years of them, three in four outgoing, 2,000
counterparties, TRY, USD and EUR, KDV at 20, 10, 1 and 0 %, one in ten with tevkifat, every status of
the pipeline with GİB's codes. Each invoice's tax subtotals go beside it; then the day figures are
summed from them once (``figures_rebuild``), as ``manage.py reports_rebuild`` does. A logged-in
accountant asks for the reports page (all eight reports, charts and tables) over the last twelve
months by month and over the last month by day, and an API key asks for each report; each is asked
``--times`` times. The table gives p50 and p95 in milliseconds beside the goal. The database is a
scratch one, dropped at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(CHECKOUT))
GOAL_P95_MS = 500.0
YEARS = 3
PARTIES = 2000

# One row per invoice: h(k) is a stable pseudo-random number in [0, 1000) of row n and stream k.
GENERATED = """
WITH g AS (
  SELECT n, h1, h2, h3, h4, h5,
         CASE WHEN h1 < 750 THEN 'out' ELSE 'in' END AS direction,
         (%(start)s::date + (n::bigint * %(days)s / %(total)s)::int) AS issue_date,
         CASE WHEN h2 < 800 THEN 'TRY' WHEN h2 < 900 THEN 'USD' ELSE 'EUR' END AS currency,
         (ARRAY[20, 20, 20, 10, 10, 1, 0])[1 + h3 %% 7]::numeric AS rate,
         CASE WHEN h4 < 100 THEN 'TEVKIFAT' WHEN h4 < 130 THEN 'IADE' ELSE 'SATIS' END AS type_code,
         (ARRAY['TICARIFATURA', 'TEMELFATURA', 'EARSIVFATURA'])[1 + h5 %% 3] AS profile,
         round((10 + (hashint8extended(n, 6) & 65535) * 7.77)::numeric, 2) AS taxable,
         '7' || lpad(((hashint8extended(n, 7) & 2147483647) %% %(parties)s)::text, 9, '0') AS party
  FROM (SELECT n, (hashint8extended(n, 1) & 2147483647) %% 1000 AS h1, (hashint8extended(n, 2) & 2147483647) %% 1000 AS h2,
               (hashint8extended(n, 3) & 2147483647) %% 1000 AS h3, (hashint8extended(n, 4) & 2147483647) %% 1000 AS h4,
               (hashint8extended(n, 5) & 2147483647) %% 1000 AS h5
        FROM generate_series(%(first)s, %(last)s) n) r
), t AS (
  SELECT g.*, round(taxable * rate / 100, 2) AS tax,
         CASE WHEN type_code = 'TEVKIFAT' THEN round(round(taxable * rate / 100, 2) * 0.9, 2) ELSE 0 END AS withheld,
         CASE WHEN direction = 'out' THEN
           (ARRAY['delivered', 'delivered', 'delivered', 'delivered', 'accepted', 'accepted', 'kept', 'sent', 'failed', 'held',
                  'invalid', 'rejected'])[1 + h1 %% 12]
         ELSE (ARRAY['received', 'accepted', 'accepted', 'rejected'])[1 + h2 %% 4] END AS status
  FROM g
), ins AS (
  INSERT INTO invoices_invoice (tenant_id, uuid, number, direction, profile, type_code, issue_date, currency, supplier_identifier,
      supplier_name, customer_identifier, customer_name, tax_amount, payable_amount, status, channel, routing_reason, receiver_alias,
      sender_alias, gib_code, sends, never_resend, errors, answer, answer_reason, xml_sha256, search_text, created_at, updated_at)
  SELECT %(tenant)s, md5(n::text)::uuid, CASE WHEN direction = 'out' THEN 'ABC' ELSE 'XYZ' END || lpad(n::text, 13, '0'), direction,
         profile, type_code, issue_date, currency,
         CASE WHEN direction = 'out' THEN %(vkn)s ELSE party END, CASE WHEN direction = 'out' THEN %(title)s ELSE 'Tedarikçi ' || party END,
         CASE WHEN direction = 'out' THEN party ELSE %(vkn)s END, CASE WHEN direction = 'out' THEN 'Müşteri ' || party ELSE %(title)s END,
         tax, taxable + tax - withheld, status, 'efatura', '', '', '',
         CASE WHEN status IN ('delivered', 'accepted', 'rejected') AND direction = 'out' THEN 1300 WHEN status = 'sent' THEN 1200
              WHEN status = 'failed' THEN 1160 END,
         1, false, '[]', '', '', '', '', now(), now()
  FROM t RETURNING id, number
)
INSERT INTO invoices_invoicetax (invoice_id, withholding, code, percent, taxable, amount)
SELECT ins.id, w.withholding, w.code, w.percent, w.taxable, w.amount
FROM ins JOIN t ON ins.number = CASE WHEN t.direction = 'out' THEN 'ABC' ELSE 'XYZ' END || lpad(t.n::text, 13, '0')
CROSS JOIN LATERAL (VALUES (false, '0015', t.rate, t.taxable, t.tax), (true, '606', 90::numeric, t.tax, t.withheld)) w(withholding, code, percent, taxable, amount)
WHERE NOT w.withholding OR t.type_code = 'TEVKIFAT'
"""


def generate(tenant, invoices: int, start: dt.date, days: int) -> None:
    from django.db import connection, transaction

    step = 200_000
    with connection.cursor() as cursor:
        for first in range(1, invoices + 1, step):
            with transaction.atomic():
                cursor.execute(GENERATED, {"start": start, "days": days, "total": invoices, "first": first, "last": min(first + step - 1, invoices),
                                           "tenant": tenant.id, "vkn": tenant.identifier, "title": tenant.title, "parties": PARTIES})
        cursor.execute("VACUUM ANALYZE invoices_invoice")
        cursor.execute("VACUUM ANALYZE invoices_invoicetax")


def timed(client, url: str, times: int, **headers) -> tuple[float, float]:
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        response = client.get(url, **headers)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    seconds.sort()
    return statistics.median(seconds) * 1000, seconds[min(len(seconds) - 1, int(len(seconds) * 0.95))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--times", type=int, default=30, help="requests of each page and report")
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench/reports.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as name:
        folder = Path(name)
        os.environ.setdefault("VAR_DIR", str(folder / "var"))
        from bench.benchkit import scratch_database

        database_url, drop = scratch_database(folder, "reports")
        os.environ.update({"DJANGO_SETTINGS_MODULE": "integrator.settings", "DATABASE_URL": database_url})
        try:
            import django

            django.setup()
            from django.conf import settings
            from django.core.management import call_command
            from django.db import connection
            from django.test import Client
            from django.test.utils import setup_test_environment
            from django.utils import timezone

            from invoices.figures import figures_rebuild
            from reports.models import DayFigure, DayParty, DayTax
            from reports.selectors import REPORTS
            from tenants.api_keys import api_key_create
            from tests.factories import make_tenant, make_user

            setup_test_environment()
            settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
            call_command("migrate", "--noinput", verbosity=0)
            tenant = make_tenant("1234567890", "Bench Tekstil A.Ş.", domain="bench.example", prefix="ABC")
            today = timezone.localdate()
            days = 365 * YEARS
            started = time.perf_counter()
            generate(tenant, options.invoices, today - dt.timedelta(days=days - 1), days)
            generated = time.perf_counter() - started
            started = time.perf_counter()
            figures_rebuild(tenant=tenant)
            with connection.cursor() as cursor:
                for table in ("reports_dayfigure", "reports_dayparty", "reports_daytax"):
                    cursor.execute(f"VACUUM ANALYZE {table}")
            summed = time.perf_counter() - started
            sizes = {m.__name__: m.objects.filter(tenant=tenant).count() for m in (DayFigure, DayParty, DayTax)}
            client = Client()
            client.force_login(make_user(tenant=tenant, role="accountant"))
            _key, raw = api_key_create(tenant=tenant, name="bench", scopes=["read"])
            page = f"/t/{tenant.identifier}/reports/"
            month_ago = (today - dt.timedelta(days=30)).isoformat()
            rows = [
                ("page, 12 months by month (8 reports)", *timed(client, page, options.times)),
                ("page, 30 days by day (8 reports)", *timed(client, f"{page}?granularity=day&from={month_ago}", options.times)),
                ("page, 3 years by month (8 reports)",
                 *timed(client, f"{page}?from={(today - dt.timedelta(days=days - 1)).isoformat()}", options.times)),
            ]
            for name in REPORTS:
                rows.append((f"API {name}, 12 months by month", *timed(client, f"/api/v1/reports/{name}", options.times,
                                                                        HTTP_AUTHORIZATION=f"Api-Key {raw}")))
            rows.append(("API invoices, 30 days by day", *timed(client, f"/api/v1/reports/invoices?granularity=day&from={month_ago}",
                                                              options.times, HTTP_AUTHORIZATION=f"Api-Key {raw}")))
            rows.append(("CSV customers, 12 months", *timed(client, f"{page}customers.csv", options.times)))
        finally:
            drop()
    print(f"\nreports on PostgreSQL: {options.invoices:,} invoices of one tenant over {YEARS} years (written in {generated:.0f} s, "
          f"day figures summed in {summed:.0f} s: {', '.join(f'{k} {v:,}' for k, v in sizes.items())} rows), "
          f"{options.times} requests of each, whole responses through Django's test client\n")
    print("| request | p50 ms | p95 ms | goal p95 |")
    print("|---|---|---|---|")
    for label, p50, p95 in rows:
        print(f"| {label} | {p50:.1f} | {p95:.1f} | < {GOAL_P95_MS:.0f} ms |")


if __name__ == "__main__":
    main()
