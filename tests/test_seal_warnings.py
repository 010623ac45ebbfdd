"""Warnings that a seal ends: 30, 7 and 1 days before, once each, by e-mail to the owners (through a
real SMTP server on loopback) and by the ``seal.expiring`` webhook; the integrator's seal warns the
tenants it seals for. Moments are taken from each seal's own end, never from the day the test runs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from signing.models import Seal, SealWarning
from signing.warnings import seals_warn
from tenants.models import Tenant, WebhookDelivery
from tenants.webhooks import SEAL_EXPIRING, webhook_create
from tests.concurrency import run_concurrently
from tests.delivery_fixtures import smtp  # noqa: F401  (a fixture)
from tests.factories import make_user
from tests.test_seals import integrator_seal, seal_of_a  # noqa: F401  (fixtures)


def owner(tenant: Tenant, email: str, role: str = "owner"):
    user = make_user(tenant=tenant, role=role)
    get_user_model().objects.filter(id=user.id).update(email=email)
    return user


def days_before(seal: Seal, days: float) -> dt.datetime:
    return seal.not_after - dt.timedelta(days=days)


def test_each_step_warns_the_owners_once_by_e_mail_and_webhook(tenant_a, seal_of_a, smtp):
    owner(tenant_a, "sahip@a-tekstil.com.tr")
    owner(tenant_a, "katip@a-tekstil.com.tr", role="clerk")  # a clerk cannot renew it: not told
    webhook_create(tenant=tenant_a, url="https://erp.a-tekstil.com.tr/hooks", events=[SEAL_EXPIRING])
    assert seals_warn(now=days_before(seal_of_a, 31)) == []  # not yet
    first = seals_warn(now=days_before(seal_of_a, 29.5))
    assert [(w.seal, w.days, w.recipients) for w in first] == [(seal_of_a, 30, ["sahip@a-tekstil.com.tr"])]
    assert seals_warn(now=days_before(seal_of_a, 20)) == []  # the same step: once
    assert [w.days for w in seals_warn(now=days_before(seal_of_a, 6))] == [7]
    assert [w.days for w in seals_warn(now=days_before(seal_of_a, 0.5))] == [1]
    assert seals_warn(now=days_before(seal_of_a, 0.1)) == []
    assert len(smtp.messages) == 3 and all(recipients == ["sahip@a-tekstil.com.tr"] for _, recipients, _ in smtp.messages)
    message = smtp.parsed(0)
    assert "29 gün" in message["Subject"] and seal_of_a.holder_identifier in message.get_content()
    events = WebhookDelivery.objects.filter(webhook__tenant=tenant_a, event=SEAL_EXPIRING).order_by("id")
    assert [event.payload["data"]["days_left"] for event in events] == [29, 6, 0]
    assert events[0].payload["data"]["not_after"] == seal_of_a.not_after.isoformat()


def test_a_seal_first_seen_inside_a_step_is_warned_at_that_step_only(tenant_a, seal_of_a, smtp):
    owner(tenant_a, "sahip@a-tekstil.com.tr")
    assert [w.days for w in seals_warn(now=days_before(seal_of_a, 5))] == [7]
    assert list(SealWarning.objects.values_list("days", flat=True)) == [7]
    assert seals_warn(now=days_before(seal_of_a, 4)) == []


def test_the_integrators_seal_warns_the_tenants_sealed_with_it_and_not_those_with_their_own(tenant_a, tenant_b, seal_of_a,
                                                                                             integrator_seal, smtp):
    Tenant.objects.filter(id__in=[tenant_a.id, tenant_b.id]).update(sealed_by_integrator=True)
    owner(tenant_a, "sahip@a-tekstil.com.tr")
    owner(tenant_b, "sahip@b-gida.com.tr")
    warned = {w.seal: w.recipients for w in seals_warn(now=days_before(integrator_seal, 3))}
    assert warned[integrator_seal] == ["sahip@b-gida.com.tr"]  # A seals with its own


def test_an_inactive_seal_warns_nobody_and_a_seal_without_owners_still_claims_its_step(tenant_a, seal_of_a, smtp):
    Seal.objects.filter(id=seal_of_a.id).update(is_active=False)
    assert seals_warn(now=days_before(seal_of_a, 3)) == []
    Seal.objects.filter(id=seal_of_a.id).update(is_active=True)
    assert [(w.days, w.recipients) for w in seals_warn(now=days_before(seal_of_a, 3))] == [(7, [])]
    assert smtp.messages == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_warn_once(tenant_a, seal_of_a, smtp):
    owner(tenant_a, "sahip@a-tekstil.com.tr")
    results, errors = run_concurrently(lambda: seals_warn(now=days_before(seal_of_a, 2)), 2)
    assert errors == [] and sorted(len(result) for result in results) == [0, 1]
    assert SealWarning.objects.count() == 1 and len(smtp.messages) == 1
