"""Benchmark: searching a tenant's invoices at scale, as the API and the portal search them.

Run from the checkout:  DATABASE_URL=postgres://… .venv/bin/python bench/search.py [--invoices 1000000]

One tenant holds every generated invoice (the worst case: a search is always within one tenant),
outgoing and incoming, with 50,000 counterparties whose names are made of Turkish words. Each kind of
search runs with different values each time; the table gives its p50 and p95 in milliseconds:

- API: ``GET /api/v1/invoices?…``'s query, the first cursor page (``invoices_of`` in ``InvoiceCursor``'s order);
- portal: the search page's query, its count (to ``COUNT_CAP``) and its first page.

The database is a scratch one, as in bench/pipeline.py (PostgreSQL when DATABASE_URL names one).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(CHECKOUT))
GOAL_P95_MS = 200.0
WORDS = ("Anadolu Akdeniz Boğaziçi Çağdaş Doğu Ege Eskişehir Güneş Işık İstanbul Kardeşler Marmara Öz Özgür Şişli Tekstil Gıda "
         "Yapı İnşaat Otomotiv Lojistik Kırtasiye Mobilya Enerji Elektrik Tarım Sağlık Turizm Yazılım Bilişim Metal Plastik "
         "Kimya Ticaret Sanayi Petrol Madencilik Denizcilik Çelik Kağıt Ambalaj Medikal Eczane Optik Kuyumculuk Zeytin "
         "Fındık Pamuk Halı Seramik Cam Döküm Makine Rüzgar Su Demir Bakır Altın Gümüş Yıldız Ay Deniz Orman Dağ Pınar").split()
FORMS = ("A.Ş.", "Ltd. Şti.", "San. ve Tic. A.Ş.", "Tic. Ltd. Şti.")
START = dt.date(2016, 1, 1)


def counterparties(count: int, rng: random.Random) -> list[tuple[str, str]]:
    return [(f"{rng.randrange(10**9, 10**10)}", f"{' '.join(rng.sample(WORDS, 3))} {rng.choice(FORMS)}") for _ in range(count)]


def generate(tenant, invoices: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """*invoices* rows of *tenant* written with COPY; the (number, ETTN, VKN) of a sample of them."""
    from django.db import connection

    from invoices.search import search_text

    parties, sample = counterparties(50_000, rng), []
    columns = ("tenant_id uuid number direction profile type_code issue_date currency supplier_identifier supplier_name "
               "customer_identifier customer_name tax_amount payable_amount status channel routing_reason receiver_alias "
               "sender_alias gib_code sends never_resend errors answer answer_reason xml xml_sha256 search_text created_at updated_at").split()
    now = dt.datetime.now(dt.UTC)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY invoices_invoice ({', '.join(columns)}) FROM STDIN") as copy:
        for n in range(invoices):
            identifier, name = rng.choice(parties)
            direction = "out" if n % 4 else "in"
            number, ettn = f"{'ABC' if direction == 'out' else 'XYZ'}{2016 + n * 10 // invoices}{n:09d}", uuid.uuid4()
            ours, theirs = (tenant.identifier, tenant.title), (identifier, name)
            supplier, customer = (ours, theirs) if direction == "out" else (theirs, ours)
            amount = Decimal(rng.randrange(100, 10_000_000)) / 100
            status, code = ("delivered", 1300) if direction == "out" else ("accepted", None)
            copy.write_row((tenant.id, ettn, number, direction, rng.choice(("TICARIFATURA", "TEMELFATURA", "EARSIVFATURA")), "SATIS",
                            START + dt.timedelta(days=n * 3650 // invoices), rng.choice(("TRY",) * 8 + ("EUR", "USD")), *supplier, *customer,
                            amount / 6, amount, status, "efatura", "", "", "", code, 1, False, "[]", "", "", b"", "",
                            search_text(number=number, uuid=ettn, identifier=identifier, name=name), now, now))
            if n % (invoices // 1000 or 1) == 0:
                sample.append((number, str(ettn), identifier))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE invoices_invoice")
    return sample


def searches(sample, rng: random.Random) -> dict:
    """Each kind of search, as a function of the run's random source giving its filters."""
    from invoices.selectors import InvoiceFilter

    def day():
        return START + dt.timedelta(days=rng.randrange(3650 - 31))

    def month():
        first = day()
        return {"issued_from": first, "issued_to": first + dt.timedelta(days=30)}

    return {
        "number": lambda: InvoiceFilter(search=rng.choice(sample)[0]),
        "ETTN": lambda: InvoiceFilter(search=rng.choice(sample)[1].upper()),
        "VKN": lambda: InvoiceFilter(search=rng.choice(sample)[2]),
        "one name word": lambda: InvoiceFilter(search=rng.choice(WORDS).upper()),
        "two name words": lambda: InvoiceFilter(search=" ".join(rng.sample(WORDS, 2))),
        "a word, a month": lambda: InvoiceFilter(search=rng.choice(WORDS), **month()),
        "a month": lambda: InvoiceFilter(**month()),
        "amount range": lambda: InvoiceFilter(amount_min=Decimal(rng.randrange(1000, 90_000)), amount_max=Decimal(rng.randrange(90_000, 95_000))),
        "EUR, a month": lambda: InvoiceFilter(currency="EUR", **month()),
        "nothing matches": lambda: InvoiceFilter(search=f"yok{rng.randrange(10**6)}"),
    }


def timed(function, times: int) -> tuple[float, float]:
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    return statistics.median(seconds) * 1000, seconds[int(len(seconds) * 0.95)] * 1000


def measure(tenant, sample, times: int, rng: random.Random) -> list[tuple[str, float, float, float, float]]:
    from invoices.apis import InvoiceCursor
    from invoices.selectors import invoices_of
    from invoices.views import PER_PAGE, CappedPaginator

    rows = []
    for label, filters in searches(sample, rng).items():
        def api():
            ordered = invoices_of(tenant=tenant, direction="out", filters=filters()).order_by(*InvoiceCursor.ordering)
            return list(ordered[: InvoiceCursor.page_size + 1])

        def portal():
            ordered = invoices_of(tenant=tenant, direction=None, filters=filters()).order_by("-issue_date", "-id")
            page = CappedPaginator(ordered, PER_PAGE).get_page(1)
            return page.paginator.count, list(page)

        rows.append((label, *timed(api, times), *timed(portal, times)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--times", type=int, default=40, help="runs of each kind of search")
    options = parser.parse_args()
    rng = random.Random(14)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as name:
        folder = Path(name)
        os.environ.setdefault("VAR_DIR", str(folder / "var"))
        from bench.benchkit import scratch_database

        database_url, drop = scratch_database(folder, "search")
        os.environ.update({"DJANGO_SETTINGS_MODULE": "integrator.settings", "DATABASE_URL": database_url})
        try:
            import django

            django.setup()
            from django.core.management import call_command

            call_command("migrate", "--noinput", verbosity=0)
            from tests.factories import make_tenant

            tenant = make_tenant("1234567890", "Bench Tekstil A.Ş.", domain="bench.example", prefix="ABC")
            started = time.perf_counter()
            sample = generate(tenant, options.invoices, rng)
            generated = time.perf_counter() - started
            rows = measure(tenant, sample, options.times, rng)
        finally:
            drop()
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"\nsearch on {database}: {options.invoices:,} invoices of one tenant (written and indexed in {generated:.0f} s), "
          f"{options.times} runs of each\n")
    print("| search | API p50 ms | API p95 ms | portal (count + page) p50 ms | portal p95 ms | goal p95 |")
    print("|---|---|---|---|---|---|")
    for label, api50, api95, portal50, portal95 in rows:
        print(f"| {label} | {api50:.1f} | {api95:.1f} | {portal50:.1f} | {portal95:.1f} | < {GOAL_P95_MS:.0f} ms |")


if __name__ == "__main__":
    main()
