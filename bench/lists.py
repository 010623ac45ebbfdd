"""Benchmark: the portal's list pages with a tenant of 100,000 invoices, as a person reads them.

Run from the checkout:  DATABASE_URL=postgres://… .venv/bin/python bench/lists.py [--invoices 100000] [--times 40]

One tenant holds every generated invoice (bench/search.py's rows: three in four outgoing, over ten
years, 50,000 counterparties). A logged-in accountant asks for each page through Django's test client,
the whole of it: the session, the membership, the filters, the count (to ``COUNT_CAP``), the keyset
page, what needs a person and the template. Deep pages are reached by following the "next" links, as
a person does; each kind of page is asked ``--times`` times. The table gives p50 and p95 in
milliseconds beside the goal. The database is a scratch one (PostgreSQL when DATABASE_URL names one).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(CHECKOUT))
GOAL_P95_MS = 300.0
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')


def pages(identifier: str) -> dict[str, str]:
    outgoing, inbox = f"/t/{identifier}/invoices/", f"/t/{identifier}/inbox/"
    return {
        "outgoing, first page": outgoing,
        "outgoing, sorted by amount": f"{outgoing}?sort=-amount",
        "outgoing, by customer name": f"{outgoing}?sort=customer",
        "outgoing, a month": f"{outgoing}?date_from=2021-03-01&date_to=2021-03-31",
        "outgoing, a word": f"{outgoing}?search=tekstil",
        "inbox, first page": inbox,
        "inbox, awaiting an answer": f"{inbox}?awaiting=on",
    }


def timed(client, url: str, times: int) -> tuple[float, float]:
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        response = client.get(url)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    seconds.sort()
    return statistics.median(seconds) * 1000, seconds[int(len(seconds) * 0.95)] * 1000


def deep(client, url: str, depth: int) -> str:
    """The address of the *depth*-th page, reached by following "next" from *url*."""
    for _ in range(depth):
        found = NEXT.search(client.get(url).content.decode())
        url = url.split("?")[0] + found.group(1).replace("&amp;", "&")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--times", type=int, default=40, help="requests of each kind of page")
    options = parser.parse_args()
    rng = random.Random(16)
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as name:
        folder = Path(name)
        os.environ.setdefault("VAR_DIR", str(folder / "var"))
        from bench.benchkit import scratch_database

        database_url, drop = scratch_database(folder, "lists")
        os.environ.update({"DJANGO_SETTINGS_MODULE": "integrator.settings", "DATABASE_URL": database_url})
        try:
            import django

            django.setup()
            from django.core.management import call_command
            from django.test import Client
            from django.test.utils import setup_test_environment

            from bench.search import generate
            from tests.factories import make_tenant, make_user

            setup_test_environment()
            from django.conf import settings

            # the pages' stylesheet by its plain name, as in the tests (no collectstatic for a bench)
            settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
            call_command("migrate", "--noinput", verbosity=0)
            tenant = make_tenant("1234567890", "Bench Tekstil A.Ş.", domain="bench.example", prefix="ABC")
            started = time.perf_counter()
            generate(tenant, options.invoices, rng)
            generated = time.perf_counter() - started
            client = Client()
            client.force_login(make_user(tenant=tenant, role="accountant"))
            urls = pages(tenant.identifier)
            urls["outgoing, page 40 (by next)"] = deep(client, urls["outgoing, first page"], 39)
            rows = [(label, *timed(client, url, options.times)) for label, url in urls.items()]
        finally:
            drop()
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"\nportal lists on {database}: {options.invoices:,} invoices of one tenant (written and indexed in {generated:.0f} s), "
          f"{options.times} requests of each page, whole pages through Django's test client\n")
    print("| page | p50 ms | p95 ms | goal p95 |")
    print("|---|---|---|---|")
    for label, p50, p95 in rows:
        print(f"| {label} | {p50:.1f} | {p95:.1f} | < {GOAL_P95_MS:.0f} ms |")


if __name__ == "__main__":
    main()
