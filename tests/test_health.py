import pytest
from django.urls import reverse

from integrator.celery import app as celery_app


def test_healthz_reports_database_and_broker(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.fixture
def unreachable_broker():
    saved = celery_app.conf.broker_url, celery_app.conf.broker_transport
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    celery_app.conf.broker_transport = None  # the URL's own (the embedded default names its own transport)
    celery_app.close()  # the connection pool and the producer pool, made again for the new URL
    yield
    celery_app.conf.broker_url, celery_app.conf.broker_transport = saved
    celery_app.close()


def test_healthz_says_which_part_is_down(client, db, unreachable_broker):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unreachable"}


def test_the_embedded_default_starts_without_warnings(tmp_path):
    """A process on the embedded default (no DATABASE_URL, no REDIS_URL) sets up Django and opens the
    file-system broker as a worker does, and says nothing a newcomer would read as wrong."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    environment.update(VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="integrator.settings", PYTHONWARNINGS="default")
    script = ("import logging, django; logging.basicConfig(level=logging.INFO); django.setup();"
              "from integrator.celery import app; connection = app.connection_for_write(); connection.info();"
              "connection.default_channel; connection.release(); print('ok')")
    run = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parent.parent, env=environment,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr
    assert "WARNING" not in run.stderr and "Warning" not in run.stderr, run.stderr
