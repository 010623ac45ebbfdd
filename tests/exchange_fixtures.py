"""Two tenants of this platform exchanging invoices through the local GİB hub, over real HTTP: the
hub and our receiving endpoint on pytest-django's live server, A and B registered at the hub with that
endpoint, each with its own seal and credits. Tasks run in-process (eager) unless a test starts a
worker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.utils import timezone

from gibhub.registry import hub_register
from integrator.celery import app as celery_app
from pipeline.tasks import envelopes_poll
from signing import pki
from signing.services import seal_import_pkcs12
from tenants.ledger import credits_add
from tests.invoice_payloads import payload

A_ALIASES = [("GB", "urn:mail:gb@a-tekstil.com.tr"), ("PK", "urn:mail:pk@a-tekstil.com.tr")]
B_ALIASES = [("GB", "urn:mail:gb@b-gida.com.tr"), ("PK", "urn:mail:pk@b-gida.com.tr")]
CREDITS = 100


def today_payload(profile: str = "TICARIFATURA", **extra) -> dict:
    """A payload dated today: the pipeline validates with today's date (our 7-day rule)."""
    return payload(profile, issue_date=timezone.localdate().isoformat(), **extra)


def poll_all() -> int:
    """Poll every envelope as if its time had come, as beat's task does (what it puts back in the queue is packed again)."""
    return envelopes_poll((timezone.now() + dt.timedelta(days=1)).isoformat())


def trust(settings, tmp_path, test_root) -> None:
    roots = tmp_path / "roots.pem"
    roots.write_bytes(pki.pem(test_root.certificate))
    settings.SEAL_TRUST_ROOTS = str(roots)


def equip(tenant, issued: pki.Issued, root: pki.Issued) -> None:
    """The tenant's seal (from the tests' PKI) and credits to send with."""
    data = pki.to_pkcs12(issued, b"secret", chain=[root.certificate])
    seal_import_pkcs12(tenant=tenant, name="test seal", data=data, password=b"secret")
    credits_add(tenant=tenant, amount=CREDITS)


@contextmanager
def eager(on: bool = True) -> Iterator[None]:
    """Tasks run in-process when enqueued (*on*), or are only queued (off)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = on
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = before


@pytest.fixture
def exchange(settings, live_server, gib_package, test_root, seal_a, seal_b, tenant_a, tenant_b, tmp_path):
    """The platform's address; A and B ready to exchange through the hub on it, tasks run in-process."""
    trust(settings, tmp_path, test_root)
    settings.GIB_SERVICE_URL = f"{live_server.url}/gibhub/services/EFatura"
    settings.GIB_HUB_DELIVERY_ATTEMPTS, settings.GIB_HUB_RETRY_DELAY = 2, 0
    endpoint = f"{live_server.url}/gib/services/EFatura"
    hub_register(identifier=tenant_a.identifier, title=tenant_a.title, aliases=A_ALIASES, endpoint=endpoint)
    hub_register(identifier=tenant_b.identifier, title=tenant_b.title, aliases=B_ALIASES, endpoint=endpoint)
    equip(tenant_a, seal_a, test_root)
    equip(tenant_b, seal_b, test_root)
    with eager():
        yield live_server.url
