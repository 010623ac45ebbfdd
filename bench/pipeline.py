"""Benchmark: invoices per second from issue to 1300 through the local GİB hub, each stage's median,
and the user-list import rate.

Run from the checkout:  VAR_DIR=/tmp/benchpipe .venv/bin/python bench/pipeline.py [--invoices 50] [--users 100000] [--archive s3]
                        [--workers N] [--concurrency C]

The platform runs as `make run` runs it, in processes of its own: gunicorn (4 sync workers, as
the Procfile says) serving the hub and the receiving endpoint, one Celery worker (prefork, concurrency
2; ``--workers`` and ``--concurrency`` start others) and beat. The database is the one DATABASE_URL
names (PostgreSQL: a scratch database beside it, dropped after) or SQLite under VAR_DIR; the broker
is REDIS_URL's (give the bench a Redis database of its own: its worker takes whatever is queued
there) or the filesystem broker under VAR_DIR.

Tenant A submits N invoices to tenant B, one after the other from this process; the table gives, per
stage, the median latency from one state to the next in that run (queueing included), then each
stage's work per invoice run in this process on batches of ``--in-process`` more invoices (as workers
take a burst; the median of three) and on one invoice alone, beside the goals. Polling is fast
(first after 1 s, at most 2 s apart), as in the tests.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchkit import cpu_by_process, free_port, in_var_dir, s3_server, scratch_database, wait_http

CHECKOUT = Path(__file__).resolve().parent.parent
TIMINGS = {"GIB_POLL_FIRST": "1", "GIB_POLL_MAX": "2", "GIB_POLL_TICK": "1", "GIB_HUB_RETRY_DELAY": "1"}
STAGES = [  # (label, from status, to status); "issued" is the invoice's creation
    ("validate", "issued", "valid"),
    ("seal", "valid", "sealed"),
    ("envelope (pack)", "sealed", "queued"),
    ("send", "queued", "sent"),
    ("poll-to-1300", "sent", "delivered"),
]


def archive_on_s3(folder: Path) -> subprocess.Popen:
    """moto's S3 server, and this process's environment (which the platform's processes inherit) pointed at a bucket of it."""
    endpoint, server = s3_server(folder)
    os.environ.update({"ARCHIVE_STORE": "s3", "ARCHIVE_S3_BUCKET": "bench-pipeline", "ARCHIVE_S3_ENDPOINT_URL": endpoint,
                       "ARCHIVE_S3_ACCESS_KEY_ID": "bench", "ARCHIVE_S3_SECRET_ACCESS_KEY": "bench"})
    return server


def setup_django(database_url: str, service_url: str) -> None:
    sys.path.insert(0, str(CHECKOUT))
    os.environ.update({"DJANGO_SETTINGS_MODULE": "integrator.settings", "DATABASE_URL": database_url,
                       "GIB_SERVICE_URL": service_url, **TIMINGS})
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("gib_package", "install", "--if-missing", stdout=io.StringIO())


@contextmanager
def platform(port: int, folder: Path, workers: int = 1, concurrency: int = 2) -> Iterator:
    """gunicorn, *workers* Celery workers of *concurrency* processes each and beat on the bench's
    settings; all killed at the end."""
    from django.conf import settings

    from tests.worker_fixtures import CeleryProcesses, celery_env, tail

    env = {**celery_env(service_url=settings.GIB_SERVICE_URL, trust_roots=settings.SEAL_TRUST_ROOTS,
                        packages_root=settings.GIB_PACKAGES_ROOT),
           **TIMINGS, "PIPELINE_SWEEP_AFTER": "300", "CELERY_VISIBILITY_TIMEOUT": "3600"}  # the defaults: no sweeps
    processes = CeleryProcesses(env, folder)
    web_log = folder / "web.log"
    with web_log.open("wb") as out:
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "integrator.wsgi", "--bind", f"127.0.0.1:{port}",
                                "--workers", "4"], cwd=CHECKOUT, env=env, stdout=out,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", web, web_log)
        for _ in range(workers):
            processes.start_worker(concurrency)
        processes.start_beat()
        yield processes
    except BaseException:
        print(processes.tails(30), f"--- web.log\n{tail(web_log, 30)}", sep="\n", file=sys.stderr)
        raise
    finally:
        processes.stop()
        os.killpg(web.pid, signal.SIGKILL)
        web.wait(timeout=10)


def tenants(endpoint: str, folder: Path, invoices: int):
    """A and B as the exchange tests make them: seals under a bench root, credits, registered at the hub."""
    from django.conf import settings

    from gibhub.registry import hub_register
    from signing import pki
    from tenants.ledger import credits_add
    from tests.exchange_fixtures import A_ALIASES, B_ALIASES, equip
    from tests.factories import make_tenant, register_customers

    register_customers()
    a = make_tenant("1234567890", "A Tekstil A.Ş.", domain="a-tekstil.com.tr", prefix="AAA")
    b = make_tenant("4840847211", "B Gıda Ltd. Şti.", domain="b-gida.com.tr", prefix="BBB")
    root = pki.root_ca("Bench Mali Mühür Kök")
    roots = folder / "bench-roots.pem"
    roots.write_bytes(pki.pem(root.certificate))
    settings.SEAL_TRUST_ROOTS = str(roots)
    equip(a, pki.seal(root, identifier=a.identifier, title=a.title), root)
    equip(b, pki.seal(root, identifier=b.identifier, title=b.title), root)
    credits_add(tenant=a, amount=2 * invoices)
    for tenant, aliases in ((a, A_ALIASES), (b, B_ALIASES)):
        hub_register(identifier=tenant.identifier, title=tenant.title, aliases=aliases, endpoint=endpoint)
    return a, b


def profiles(count: int) -> list[str]:
    return [("TEMELFATURA", "TICARIFATURA")[i % 2] for i in range(count)]


def process_group(pid: int, command: str) -> str | None:
    """Which part of the platform a process is, for the CPU table."""
    if pid == os.getpid():
        return "this process: submitting, following"
    if "gunicorn" in command:
        return "gunicorn: the hub, B's endpoint"
    if "celery" in command:
        return "Celery worker" if " worker" in command else "Celery beat" if " beat" in command else None
    if command.startswith("postgres"):
        return "PostgreSQL"
    if command.startswith("redis-server"):
        return "Redis"
    if "moto_server" in command:
        return "moto's S3 server"
    return None


def through_worker(tenant, count: int, seconds: float) -> dict:
    """Submit *count* invoices and follow them to 1300: the run's rate, each stage's latencies and the
    CPU each part of the platform used meanwhile."""
    from invoices.models import Invoice
    from invoices.status import Status
    from pipeline.flow import invoice_submit
    from tests.exchange_fixtures import today_payload

    builds, ids = [], []
    cpu_before = cpu_by_process(process_group)
    for profile in profiles(count):
        started = time.perf_counter()
        ids.append(invoice_submit(tenant=tenant, data=today_payload(profile)).id)
        builds.append(time.perf_counter() - started)
    deadline = time.monotonic() + seconds
    invoices = Invoice.objects.filter(id__in=ids)
    while invoices.filter(status=Status.DELIVERED, gib_code=1300).count() < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"not all at 1300 within {seconds:.0f} s: {sorted(invoices.values_list('status', 'gib_code'))}")
        time.sleep(0.1)
    cpu = cpu_by_process(process_group)
    cpu.subtract(cpu_before)
    return {"builds": builds, "cpu": cpu, **latencies(ids)}


def latencies(ids: list[int]) -> dict:
    """Per stage, the seconds each invoice spent going from one state to the next; and the whole run."""
    from invoices.models import Invoice, StatusChange

    at = {i: {"issued": created} for i, created in Invoice.objects.filter(id__in=ids).values_list("id", "created_at")}
    for invoice_id, status, moment in StatusChange.objects.filter(invoice_id__in=ids).values_list("invoice_id", "to_status", "created_at"):
        at[invoice_id].setdefault(status, moment)
    stages = {label: [(times[end] - times[start]).total_seconds() for times in at.values()] for label, start, end in STAGES}
    first, last = min(t["issued"] for t in at.values()), max(t["delivered"] for t in at.values())
    envelopes = Invoice.objects.filter(id__in=ids).values("envelope").distinct().count()
    return {"stages": stages, "total": [(t["delivered"] - t["issued"]).total_seconds() for t in at.values()],
            "elapsed": (last - first).total_seconds(), "envelopes": envelopes}


def in_process(tenant, count: int) -> dict[str, list[float]]:
    """Each stage's own work per invoice, run here: *count* invoices issued one by one, then taken
    through each step as a worker takes a burst, in one batch (validate, seal), one envelope (pack)
    and its sendDocument to the hub: each step's time divided by the invoices it moved, the median
    of ``BATCHES`` such bursts (the hub may still be finishing the worker run's last envelopes
    beside the first); then the same for one invoice alone. No queue, no other invoice in the way. The worker is stopped first:
    its tasks would take these invoices' steps (a batch takes every invoice waiting)."""
    from envelopes import sending
    from invoices import steps
    from invoices.services import invoice_issue
    from tests.exchange_fixtures import today_payload

    work: dict[str, list[float]] = {}

    def timed(stage: str, operation, invoices: int = 1):
        started = time.perf_counter()
        result = operation()
        work.setdefault(stage, []).append((time.perf_counter() - started) / invoices)
        return result

    for size in (*[count] * BATCHES, 1):
        ids = [timed("build", lambda profile=profile: invoice_issue(tenant=tenant, data=today_payload(profile))).id for profile in profiles(size)]
        label = "" if size > 1 else " alone"
        timed(f"validate{label}", lambda: steps.invoices_validate(invoice_id=ids[0], size=size), size)
        timed(f"seal{label}", lambda: steps.invoices_seal(invoice_id=ids[0], size=size), size)
        envelopes = timed(f"envelope (pack){label}", lambda: sending.envelopes_pack(tenant=tenant), size)
        started = time.perf_counter()
        for envelope in envelopes:
            sending.envelope_send(envelope_id=envelope.id)
        work.setdefault(f"send{label}", []).append((time.perf_counter() - started) / size)
    return work


BATCHES = 3  # bursts timed in-process, their median shown
GOALS = {"validate": "≤ 5", "seal": "≤ 4", "envelope (pack)": "≤ 2 with send", "send": "≤ 2 with pack"}
RATE_GOAL = 50  # invoices a second, issue → 1300, with 1,000 invoices
WORK_GOAL = 15  # ms of in-process work an invoice on the sending side


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:,.1f}" if values else "—"


def report(count: int, run: dict, work: dict, samples: int) -> None:
    print(f"\n{count} invoices A → B, issue → 1300: {run['elapsed']:.1f} s, {count / run['elapsed']:.2f} invoices/s "
          f"(goal ≥ {RATE_GOAL}) in {run['envelopes']} envelope{'s' if run['envelopes'] != 1 else ''}\n")
    print(f"| {'stage':<17} | {'latency ms, worker run':>22} | {f'work ms/invoice, batch of {samples}':>29} | {'goal':>13} | {'one alone':>9} |")
    print(f"|{'-' * 19}|{'-' * 24}|{'-' * 31}|{'-' * 15}|{'-' * 11}|")
    print(f"| {'build (issue)':<17} | {ms(run['builds']):>22} | {ms(work.get('build', [])):>29} | {'':>13} | {'':>9} |")
    for label, _start, _end in STAGES:
        alone = ms(work.get(f"{label} alone", []))
        print(f"| {label:<17} | {ms(run['stages'][label]):>22} | {ms(work.get(label, [])):>29} | {GOALS.get(label, ''):>13} | {alone:>9} |")
    sending_side = sum(statistics.median(work[label]) for label in ("validate", "seal", "envelope (pack)", "send") if work.get(label))
    print(f"| {'issue → 1300':<17} | {ms(run['total']):>22} | {sending_side * 1000:>26.1f} ms | {f'≤ {WORK_GOAL}':>13} | {'':>9} |")
    cpu = run["cpu"]
    print(f"\nCPU the platform's processes used in the worker run ({os.cpu_count()} CPUs, {run['elapsed']:.1f} s: "
          f"{os.cpu_count() * run['elapsed']:.0f} CPU seconds at most)\n")
    print(f"| {'process':<36} | {'CPU s':>7} | {'ms per invoice':>14} |")
    print(f"|{'-' * 38}|{'-' * 9}|{'-' * 16}|")
    for name, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
        print(f"| {name:<36} | {seconds:>7.1f} | {seconds / count * 1000:>14.1f} |")
    print(f"| {'all':<36} | {sum(cpu.values()):>7.1f} | {sum(cpu.values()) / count * 1000:>14.1f} |")


def userlist_rates(sizes: list[int]) -> None:
    """bench/userlist.py's measurement, on its own scratch database, as it prints it."""
    sys.path.insert(0, str(CHECKOUT / "bench"))
    import userlist

    rows = userlist.bench(sizes)
    print(f"\n| {'users':>9} | {'import':<16} | {'users/s':>9} | {'peak RSS MB':>11} | {'RSS growth MB':>13} |")
    print(f"|{'-' * 11}|{'-' * 18}|{'-' * 11}|{'-' * 13}|{'-' * 15}|")
    for size, label, _mb, _seconds, rate, peak, growth in rows:
        print(f"| {size:>9,} | {label:<16} | {rate:>9,.0f} | {peak:>11.0f} | {growth:>13.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=50, help="invoices in the worker run (default 50)")
    parser.add_argument("--in-process", type=int, default=50, help="invoices timed stage by stage in-process, in one batch (default 50)")
    parser.add_argument("--users", type=int, nargs="*", default=[100_000], help="user-list sizes; none to skip (default 100000)")
    parser.add_argument("--workers", type=int, default=1, help="Celery workers, each a process group of its own (default 1)")
    parser.add_argument("--concurrency", type=int, default=2, help="processes of each worker (default 2, as the Procfile's)")
    parser.add_argument("--archive", choices=("file", "s3"), default="file",
                        help="where the archive writes: files under VAR_DIR, or a bucket of moto's S3 server started here (default file)")
    in_var_dir(bench, parser.parse_args(), "pipeline")


def bench(folder: Path, options: argparse.Namespace) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["VAR_DIR"] = str(folder)
    named_database = os.environ.get("DATABASE_URL")
    url, drop = scratch_database(folder)
    port = free_port()
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    broker = "Redis" if os.environ.get("REDIS_URL") else "filesystem broker"
    print(f"{options.invoices} invoices on {database} + {broker}, VAR_DIR={folder}", file=sys.stderr)
    s3 = archive_on_s3(folder) if options.archive == "s3" else None
    try:
        setup_django(url, f"http://127.0.0.1:{port}/gibhub/services/EFatura")
        if s3:
            from django.conf import settings

            from archive import storage

            storage.bucket_prepare(client=storage.s3_client(), bucket=settings.ARCHIVE_S3_BUCKET, region=settings.ARCHIVE_S3_REGION)
        a, _b = tenants(f"http://127.0.0.1:{port}/gib/services/EFatura", folder, options.invoices + BATCHES * options.in_process + 1)
        with platform(port, folder, options.workers, options.concurrency) as processes:
            run = through_worker(a, options.invoices, seconds=120 + 5 * options.invoices)
            processes.kill_workers()
            work = in_process(a, options.in_process)
        print(f"\npipeline on {database} + {broker}, archive on {options.archive}, {os.cpu_count()} CPUs, real processes: "
              f"gunicorn (4 sync workers), {options.workers} Celery worker{'s' * (options.workers > 1)} "
              f"(prefork, concurrency {options.concurrency}), beat")
        report(options.invoices, run, work, options.in_process)
    finally:
        from django.db import connections

        connections.close_all()
        drop()
        if s3:
            s3.terminate()
    if options.users:
        if named_database is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = named_database
        userlist_rates(options.users)


if __name__ == "__main__":
    main()
