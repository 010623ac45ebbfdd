"""Benchmark: the REST API under concurrent ERPs, accepted invoices per second and latency.

Run from the checkout:  VAR_DIR=/tmp/benchapi .venv/bin/python bench/api.py [--clients 1 4 16] [--posts 120] [--reads 600]
                        [--workers 4] [--threads 1]

The platform's web process runs as the Procfile starts it, in a process of its own: gunicorn, 4 sync
workers (``--workers`` and ``--threads`` try others: more than one thread makes them gthread
workers). No Celery worker runs: this measures acceptance (a POST is checked, validated against
GİB's rules and ours, numbered, stored and its validation queued), not the pipeline behind it. The
database is the one DATABASE_URL names (PostgreSQL: a scratch database beside it, dropped after) or
SQLite under VAR_DIR; the cache (which counts calls per key) and the broker are REDIS_URL's (give the
bench a Redis database of its own: what the POSTs queue there is purged at the end) or, without it,
per-process memory and the filesystem broker under VAR_DIR. The API's rate limit is raised for the run.

Tenant A (a seal, its e-Fatura series, credits) calls with one API key of every scope. For each number
of clients, that many threads, each with its own keep-alive `requests` session, send between them
``--posts`` `POST /api/v1/invoices` (a JSON TICARIFATURA payload, each with its own Idempotency-Key),
then ``--reads`` `GET /api/v1/invoices/{uuid}` of the invoices made. A few calls of each warm the
workers first (their first validation compiles GİB's rules). The table gives the accepted (201) or
answered (200) calls per second over the whole phase, the p50 and p99 latency of every call, and how
many calls got another status.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

CHECKOUT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(CHECKOUT / "bench"))
from benchkit import free_port, in_var_dir, scratch_database, wait_http  # noqa: E402  (the same way of starting and waiting for gunicorn)

WARM_UP = 8  # calls of each kind before measuring: at least one per gunicorn worker


def setup_django(database_url: str) -> None:
    os.environ.update({"DJANGO_SETTINGS_MODULE": "integrator.settings", "DATABASE_URL": database_url})
    sys.path.insert(0, str(CHECKOUT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("gib_package", "install", "--if-missing", stdout=io.StringIO())


def tenant_key(calls: int) -> str:
    """Tenant A as the tests make it, with a seal under a bench root and credits for every call; its key."""
    from signing import pki
    from tenants.api_keys import api_key_create
    from tenants.ledger import credits_add
    from tests.exchange_fixtures import equip
    from tests.factories import make_tenant, register_customers

    register_customers()
    a = make_tenant("1234567890", "A Tekstil A.Ş.", domain="a-tekstil.com.tr", prefix="AAA")
    root = pki.root_ca("Bench Mali Mühür Kök")
    equip(a, pki.seal(root, identifier=a.identifier, title=a.title), root)
    credits_add(tenant=a, amount=calls)
    return api_key_create(tenant=a, name="bench", scopes=["read", "send", "respond"])[1]


@contextmanager
def web(port: int, folder: Path, workers: int = 4, threads: int = 1) -> Iterator[str]:
    """gunicorn as the Procfile starts it (or with *workers* and *threads*), on the bench's database;
    killed at the end."""
    env = {**{k: v for k, v in os.environ.items() if k != "CELERY_TASK_ALWAYS_EAGER"},
           "API_RATE": "1000000/min", "LOG_LEVEL": "WARNING"}
    log = folder / "web.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "integrator.wsgi", "--bind", f"127.0.0.1:{port}",
                                    "--workers", str(workers), "--threads", str(threads)], cwd=CHECKOUT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", process, log)
        yield f"http://127.0.0.1:{port}"
    except BaseException:
        print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class Phase:
    """One phase's calls: each one's latency and status, and the phase's wall time."""

    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    made: list[str] = field(default_factory=list)  # ETTNs of the invoices a POST phase made
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, started: float, response: requests.Response) -> None:
        with self.lock:
            self.latencies.append(time.perf_counter() - started)
            self.statuses.append(response.status_code)
            if response.status_code == 201:
                self.made.append(response.json()["uuid"])


def run(clients: int, calls: int, call: Callable[[requests.Session, int], None]) -> float:
    """*calls* calls of *call* shared among *clients* threads, each with its own keep-alive session;
    the seconds they took."""
    counter = iter(range(calls))
    lock = threading.Lock()

    def client() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                call(session, index)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def posts(base: str, key: str, clients: int, count: int) -> Phase:
    from tests.exchange_fixtures import today_payload

    phase, body = Phase(), json.dumps(today_payload("TICARIFATURA"))

    def post(session: requests.Session, _index: int) -> None:
        headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())}
        started = time.perf_counter()
        phase.record(started, session.post(f"{base}/api/v1/invoices", data=body, headers=headers, timeout=120))

    phase.seconds = run(clients, count, post)
    return phase


def reads(base: str, key: str, clients: int, count: int, ettns: list[str]) -> Phase:
    phase = Phase()

    def read(session: requests.Session, index: int) -> None:
        started = time.perf_counter()
        response = session.get(f"{base}/api/v1/invoices/{ettns[index % len(ettns)]}", headers={"Authorization": f"Api-Key {key}"}, timeout=60)
        phase.record(started, response)

    phase.seconds = run(clients, count, read)
    return phase


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def cells(phase: Phase, ok: int) -> list[str]:
    """Calls answered *ok* per second, p50 and p99 ms of every call, and how many got another status."""
    done = phase.statuses.count(ok)
    return [f"{done / phase.seconds:.1f}", f"{statistics.median(phase.latencies) * 1000:,.0f}",
            f"{percentile(phase.latencies, 0.99) * 1000:,.0f}", str(len(phase.statuses) - done)]


HEADERS = ["clients", "POST accepted/s", "POST p50 ms", "POST p99 ms", "POST other",
           "GET answered/s", "GET p50 ms", "GET p99 ms", "GET other"]


def report(rows: list[tuple[int, Phase, Phase]], title: str) -> None:
    print(f"\n{title}\n")
    print("| " + " | ".join(HEADERS) + " |")
    print("|" + "|".join("-" * (len(header) + 1) + ":" for header in HEADERS) + "|")
    for clients, created, read in rows:
        values = [str(clients), *cells(created, 201), *cells(read, 200)]
        print("| " + " | ".join(value.rjust(len(header)) for value, header in zip(values, HEADERS)) + " |")


def statuses(rows: list[tuple[int, Phase, Phase]]) -> str:
    seen: dict[int, int] = {}
    for _clients, created, read in rows:
        for status in created.statuses + read.statuses:
            seen[status] = seen.get(status, 0) + 1
    return ", ".join(f"{status}: {count}" for status, count in sorted(seen.items()))


def purge_queued() -> int:
    """What the POSTs queued (no worker ran): gone, so no later worker on this broker takes it."""
    import logging

    from integrator.celery import app

    logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # the filesystem broker names no host
    return app.control.purge()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16], help="concurrent clients, one run each (default 1 4 16)")
    parser.add_argument("--posts", type=int, default=120, help="POSTs per run (default 120)")
    parser.add_argument("--reads", type=int, default=600, help="GETs per run (default 600)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn's worker processes (default 4, the Procfile's)")
    parser.add_argument("--threads", type=int, default=1, help="threads of each (default 1: sync workers, the Procfile's)")
    in_var_dir(bench, parser.parse_args(), "api")


def bench(folder: Path, options: argparse.Namespace) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["VAR_DIR"] = str(folder)
    url, drop = scratch_database(folder, "api")
    database = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    broker = "Redis" if os.environ.get("REDIS_URL") else "memory cache + filesystem broker"
    print(f"API bench on {database} + {broker}, VAR_DIR={folder}", file=sys.stderr)
    try:
        setup_django(url)
        key = tenant_key(calls=2 * WARM_UP + options.posts * len(options.clients))
        rows = []
        with web(free_port(), folder, options.workers, options.threads) as base:
            warm = posts(base, key, 4, WARM_UP)
            reads(base, key, 4, WARM_UP, warm.made)
            for clients in options.clients:
                created = posts(base, key, clients, options.posts)
                read = reads(base, key, clients, options.reads, created.made or warm.made)
                rows.append((clients, created, read))
                print(f"  {clients} clients: {len(created.made)} invoices in {created.seconds:.1f} s, {options.reads} reads in {read.seconds:.1f} s", file=sys.stderr)
        report(rows, f"REST API on {database} + {broker}, {os.cpu_count()} CPUs, gunicorn ({options.workers} workers × {options.threads} threads), "
                     f"{options.posts} POSTs and {options.reads} GETs per row")
        print(f"\nstatuses: {statuses(rows)}; tasks queued and purged: {purge_queued()}")
    finally:
        from django.db import connections

        connections.close_all()
        drop()


if __name__ == "__main__":
    main()
