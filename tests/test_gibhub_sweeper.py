"""Envelopes the local GİB hub left half-way, and two workers on one envelope: a worker killed while it
processes or delivers an envelope (or a message lost in the broker) leaves it at 1000, 1100 or 1200;
the sweeper, run by beat, enqueues its work again once the work has waited ``GIB_HUB_STUCK_AFTER``
seconds and no live claim holds it, and a delivery try is claimed so that a second worker posts nothing."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.db.models import F
from django.utils import timezone

from envelopes import sbdh
from gibhub import claims, processing
from gibhub.claims import hub_sweep_stuck
from gibhub.delivery import hub_envelope_deliver
from gibhub.forcing import hub_force
from gibhub.models import HubDeliveryAttempt, HubDocument, HubEnvelope
from gibhub.processing import hub_envelope_process
from gibhub.tasks import sweep_stuck
from integrator.celery import app
from tests.concurrency import run_concurrently
from tests.envelope_helpers import ENVELOPE_ID
from tests.envelope_helpers import envelope, invoices  # noqa: F401  (fixtures)
from tests.exchange_fixtures import eager
from tests.gibhub_fixtures import history, hub, sender_envelope, serve_receiver, skip_without_hub  # noqa: F401
from tests.worker_fixtures import CeleryProcesses, WorkerExchange, broker_clean, celery_env

pytestmark = [pytest.mark.django_db(transaction=True), skip_without_hub]
STUCK = 120  # seconds: GIB_HUB_STUCK_AFTER's default


@pytest.fixture(autouse=True)
def _stuck_after(settings):
    settings.GIB_HUB_STUCK_AFTER = STUCK


@pytest.fixture
def lost_messages():
    """Messages the test loses on purpose stay in the broker no worker reads: dropped at the end."""
    yield
    broker_clean()


def sent_and_lost(hub, xml: bytes) -> HubEnvelope:
    """Sent to the hub, which stored it at 1000; its processing message lost (queued, never run)."""
    with eager(False):
        hub.send(xml)
    return HubEnvelope.objects.get(uuid=sbdh.parse_envelope(xml).uuid)


def processed_and_lost(hub, xml: bytes) -> HubEnvelope:
    """Processed to 1200, its delivery message lost."""
    stored = sent_and_lost(hub, xml)
    with eager(False):
        hub_envelope_process(envelope_id=stored.pk)
    return HubEnvelope.objects.get(pk=stored.pk)


def time_passes(seconds: float) -> None:
    """As if *seconds* went by, for the hub's due work and claims (rather than waiting them out)."""
    shift = dt.timedelta(seconds=seconds)
    HubEnvelope.objects.filter(due_at__isnull=False).update(due_at=F("due_at") - shift)
    HubEnvelope.objects.filter(claimed_until__isnull=False).update(claimed_until=F("claimed_until") - shift)


def claim_delivery(envelope_id: int) -> bool:
    """What a delivering worker does first; a worker killed right after leaves the claim behind."""
    return claims.claim(envelope_id=envelope_id, statuses=claims.TO_DELIVER, now=timezone.now(), when_due=True)


# --- the sweeper ------------------------------------------------------------------------------------


def test_an_envelope_whose_processing_message_was_lost_is_processed_by_the_sweeper_not_before_its_time(hub, envelope, lost_messages):
    stored = sent_and_lost(hub, envelope)
    assert history(ENVELOPE_ID) == [1000]

    assert hub_sweep_stuck() == 0
    assert hub_sweep_stuck(now=stored.due_at + dt.timedelta(seconds=STUCK - 1)) == 0
    time_passes(STUCK)
    assert hub_sweep_stuck() == 1

    assert history(ENVELOPE_ID) == [1000, 1100, 1200]
    assert len(hub.b.received) == 1
    assert hub_sweep_stuck() == 0


def test_an_envelope_left_at_1100_by_a_killed_worker_is_processed_again_once_its_claim_lapses(hub, envelope, lost_messages):
    stored = sent_and_lost(hub, envelope)
    assert processing._claim(stored.pk) is not None  # the first step of processing: the worker is killed after it
    assert history(ENVELOPE_ID) == [1000, 1100]

    hub_envelope_process(envelope_id=stored.pk)  # its message, redelivered meanwhile: the claim holds
    assert history(ENVELOPE_ID) == [1000, 1100]
    claimed_until = HubEnvelope.objects.get().claimed_until
    assert hub_sweep_stuck() == 0
    assert hub_sweep_stuck(now=claimed_until - dt.timedelta(seconds=1)) == 0

    time_passes(STUCK)
    assert hub_sweep_stuck() == 1

    assert history(ENVELOPE_ID) == [1000, 1100, 1200]
    assert HubDocument.objects.count() == 3 and len(hub.b.received) == 1
    assert HubEnvelope.objects.get().claimed_until is None
    assert hub_sweep_stuck() == 0


def test_an_envelope_left_at_1200_by_a_killed_delivering_worker_is_delivered_once_its_claim_lapses(hub, envelope, lost_messages):
    stored = processed_and_lost(hub, envelope)
    assert claim_delivery(stored.pk)  # the worker is killed before its post

    assert hub_envelope_deliver(envelope_id=stored.pk) is None  # its message, redelivered meanwhile: the claim holds
    assert hub_sweep_stuck() == 0
    assert not hub.b.received and not HubDeliveryAttempt.objects.exists()

    time_passes(STUCK)
    assert hub_sweep_stuck() == 1

    assert [r.file_name for r in hub.b.received] == [stored.file_name]
    assert [a.ok for a in HubDeliveryAttempt.objects.all()] == [True]
    assert history(ENVELOPE_ID) == [1000, 1100, 1200]
    delivered = HubEnvelope.objects.get()
    assert delivered.delivered_at is not None and (delivered.due_at, delivered.claimed_until) == (None, None)
    assert hub_sweep_stuck() == 0


def test_a_1210_waiting_for_its_retry_is_left_to_it_until_the_retry_is_overdue(hub, envelope, settings):
    settings.GIB_HUB_RETRY_DELAY = 600
    hub.b.failures = 1
    hub.send(envelope)  # the retry runs at once in eager mode, finds its try not due, and ends: as if its message were lost
    waiting = HubEnvelope.objects.get()
    assert history(ENVELOPE_ID) == [1000, 1100, 1200, 1210] and hub.b.calls == 1
    assert dt.timedelta(seconds=590) < waiting.due_at - timezone.now() <= dt.timedelta(seconds=600)

    time_passes(600 + STUCK - 10)
    assert hub_sweep_stuck() == 0
    time_passes(20)
    assert hub_sweep_stuck() == 1

    assert history(ENVELOPE_ID) == [1000, 1100, 1200, 1210, 1200]
    assert [a.ok for a in HubDeliveryAttempt.objects.all()] == [False, True]


def test_the_sweeper_leaves_alone_what_needs_no_work(hub, invoices, envelope):
    hub.send(envelope)  # delivered
    hub.send(sender_envelope(invoices[:1], receiver_alias="urn:mail:yok@b-gida.com.tr"))  # refused: 1181
    hub_force(code=1200)  # processed, never delivered: on purpose
    hub.send(sender_envelope(invoices[1:2]))
    hub_force(code=1210)
    hub.send(sender_envelope(invoices[2:3]))
    time_passes(10 * STUCK)

    assert hub_sweep_stuck(now=timezone.now() + dt.timedelta(days=1)) == 0
    assert sorted(HubEnvelope.objects.values_list("status", flat=True)) == [1181, 1200, 1200, 1210]
    assert len(hub.b.received) == 1


def test_beat_runs_the_stuck_sweeper():
    entry = django_settings.CELERY_BEAT_SCHEDULE["gibhub-sweep-stuck"]
    assert entry["task"] == sweep_stuck.name and entry["task"] in app.tasks
    assert entry["schedule"] <= django_settings.GIB_HUB_STUCK_AFTER


def test_a_claim_shorter_than_a_delivery_try_stops_start_up(tmp_path):
    from tests.test_settings import _check

    result = _check(tmp_path, GIB_HUB_STUCK_AFTER="59", GIB_HUB_DELIVERY_TIMEOUT="30")
    assert result.returncode != 0 and "configuration error: GIB_HUB_STUCK_AFTER=59" in result.stderr
    assert _check(tmp_path, GIB_HUB_STUCK_AFTER="60", GIB_HUB_DELIVERY_TIMEOUT="30").returncode == 0


# --- two workers, one delivery ----------------------------------------------------------------------


def test_concurrent_deliveries_of_one_envelope_post_it_once(hub, envelope, lost_messages):
    stored = processed_and_lost(hub, envelope)
    hub.b.delay = 1.0  # every worker is inside its try while the others start theirs

    results, errors = run_concurrently(lambda: hub_envelope_deliver(envelope_id=stored.pk), count=4)

    assert errors == [] and results == [None] * 4
    assert hub.b.calls == 1 and len(hub.b.received) == 1
    assert [a.ok for a in HubDeliveryAttempt.objects.all()] == [True]
    assert history(ENVELOPE_ID) == [1000, 1100, 1200]


def test_a_failed_try_schedules_the_next_and_a_retry_before_then_posts_nothing(hub, envelope, settings, lost_messages):
    settings.GIB_HUB_RETRY_DELAY = 60
    hub.b.failures = 1
    stored = processed_and_lost(hub, envelope)

    assert hub_envelope_deliver(envelope_id=stored.pk) == 60
    assert hub_envelope_deliver(envelope_id=stored.pk) is None  # a second message for the same try: not due yet
    assert hub.b.calls == 1
    time_passes(60)
    assert hub_envelope_deliver(envelope_id=stored.pk) is None  # delivered: nothing more to try
    assert [a.ok for a in HubDeliveryAttempt.objects.all()] == [False, True]
    assert hub_envelope_deliver(envelope_id=stored.pk) is None and hub.b.calls == 2


# --- with a real worker, killed mid-delivery ---------------------------------------------------------

WORKER_TIMINGS = {"GIB_HUB_STUCK_AFTER": "10", "GIB_HUB_DELIVERY_TIMEOUT": "5"}  # beat sweeps every 10 s


@pytest.fixture
def hub_worker(request, hub, gib_package, tmp_path, settings):
    """Celery processes on the test database with the hub's settings and short claims; their logs
    are printed when the test failed."""
    env = {**celery_env(service_url=hub.url, trust_roots=settings.SEAL_TRUST_ROOTS, packages_root=gib_package), **WORKER_TIMINGS}
    processes = CeleryProcesses(env, tmp_path)
    failed_before = request.session.testsfailed
    with eager(False):
        broker_clean()
        try:
            yield WorkerExchange(processes)
        finally:
            processes.stop()
            broker_clean()
            if request.session.testsfailed > failed_before:
                print(f"\n{processes.tails()}")


def test_a_worker_killed_mid_delivery_leaves_it_to_the_sweeper_which_beat_runs(hub, hub_worker, envelope):
    processes = hub_worker.processes
    hub.b.delay = 8  # longer than the worker's read timeout: the kill comes while it waits
    processes.start_worker()
    hub.send(envelope)
    hub_worker.wait(lambda: hub.b.calls >= 1, seconds=120, what="the worker's first try", every=0.02,
                    state=lambda: history(ENVELOPE_ID))
    processes.kill_worker()
    hub.b.delay = 0
    left = HubEnvelope.objects.get()
    assert (left.status, left.delivered_at) == (1200, None) and left.claimed_until is not None
    assert not HubDeliveryAttempt.objects.exists(), "the kill came after the try ended: nothing to test"

    processes.start_worker()
    processes.start_beat()
    hub_worker.wait(lambda: HubEnvelope.objects.filter(delivered_at__isnull=False).exists(), seconds=90,
                    what="the envelope delivered after the kill", state=lambda: history(ENVELOPE_ID))

    assert history(ENVELOPE_ID) == [1000, 1100, 1200]
    assert [a.ok for a in HubDeliveryAttempt.objects.all()] == [True]
    assert hub.b.calls == 2  # the try the kill cut off, and the one the sweeper enqueued: no other
