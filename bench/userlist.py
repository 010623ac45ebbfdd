"""Benchmark: importing GİB's registered-user list, users per second and peak memory.

Run from the checkout:  .venv/bin/python bench/userlist.py [--users 100000 1000000]

On the database DATABASE_URL names (PostgreSQL) or, without it, SQLite in a temporary folder; on
PostgreSQL the bench makes a scratch database of its own beside the named one and drops it after,
so no list already imported is touched. Lists come from tests/test_userlist_sample.py; each import
runs in a fresh process, whose peak RSS during the import is measured against its RSS before (Linux).
Three imports per size: into empty tables, the same list again (nothing changes), and the next
generation (every title changed, a fifth of the users lose their main postbox).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchkit import scratch_database

CHECKOUT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    sys.path.insert(0, str(CHECKOUT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrator.settings")
    import django

    django.setup()


def child(source: str) -> None:
    """One import in this process; prints what it measured as JSON (tests/test_userlist_memory.py uses it).

    The peak is this import's own: Linux's peak RSS (VmHWM) is reset before it starts, so whatever
    Django's start-up touched does not hide it.
    """
    setup_django()
    from django.db import connection

    from envelopes.userlist import userlist_import

    connection.ensure_connection()
    reset_peak_rss()
    before = rss_mb("VmRSS")
    result = userlist_import(source=source, kind="PK")
    print(json.dumps({"users": result.users, "aliases": result.aliases, "seconds": result.seconds,
                      "rss_before_mb": before, "rss_peak_mb": rss_mb("VmHWM")}))


def reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")  # resets VmHWM to the current RSS (Linux 4.0 and later)


def rss_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measured_import(source: str, env: dict[str, str]) -> dict:
    """Run ``child`` in a fresh process, so each peak is its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", source], env=env, cwd=CHECKOUT, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"the import failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench(sizes: list[int]) -> list[tuple]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-userlist-") as folder:
        url, drop = scratch_database(Path(folder), "userlist")
        env = {**os.environ, "DATABASE_URL": url, "VAR_DIR": os.environ.get("VAR_DIR", folder)}
        try:
            subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=CHECKOUT, check=True)
            for size in sizes:
                rows += bench_size(size, Path(folder), env)
        finally:
            drop()
    return rows


def bench_size(size: int, folder: Path, env: dict[str, str]) -> list[tuple]:
    sys.path.insert(0, str(CHECKOUT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrator.settings")
    from tests.test_userlist_sample import write_userlist

    rows = []
    for label, generation in (("first import", 0), ("same list again", 0), ("next generation", 1)):
        path = folder / f"newUserPkList-{size}-{generation}.xml"
        if not path.exists():
            started = time.perf_counter()
            write_userlist(path, size, generation=generation)
            print(f"  generated {size:,} users ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        result = measured_import(str(path), env)
        mb = path.stat().st_size / 1e6
        rows.append((size, label, mb, result["seconds"], size / result["seconds"], result["rss_peak_mb"],
                     result["rss_peak_mb"] - result["rss_before_mb"]))
        print(f"  {size:,} {label}: {result['seconds']:.1f} s", file=sys.stderr)
    for path in folder.glob(f"newUserPkList-{size}-*.xml"):
        path.unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--child", metavar="SOURCE", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child)
        return
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"user-list import on {database}, {os.cpu_count()} CPUs", file=sys.stderr)
    rows = bench(options.users)
    print(f"\n{'users':>9}  {'import':<16} {'XML MB':>7} {'seconds':>8} {'users/s':>9} {'peak RSS MB':>12} {'RSS growth MB':>14}")
    for size, label, mb, seconds, rate, peak, growth in rows:
        print(f"{size:>9,}  {label:<16} {mb:>7.0f} {seconds:>8.1f} {rate:>9,.0f} {peak:>12.0f} {growth:>14.0f}")


if __name__ == "__main__":
    main()
