"""An S3-protocol server for the tests: moto's standalone server, over HTTP on loopback, started once
per run unless ``ARCHIVE_TEST_S3_ENDPOINT`` names one already running. The code under test is the
production code: boto3 differs only by its endpoint URL. Each test gets a bucket of its own, made
as the archive needs it (versioning and Object Lock)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from archive import storage

REGION = "eu-central-1"
CREDENTIALS = {"ARCHIVE_S3_ACCESS_KEY_ID": "test", "ARCHIVE_S3_SECRET_ACCESS_KEY": "test"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> str:
    given = os.environ.get("ARCHIVE_TEST_S3_ENDPOINT")
    if given:
        yield given
        return
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"moto's server did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def s3_archive(settings, s3_endpoint):
    """The archive on a new bucket of the S3 server."""
    settings.ARCHIVE_STORE, settings.ARCHIVE_S3_BUCKET = "s3", f"archive-{uuid.uuid4().hex[:12]}"
    settings.ARCHIVE_S3_ENDPOINT_URL, settings.ARCHIVE_S3_REGION = s3_endpoint, REGION
    for name, value in CREDENTIALS.items():
        setattr(settings, name, value)
    storage._store.cache_clear()
    storage.bucket_prepare(client=storage.s3_client(), bucket=settings.ARCHIVE_S3_BUCKET, region=REGION)
    yield storage.store()
    storage._store.cache_clear()


@pytest.fixture
def file_archive(settings, tmp_path):
    settings.ARCHIVE_STORE, settings.ARCHIVE_DIR, settings.EXPORT_DIR = "file", tmp_path / "archive", tmp_path / "exports"
    storage._store.cache_clear()
    yield storage.store()
    storage._store.cache_clear()


@pytest.fixture(params=["file", "s3"])
def archive_store(request):
    """The same test on the file-system store and on the S3 server."""
    return request.getfixturevalue(f"{request.param}_archive")
