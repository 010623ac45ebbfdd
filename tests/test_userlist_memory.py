"""The memory bound: a list of a million users imports in a process whose RSS grows by less than
200 MB (measured: ~11 MB, as for 100,000 users; the XML alone is ~520 MB, a tree of it gigabytes).

The list is generated as it is read: the generator writes into a named pipe that the import, in a
process of its own (``bench/userlist.py --child``), reads as its source, so no file of the whole
list exists and nothing could be read twice. About one and a half minutes on SQLite and two and a
half on PostgreSQL on a 2-CPU machine: it runs on both, as the issue's bound is for either.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest
from django.db import connection

from directory.models import RegisteredAlias, RegisteredUser
from tests.test_userlist_sample import sample_user, userlist_chunks

USERS = 1_000_000
BOUND_MB = 200
BENCH = Path(__file__).resolve().parent.parent / "bench" / "userlist.py"


def database_url() -> str:
    """The test database, for the importing process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = urllib.parse.quote(db["USER"] or "") + (":" + urllib.parse.quote(db["PASSWORD"]) if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def feed(pipe: Path, count: int) -> None:
    try:
        with open(pipe, "wb") as stream:
            for chunk in userlist_chunks(count):
                stream.write(chunk)
    except BrokenPipeError:
        pass  # the import stopped reading: its own failure is what the test reports


def unblock(pipe: Path) -> None:
    """Let a writer still waiting for a reader go (the import died before opening the pipe)."""
    os.close(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))


@pytest.mark.slow
def test_a_million_users_import_in_bounded_memory(transactional_db, tmp_path):
    pipe = tmp_path / "newUserPkList.xml"
    os.mkfifo(pipe)
    writer = threading.Thread(target=feed, args=(pipe, USERS), daemon=True)
    writer.start()
    env = {**os.environ, "DATABASE_URL": database_url()}
    done = subprocess.run([sys.executable, str(BENCH), "--child", str(pipe)], env=env, capture_output=True, text=True)
    if writer.is_alive():
        unblock(pipe)
    writer.join(timeout=30)

    assert done.returncode == 0, done.stderr[-3000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    growth = measured["rss_peak_mb"] - measured["rss_before_mb"]
    print(f"\n{USERS:,} users in {measured['seconds']:.0f} s; RSS {measured['rss_before_mb']:.0f} MB before, "
          f"peak {measured['rss_peak_mb']:.0f} MB (+{growth:.0f} MB)")
    assert measured["users"] == RegisteredUser.objects.count() == USERS
    assert RegisteredAlias.objects.count() == sum(len(sample_user(i).aliases) for i in range(0, USERS))
    assert growth < BOUND_MB
