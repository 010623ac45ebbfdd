"""Benchmark: a bulk upload of a ZIP of UBL-TR invoices, from the upload to every invoice issued
(validated and numbered; sealing and sending follow in the pipeline, and are not timed here).

Run from the checkout:  .venv/bin/python bench/upload.py [--invoices 1000] [--profile]
On PostgreSQL:          DATABASE_URL=postgres://postgres@127.0.0.1:5432/integrator_bench .venv/bin/python bench/upload.py

The database is the one DATABASE_URL names (a scratch database beside it, dropped after) or SQLite
under VAR_DIR (a temporary folder unless VAR_DIR is set); the broker is REDIS_URL's or the embedded
default's filesystem broker, where the issued invoices' validation is queued for the pipeline. Tenant
A, as the tests make it, uploads one ZIP of ``--invoices`` TICARIFATURA invoices to B (each with its
own ETTN, as an ERP writes them): the upload is read as the portal's request reads it
(``uploads.services.upload_create``), then run as its worker runs it (``uploads.services.upload_run``),
in this process. The table gives each phase's time beside the goal; ``--profile`` adds the time of each
step of one file (the median over the upload) and cProfile's heaviest functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
import zipfile
from pathlib import Path

from benchkit import in_var_dir, scratch_database

CHECKOUT = Path(__file__).resolve().parent.parent

GOAL_SECONDS = 60.0


def setup_django(database_url: str) -> None:
    os.environ.update({"DJANGO_SETTINGS_MODULE": "integrator.settings", "DATABASE_URL": database_url})
    os.environ.pop("CELERY_TASK_ALWAYS_EAGER", None)
    sys.path.insert(0, str(CHECKOUT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("gib_package", "install", "--if-missing", stdout=io.StringIO())


def tenant():
    from tests.factories import make_tenant, register_customers

    register_customers()
    return make_tenant("1234567890", "A Tekstil A.Ş.", domain="a-tekstil.com.tr", prefix="AAA")


def archive(tenant, count: int) -> bytes:
    from tests.upload_fixtures import ubl_file

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as made:
        for number in range(1, count + 1):
            made.writestr(f"fatura-{number:05d}.xml", ubl_file(tenant, number))
    return out.getvalue()


def steps(upload, samples: int) -> dict[str, float]:
    """The median time of each step of one file, over *samples* files of the upload (run again on copies)."""
    from invoices.services import draft_from_xml, draft_preview
    from schematron.validation import validate
    from uploads.models import UploadFile

    times: dict[str, list[float]] = {"validate as it came": [], "read (draft_from_xml)": [], "validate as issued": []}
    for file in UploadFile.objects.filter(upload=upload).order_by("position")[:samples]:
        xml = bytes(file.data)
        for label, step in (("validate as it came", lambda: validate(xml)), ("read (draft_from_xml)", lambda: draft_from_xml(tenant=upload.tenant, xml=xml))):
            start = time.perf_counter()
            result = step()
            times[label].append(time.perf_counter() - start)
        start = time.perf_counter()
        draft_preview(draft=result)
        times["validate as issued"].append(time.perf_counter() - start)
    return {label: statistics.median(values) for label, values in times.items()}


def bench(folder: Path, options: argparse.Namespace) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["VAR_DIR"] = str(folder)
    url, drop = scratch_database(folder, "upload")
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    broker = "Redis" if os.environ.get("REDIS_URL") else "filesystem broker"
    try:
        setup_django(url)
        from invoices.models import Invoice
        from uploads.models import UploadFile
        from uploads.services import upload_create, upload_run

        a = tenant()
        data = archive(a, options.invoices)
        from schematron.validation import validate

        validate(b"<x/>")  # GİB's rules loaded once per process, as a worker has them
        started = time.perf_counter()
        upload = upload_create(tenant=a, user=None, sources=[("faturalar.zip", data)])
        read = time.perf_counter() - started
        sampled = steps(upload, 20) if options.profile else {}
        profiler = cProfile.Profile() if options.profile else None
        run_started = time.perf_counter()
        if profiler:
            profiler.enable()
        upload_run(upload_id=upload.id)
        if profiler:
            profiler.disable()
        ran = time.perf_counter() - run_started
        issued = Invoice.objects.filter(tenant=a).count()
        refused = UploadFile.objects.filter(upload=upload, state="refused").count()
        total = read + ran
        print(f"\nbulk upload of a ZIP of {options.invoices:,} UBL-TR invoices ({len(data) / 2**20:.1f} MB) on {database} + {broker}, "
              f"{os.cpu_count()} CPUs, one worker process\n")
        print(f"| {'phase':<36} | {'today':>10} | {'goal':>10} |")
        print(f"|{'-' * 38}|{'-' * 12}|{'-' * 12}|")
        print(f"| {'read the upload (the request)':<36} | {read:>8.1f} s | {'':>10} |")
        print(f"| {'check and issue every file (worker)':<36} | {ran:>8.1f} s | {'':>10} |")
        print(f"| {'upload → all issued':<36} | {total:>8.1f} s | {f'< {GOAL_SECONDS:.0f} s':>10} |")
        print(f"| {'per file':<36} | {total / options.invoices * 1000:>7.1f} ms | {GOAL_SECONDS / 1000 * 1000:>7.1f} ms |")
        print(f"| {'issued / refused':<36} | {f'{issued} / {refused}':>10} | {f'{options.invoices} / 0':>10} |")
        for label, seconds in sampled.items():
            print(f"| {'  one file: ' + label:<36} | {seconds * 1000:>7.1f} ms | {'':>10} |")
        if profiler:
            print()
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)
    finally:
        from django.db import connections

        connections.close_all()
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="the time of each step of one file, and cProfile's heaviest functions")
    in_var_dir(bench, parser.parse_args(), "upload")


if __name__ == "__main__":
    main()
