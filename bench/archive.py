"""Benchmark: documents stored in the archive per second, on the file system and on an S3-protocol
server (moto's, started here on loopback), and the rate ``archive_verify`` reads them back.

Run from the checkout:  .venv/bin/python bench/archive.py [--documents 500] [--size 20000]

Each document is *size* bytes of distinct content, stored one at a time as the pipeline stores
them (``archive.services.document_store``: the object, then its row in the hash chain). The
database is a scratch one, as in bench/pipeline.py (PostgreSQL when DATABASE_URL names one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(CHECKOUT))
GOAL_MS = 5.0  # what storing may add to each document of the pipeline


def moto_server(folder: Path) -> tuple[str, subprocess.Popen]:
    from bench.pipeline import free_port

    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=(folder / "moto.log").open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            return url, server
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto's server did not start")


def run(store: str, tenant, documents: int, size: int, settings) -> dict:
    from archive import storage
    from archive.models import Document
    from archive.services import archive_verify, document_store

    storage._store.cache_clear()
    if store == "s3":
        storage.bucket_prepare(client=storage.s3_client(), bucket=settings.ARCHIVE_S3_BUCKET, region=settings.ARCHIVE_S3_REGION)
    padding = os.urandom(size)
    times = []
    for number in range(documents):
        data = f"<Invoice n='{store}-{number}'>".encode() + padding
        started = time.perf_counter()
        document_store(tenant=tenant, kind=Document.Kind.INVOICE_SEALED, data=data, subject=("invoice", number))
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    verified = archive_verify(tenant=tenant)
    verify_seconds = time.perf_counter() - started
    assert verified.clean and verified.checked == documents, verified.problems[:3]
    return {"median_ms": statistics.median(times) * 1000, "p95_ms": sorted(times)[int(len(times) * 0.95)] * 1000,
            "per_second": documents / sum(times), "verify_per_second": documents / verify_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--size", type=int, default=20_000, help="bytes per document")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as name:
        folder = Path(name)
        os.environ.setdefault("VAR_DIR", str(folder / "var"))
        from bench.pipeline import scratch_database

        database_url, drop = scratch_database(folder, "archive")
        endpoint, server = moto_server(folder)
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
                rows.append((store, run(store, tenant, options.documents, options.size, settings)))
        finally:
            server.terminate()
            drop()
    database = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"\narchive on {database}: {options.documents} documents of {options.size:,} bytes, one at a time\n")
    print("| store | stored/s | ms per document, median | p95 | goal (added per document) | verify, documents/s |")
    print("|---|---|---|---|---|---|")
    for store, row in rows:
        print(f"| {store} | {row['per_second']:,.0f} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | < {GOAL_MS:.0f} ms | {row['verify_per_second']:,.0f} |")


if __name__ == "__main__":
    main()
