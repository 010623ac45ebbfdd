"""The exchange with real Celery processes: a worker and a beat started as subprocesses on the test
database, the same VAR_DIR and broker (Redis when REDIS_URL is set, else the filesystem broker under
VAR_DIR/broker), the live server's hub as GİB, and timings small enough for a test. The test process
itself runs no task: it only enqueues (and its live server answers the hub's and the receivers' HTTP).

Each process gets its own process group, so a kill takes its pool children with it; every process is
killed when the test ends, and the worker's log is printed when the test failed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from gibhub.registry import hub_register
from integrator.celery import app as celery_app
from tests.exchange_fixtures import A_ALIASES, B_ALIASES, eager, equip, trust

CHECKOUT = Path(__file__).resolve().parent.parent
READY_WITHIN = 60  # seconds for a worker to say "ready" before the tests give up on celery
TIMINGS = {
    "GIB_POLL_FIRST": "1",  # first poll one second after sending …
    "GIB_POLL_MAX": "2",  # … and never more than two apart
    "GIB_POLL_TICK": "1",  # beat looks for due envelopes every second
    "PIPELINE_SWEEP_AFTER": "3",  # the sweeper re-enqueues what waits 3 s (beat runs it every 3 s)
    "GIB_HUB_RETRY_DELAY": "0",
    "GIB_HUB_DELIVERY_ATTEMPTS": "5",
    "GIB_HUB_DELIVERY_TIMEOUT": "5",
    "GIB_HUB_STUCK_AFTER": "10",  # a hub delivery a killed worker left half-way is taken up again after 10 s
    "UPLOAD_STALE_SECONDS": "3",  # a bulk upload a killed worker left half-way is taken up again after 3 s
    "CELERY_VISIBILITY_TIMEOUT": "60",  # Redis's minimum: longer than a test, so the sweeper recovers
}


def database_url() -> str:
    """The URL of the database this test runs on: pytest-django's test database, not the named one."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="") + (":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else "")
    host = quote(db["HOST"] or "", safe="")  # empty, or a socket folder: both as dj-database-url reads them
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


def celery_env(*, service_url: str, trust_roots: str, packages_root: Path) -> dict[str, str]:
    """This process's environment (so the same SECRET_KEY, which the stored seals are encrypted with),
    pointed at this test's database, hub, package and trust roots."""
    ours = {
        **TIMINGS,
        "DJANGO_SETTINGS_MODULE": "integrator.settings",
        "VAR_DIR": str(django_settings.VAR_DIR),
        "ARCHIVE_DIR": str(django_settings.ARCHIVE_DIR),
        "EXPORT_DIR": str(django_settings.EXPORT_DIR),
        "DATABASE_URL": database_url(),
        "GIB_SERVICE_URL": service_url,
        "GIB_PACKAGES_ROOT": str(packages_root),
        "SEAL_TRUST_ROOTS": trust_roots,
        "LOG_LEVEL": "INFO",
    }
    dropped = {"CELERY_TASK_ALWAYS_EAGER", "PYTEST_CURRENT_TEST", *(f"{name}_FILE" for name in ours)}
    return {**{k: v for k, v in os.environ.items() if k not in dropped}, **ours}


class CeleryProcesses:
    """A worker (started, killed, started again) and one beat, each in its own process group."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.workers: list[subprocess.Popen] = []
        self.beat: subprocess.Popen | None = None
        self.logs: list[Path] = []

    def _spawn(self, name: str, arguments: list[str]) -> subprocess.Popen:
        log = self.folder / f"{name}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            return subprocess.Popen([sys.executable, "-m", "celery", "--app", "integrator", *arguments], cwd=CHECKOUT,
                                    env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def start_worker(self, concurrency: int = 2) -> None:
        """Start a worker and wait until it consumes; a worker that cannot start fails the test, with its log."""
        number = len(self.workers) + 1
        worker = self._spawn(f"worker-{number}", [
            "worker", "--loglevel", "INFO", "--concurrency", str(concurrency), "--hostname", f"test-{number}-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ])
        self.workers.append(worker)
        self._wait_for(worker, b" ready.", "the celery worker")

    def start_beat(self) -> None:
        """Start beat and wait until its scheduler runs (what it spends starting is not the run's)."""
        self.beat = self._spawn("beat", ["beat", "--loglevel", "INFO", "--schedule", str(self.folder / "beat-schedule")])
        self._wait_for(self.beat, b"beat: Starting...", "celery beat")

    def _wait_for(self, process: subprocess.Popen, marker: bytes, what: str) -> None:
        """Until the log of *process* (the last one spawned) shows *marker*; one that ends or takes too
        long fails the test, with its log."""
        log, deadline = self.logs[-1], time.monotonic() + READY_WITHIN
        while marker not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"{what} did not start (exit {process.returncode}):\n{tail(log)}")
            time.sleep(0.1)

    def kill_worker(self) -> None:
        """SIGKILL the running worker's whole group (its pool children too): no shutdown, no acks."""
        worker = self.workers[-1]
        _killpg(worker)
        worker.wait(timeout=10)

    def kill_workers(self) -> None:
        """SIGKILL every worker started, as ``kill_worker`` the last."""
        for worker in self.workers:
            if worker.poll() is None:
                _killpg(worker)
                worker.wait(timeout=10)

    def stop(self) -> None:
        for process in [*self.workers, self.beat]:
            if process is not None and process.poll() is None:
                _killpg(process)
                process.wait(timeout=10)

    def tails(self, lines: int = 60) -> str:
        return "\n".join(f"--- {log.name} (last {lines} lines)\n{tail(log, lines)}" for log in self.logs if log.exists())


def database_quiet(seconds: float = 15, settled: float = 0.5) -> None:
    """Wait until no other session of the test database has been busy for *settled* seconds: the
    live server may still be storing what a stopped worker sent it, and a transaction committed
    while the test's rows are being deleted would leave rows that refer to deleted ones."""
    if connection.vendor != "postgresql":
        return
    deadline, quiet_since = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                           "AND backend_type = 'client backend' "
                           "AND state IS DISTINCT FROM 'idle'")
            busy = cursor.fetchone()[0]
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= settled:
            return
        time.sleep(0.05)


def broker_clean() -> None:
    """Drop what earlier tests left in the shared broker: queued messages, and on Redis the ones a
    killed worker never acknowledged, which Redis would hand to our worker after the visibility timeout."""
    with celery_app.connection_for_write() as conn:  # its own: tests/test_health.py closes the app's pool for good
        celery_app.control.purge(connection=conn)
        if conn.transport.driver_type == "redis":
            channel = conn.default_channel
            channel.client.delete(channel.unacked_key, channel.unacked_index_key)


def _killpg(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group is the process's own (start_new_session)
    except ProcessLookupError:
        pass


def tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


class WorkerExchange:
    """What a test drives: the celery processes, and waiting on the database for the outcome."""

    def __init__(self, processes: CeleryProcesses) -> None:
        self.processes = processes

    def wait(self, done: Callable[[], bool], *, seconds: float, what: str, state: Callable[[], object] = lambda: None,
             every: float = 0.25) -> float:
        """Poll *done* until it is true; the seconds it took, or a failure saying what was still missing."""
        started = time.monotonic()
        while not done():
            if time.monotonic() - started > seconds:
                pytest.fail(f"not within {seconds} s: {what}\nnow: {state()}\n{self.processes.tails()}")
            time.sleep(every)
        return time.monotonic() - started


@pytest.fixture
def worker_exchange(request, settings, live_server, gib_package, test_root, seal_a, seal_b, tenant_a, tenant_b,
                    tmp_path) -> Iterator[WorkerExchange]:
    """A and B equipped and registered at the hub on the live server, as in ``exchange``, with a
    celery worker and beat running the tasks; nothing runs in the test process."""
    trust(settings, tmp_path, test_root)
    settings.GIB_SERVICE_URL = f"{live_server.url}/gibhub/services/EFatura"
    endpoint = f"{live_server.url}/gib/services/EFatura"
    hub_register(identifier=tenant_a.identifier, title=tenant_a.title, aliases=A_ALIASES, endpoint=endpoint)
    hub_register(identifier=tenant_b.identifier, title=tenant_b.title, aliases=B_ALIASES, endpoint=endpoint)
    equip(tenant_a, seal_a, test_root)
    equip(tenant_b, seal_b, test_root)
    env = celery_env(service_url=settings.GIB_SERVICE_URL, trust_roots=settings.SEAL_TRUST_ROOTS, packages_root=gib_package)
    processes = CeleryProcesses(env, tmp_path)
    failed_before = request.session.testsfailed
    with eager(False):
        broker_clean()
        try:
            processes.start_worker()
            processes.start_beat()
            yield WorkerExchange(processes)
        finally:
            processes.stop()
            database_quiet()
            if request.session.testsfailed > failed_before:
                print(f"\n{processes.tails()}")
