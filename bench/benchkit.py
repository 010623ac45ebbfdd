"""What the benches share: a scratch database, a free port, waiting for a server, moto's S3 server,
the CPU the machine's processes used, and where a run keeps its files. (Not named after an app: a bench that puts this folder first on its path must still
import the platform's packages.)"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path


def scratch_database(folder: Path, bench: str = "pipeline") -> tuple[str, Callable[[], None]]:
    """(DATABASE_URL of an empty scratch database for *bench*, a function that drops it); as bench/userlist.py does."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        path = folder / f"bench-{bench}.sqlite3"
        for stale in folder.glob(f"bench-{bench}.sqlite3*"):
            stale.unlink()
        return f"sqlite:///{path}", lambda: None
    import psycopg

    base, _, name = url.rpartition("/")
    scratch, admin = f"{name.split('?')[0]}_bench_{bench}", f"{base}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{scratch}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')

    return f"{base}/{scratch}", drop


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer at {url}:\n{log.read_text(errors='replace')[-3000:]}")


def s3_server(folder: Path) -> tuple[str, subprocess.Popen]:
    """moto's S3 server on a free loopback port (as the tests start it): its URL and its process, to terminate."""
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


def cpu_by_process(group: Callable[[int, str], str | None]) -> Counter:
    """CPU seconds (user + system) every process on the machine has used, with the children it has
    reaped (so a backend or a worker child that ended still counts), summed by *group* (pid, command
    line → a name, or None to leave the process out). Two readings apart give what ran between (Linux)."""
    used: Counter = Counter()
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        name = group(int(entry.name), command)
        if name is not None:
            used[name] += sum(int(fields[n]) for n in (11, 12, 13, 14)) / tick  # utime, stime, cutime, cstime
    return used


def in_var_dir(run, options: argparse.Namespace, name: str) -> None:
    """*run* (folder, options) in VAR_DIR when it is set, else in a temporary folder."""
    if os.environ.get("VAR_DIR"):
        run(Path(os.environ["VAR_DIR"]).resolve(), options)
    else:
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
            run(Path(folder), options)
