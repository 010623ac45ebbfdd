"""Benchmark: documents stored in the archive per second, on the file system and on an S3-protocol
server (moto's, started here on loopback), the rate ``archive_verify`` reads them back, and the
export of them all (one invoice row per document, ``exports.services.export_build``): MB/s of the ZIP
and the peak of Python's heap while it is built (tracemalloc).

Run from the checkout:  .venv/bin/python bench/archive.py [--documents 500] [--size 20000]

Each document is *size* bytes of distinct content, stored one at a time as the pipeline stores
them (``archive.services.document_store``: the object, then its row in the hash chain). The
database is a scratch one, as in bench/pipeline.py (PostgreSQL when DATABASE_URL names one).

Then the same number again in batches, as the pipeline's steps store them (``Writes``: the batch's
objects written several at once, their rows recorded together), with the CPU this process and the
S3 server (on the same two cores here) spent per document.

The chain's cost under load (``--writers N``, PostgreSQL): N threads store at once on the file
store, each document's row recorded in a transaction of its own, as a pipeline step records it
beside the state it moves; once with every thread writing for one tenant (the tenant's row lock
puts their records in one order), once with each thread writing for a tenant of its own (nothing
shared). The difference between the two rates is what the lock costs a busy tenant.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(CHECKOUT))
GOAL_MS = 5.0  # what storing may add to each document of the pipeline


def run(store: str, tenant, documents: int, size: int, settings) -> dict:
    from archive import storage
    from archive.models import Document
    from archive.services import archive_verify, document_store

    storage._store.cache_clear()
    if store == "s3":
        storage.bucket_prepare(client=storage.s3_client(), bucket=settings.ARCHIVE_S3_BUCKET, region=settings.ARCHIVE_S3_REGION)
    padding = os.urandom(size)
    times, stored = [], []
    for number in range(documents):
        data = f"<Invoice n='{store}-{number}'>".encode() + padding
        started = time.perf_counter()
        stored.append(document_store(tenant=tenant, kind=Document.Kind.INVOICE_SEALED, data=data, subject=("invoice", number)))
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    verified = archive_verify(tenant=tenant)
    verify_seconds = time.perf_counter() - started
    assert verified.clean and verified.checked == documents, verified.problems[:3]
    return {"median_ms": statistics.median(times) * 1000, "p95_ms": sorted(times)[int(len(times) * 0.95)] * 1000,
            "per_second": documents / sum(times), "verify_per_second": documents / verify_seconds, **exported(tenant, stored)}


def batched(store: str, tenant, documents: int, size: int, batch: int, server_pid: int | None) -> dict:
    """Documents stored in batches of *batch* as the pipeline's steps store them: every object of the
    batch started at once (``archive.services.Writes``), then their rows recorded in one transaction.
    Beside the wall time per document, the CPU this process spent on each and the CPU the S3 server did."""
    from archive.models import Document
    from archive.services import Writes, documents_record

    padding, wall, cpu, server = os.urandom(size), 0.0, 0.0, _cpu_of(server_pid)
    for first in range(0, documents, batch):
        started, started_cpu = time.perf_counter(), time.process_time()
        writes = Writes(tenant=tenant)
        for number in range(first, min(first + batch, documents)):
            writes.put(f"<Invoice b='{store}-{number}'>".encode() + padding)
        documents_record(puts=[(put, Document.Kind.INVOICE_SEALED, ("invoice", documents + n)) for n, put in enumerate(writes.puts(), first)])
        wall, cpu = wall + time.perf_counter() - started, cpu + time.process_time() - started_cpu
    return {"batch_ms": wall / documents * 1000, "batch_cpu_ms": cpu / documents * 1000,
            "server_cpu_ms": (_cpu_of(server_pid) - server) / documents * 1000 if server_pid else None}


def _cpu_of(pid: int | None) -> float:
    """Seconds of CPU the process *pid* has used (user + system), from /proc."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def chained(tenants: list, writers: int, documents: int, size: int) -> float:
    """Documents per second with *writers* threads storing at once, thread i for ``tenants[i % len(tenants)]``."""
    import threading

    from django.db import connection, transaction

    from archive.models import Document
    from archive.services import document_put, document_record

    padding, each = os.urandom(size), documents // writers
    start = threading.Barrier(writers + 1)

    def write(number: int) -> None:
        tenant = tenants[number % len(tenants)]
        start.wait()
        try:
            for item in range(each):
                put = document_put(tenant=tenant, data=f"<Invoice w='{number}' n='{item}'>".encode() + padding)
                with transaction.atomic():  # the step's transaction: the row recorded beside the state it moves
                    document_record(put=put, kind=Document.Kind.INVOICE_SEALED, subject=("invoice", number * each + item))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return writers * each / (time.perf_counter() - started)


def exported(tenant, stored) -> dict:
    """Every stored document as an invoice of one day, exported: the ZIP's MB/s and the heap's peak."""
    import datetime as dt
    import tracemalloc
    from decimal import Decimal

    from exports.models import Export
    from exports.services import export_build, export_request
    from invoices.models import Invoice

    day = dt.date(2026, 11, 20)
    Invoice.objects.bulk_create([Invoice(
        tenant=tenant, number=f"{tenant.identifier[:3]}2026{n:09d}", profile="TICARIFATURA", type_code="SATIS", issue_date=day,
        currency="TRY", supplier_identifier=tenant.identifier, supplier_name=tenant.title, customer_identifier="4840847211",
        customer_name="Bench Gıda", tax_amount=Decimal("20.00"), payable_amount=Decimal("120.00"), status="delivered", document=document)
        for n, document in enumerate(stored)], batch_size=1000)
    export = export_request(tenant=tenant, period_from=day, period_to=day, via="operator")
    tracemalloc.start()
    started = time.perf_counter()
    export = export_build(export_id=export.id)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert export.state == Export.State.READY, export.error
    return {"export_mb_per_second": export.size / seconds / 2**20, "export_peak_mb": peak / 2**20, "export_mb": export.size / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--size", type=int, default=20_000, help="bytes per document")
    parser.add_argument("--writers", type=int, default=4, help="threads storing at once, for the chain's cost (PostgreSQL)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as name:
        folder = Path(name)
        os.environ.setdefault("VAR_DIR", str(folder / "var"))
        from bench.benchkit import s3_server, scratch_database

        database_url, drop = scratch_database(folder, "archive")
        endpoint, server = s3_server(folder)
        os.environ.update({"DJANGO_SETTINGS_MODULE": "integrator.settings", "DATABASE_URL": database_url})
        try:
            import django

            django.setup()
            from django.conf import settings
            from django.core.management import call_command

            call_command("migrate", "--noinput", verbosity=0)
            from tests.factories import make_tenant

            rows = []
            for store in ("file", "s3"):
                settings.ARCHIVE_STORE, settings.ARCHIVE_DIR = store, folder / "archive"
                settings.ARCHIVE_S3_BUCKET, settings.ARCHIVE_S3_ENDPOINT_URL = "bench-archive", endpoint
                settings.ARCHIVE_S3_ACCESS_KEY_ID = settings.ARCHIVE_S3_SECRET_ACCESS_KEY = "bench"
                tenant = make_tenant("1234567890" if store == "file" else "4840847211", f"Bench {store}", domain=f"{store}.example", prefix=store[:1].upper() * 3)
                row = run(store, tenant, options.documents, options.size, settings)
                row.update(batched(store, tenant, options.documents, options.size, settings.PIPELINE_BATCH, server.pid if store == "s3" else None))
                rows.append((store, row))
            lock = None
            if database_url.startswith("postgres") and options.writers > 1:
                settings.ARCHIVE_STORE = "file"
                from tenants.identifiers import vkn_is_valid

                vkns = (str(n) for n in range(9_000_000_000, 9_100_000_000) if vkn_is_valid(str(n)))
                own = [make_tenant(next(vkns), f"Bench writer {n}", domain=f"w{n}.example", prefix=f"W{chr(65 + n // 26)}{chr(65 + n % 26)}")
                       for n in range(options.writers)]
                lock = {"one": chained(own[:1], options.writers, options.documents, options.size),
                        "own": chained(own, options.writers, options.documents, options.size)}
        finally:
            server.terminate()
            drop()
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"\narchive on {database}: {options.documents} documents of {options.size:,} bytes, one at a time\n")
    print("| store | stored/s | ms per document, median | p95 | goal (added per document) | verify, documents/s | export MB/s | export heap peak MB |")
    print("|---|---|---|---|---|---|---|---|")
    for store, row in rows:
        print(f"| {store} | {row['per_second']:,.0f} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | < {GOAL_MS:.0f} ms "
              f"| {row['verify_per_second']:,.0f} | {row['export_mb_per_second']:.1f} ({row['export_mb']:.0f} MB) | {row['export_peak_mb']:.1f} |")
    print(f"\nin batches of {settings.PIPELINE_BATCH}, as the pipeline's steps store: the batch's objects written "
          f"{settings.ARCHIVE_WRITES_AT_ONCE} at once, then their rows in one transaction\n")
    print("| store | ms per document | goal | this process's CPU, ms per document | the S3 server's CPU, ms per document |")
    print("|---|---|---|---|---|")
    for store, row in rows:
        server_cpu = f"{row['server_cpu_ms']:.1f}" if row["server_cpu_ms"] is not None else "–"
        print(f"| {store} | {row['batch_ms']:.1f} | < {GOAL_MS:.0f} ms | {row['batch_cpu_ms']:.1f} | {server_cpu} |")
    if lock:
        print(f"\nthe chain's lock: {options.writers} writers at once, file store, {options.documents} documents\n")
        print("| writers store for | documents/s | ms per document |")
        print("|---|---|---|")
        print(f"| one tenant (its row lock orders them) | {lock['one']:,.0f} | {1000 / lock['one']:.1f} |")
        print(f"| a tenant each (nothing shared) | {lock['own']:,.0f} | {1000 / lock['own']:.1f} |")
        print(f"\nthe lock costs a busy tenant {100 * (1 - lock['one'] / lock['own']):.0f} % of the rate")


if __name__ == "__main__":
    main()
