"""The local GİB hub delivers a processed envelope to the receiver's integrator: retried on failure
(1210) until it gives up (1215), and marked 1220 when the receiver does not answer in time."""

import datetime as dt

import pytest
from django.conf import settings as django_settings

from envelopes import sbdh
from gibhub.delivery import hub_sweep_unanswered
from gibhub.forcing import hub_force
from gibhub.models import HubDeliveryAttempt, HubEnvelope
from gibhub.registry import hub_register
from gibhub.tasks import sweep_unanswered
from integrator.celery import app
from tests.envelope_helpers import ENVELOPE_ID
from tests.envelope_helpers import envelope, invoices  # noqa: F401  (fixtures)
from tests.gibhub_fixtures import ATTEMPTS, B_GB, B_PK, closed_port_url, history, hub, serve_receiver, skip_without_hub, system_envelope  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), skip_without_hub]


def move_b_to(url: str) -> None:
    hub_register(identifier="4840847211", title="B Gıda Ltd. Şti.", aliases=[("GB", B_GB), ("PK", B_PK)], endpoint=url)


def test_an_unreachable_receiver_is_1210_then_1215_when_the_tries_end(hub, envelope):
    dead = closed_port_url()
    move_b_to(dead)
    hub.send(envelope)

    assert history(ENVELOPE_ID) == [1000, 1100, 1200, 1210, 1215]
    attempts = HubDeliveryAttempt.objects.all()
    assert len(attempts) == ATTEMPTS and not any(a.ok for a in attempts)
    assert all(dead in a.error for a in attempts)  # the client's GibUnavailable names the address
    assert HubEnvelope.objects.get().delivered_at is None
    assert hub.status(ENVELOPE_ID) == ("1215", "DOKUMAN GONDERIMI BASARISIZ. TEKRAR GONDERME SONLANDI")


def test_a_receiver_answering_faults_is_tried_again_and_delivered_once_it_takes_the_envelope(hub, envelope):
    hub.b.failures = ATTEMPTS - 1
    packed, _msg = hub.send(envelope)

    assert history(ENVELOPE_ID) == [1000, 1100, 1200, 1210, 1200]
    assert [a.ok for a in HubDeliveryAttempt.objects.all()] == [False] * (ATTEMPTS - 1) + [True]
    assert "2005" in HubDeliveryAttempt.objects.first().error
    assert [r.file_name for r in hub.b.received] == [packed.file_name]
    assert hub.status(ENVELOPE_ID)[0] == "1200"


def test_a_receiver_refusing_every_try_ends_in_1215(hub, envelope):
    hub.b.failures = ATTEMPTS

    hub.send(envelope)

    assert history(ENVELOPE_ID) == [1000, 1100, 1200, 1210, 1215]
    assert hub.b.calls == ATTEMPTS and not hub.b.received


def test_a_receiver_that_already_holds_the_envelope_counts_as_delivered(hub, envelope):
    hub.b.failures, hub.b.fault = 1, 2001  # an earlier try got through; its answer was lost

    hub.send(envelope)

    assert history(ENVELOPE_ID) == [1000, 1100, 1200]
    assert HubEnvelope.objects.get().delivered_at is not None


def test_a_delivered_envelope_without_an_answer_becomes_1220_and_a_late_answer_still_settles_it(hub, envelope, settings):
    hub.send(envelope)
    settings.GIB_HUB_ANSWER_WAIT = 0

    sweep_unanswered.delay()

    assert history(ENVELOPE_ID) == [1000, 1100, 1200, 1220]
    assert hub.status(ENVELOPE_ID) == ("1220", "HEDEFTEN SISTEM YANITI GELMEDI")
    hub.send(system_envelope(ENVELOPE_ID, 1200))
    assert history(ENVELOPE_ID)[-1] == 1300


def test_the_sweep_leaves_envelopes_never_delivered_alone(hub, envelope, settings):
    hub_force(code=1200)  # processed, never delivered
    settings.GIB_HUB_ANSWER_WAIT = 0
    hub.send(envelope)

    assert hub_sweep_unanswered() == 0
    assert history(ENVELOPE_ID) == [1000, 1100, 1200]


def test_the_sweep_moves_only_what_waited_longer_than_the_setting(hub, envelope, settings):
    settings.GIB_HUB_ANSWER_WAIT = 3600
    hub.send(envelope)
    delivered_at = HubEnvelope.objects.get().delivered_at

    assert hub_sweep_unanswered() == 0
    assert hub_sweep_unanswered(now=delivered_at + dt.timedelta(seconds=3601)) == 1
    assert history(ENVELOPE_ID)[-1] == 1220
    assert hub_sweep_unanswered(now=delivered_at + dt.timedelta(seconds=7200)) == 0


def test_beat_runs_the_sweep():
    entry = django_settings.CELERY_BEAT_SCHEDULE["gibhub-sweep-unanswered"]
    assert entry["task"] == "gibhub.tasks.sweep_unanswered" in app.tasks


def test_a_system_envelope_is_not_delivered(hub, envelope):
    hub.send(envelope)
    answer = system_envelope(ENVELOPE_ID, 1200)
    hub.send(answer)

    assert HubDeliveryAttempt.objects.filter(envelope__uuid=sbdh.parse_envelope(answer).uuid).count() == 0
    assert not hub.a.received
