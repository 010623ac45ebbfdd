"""Warnings that a seal ends soon: 30, 7 and 1 days before its certificate does, once at each step, to
the people who can renew it (the owners of the tenants sealed with it, by e-mail) and to the tenants'
ERPs (the ``seal.expiring`` webhook). Beat looks daily (``signing.tasks.seals_warn``); the portal's
dashboard says it on every visit besides (``signing.selectors.seal_in_use``).

A step is claimed by its row (unique per seal and step) before anyone is told, so two beats, or a
beat run twice, warn once. A seal first seen inside a step is warned at that step only: a seal
registered with five days left gets the 7-day warning, then the 1-day one.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from signing.models import Seal, SealWarning
from tenants.models import Membership, Tenant
from tenants.roles import Role
from tenants.webhooks import SEAL_EXPIRING, webhook_event

logger = logging.getLogger(__name__)
STEPS = (30, 7, 1)  # days before the seal ends


@dataclass(frozen=True)
class Warned:
    seal: Seal
    days: int
    recipients: list[str]


def seals_warn(*, now: dt.datetime | None = None) -> list[Warned]:
    """Warn of every active seal that has entered a step it was not warned at; what was warned."""
    now = now or timezone.now()
    warned = []
    for seal in Seal.objects.filter(is_active=True, not_after__lte=now + dt.timedelta(days=max(STEPS))).select_related("tenant"):
        step = min(days for days in STEPS if seal.not_after - now <= dt.timedelta(days=days))
        if SealWarning.objects.filter(seal=seal, days__lte=step).exists():
            continue
        tenants = _sealed_with(seal)
        recipients = sorted({email for tenant in tenants for email in _owners(tenant)})
        try:
            with transaction.atomic():
                SealWarning.objects.create(seal=seal, days=step, sent_at=now, recipients=", ".join(recipients))
        except IntegrityError:  # another beat took this step
            continue
        _tell(seal, tenants, recipients, now)
        warned.append(Warned(seal, step, recipients))
    return warned


def _sealed_with(seal: Seal) -> list[Tenant]:
    if seal.tenant_id is not None:
        return [seal.tenant]
    own = Seal.objects.filter(tenant__isnull=False, is_active=True).values("tenant_id")
    return list(Tenant.objects.filter(sealed_by_integrator=True).exclude(id__in=own))


def _owners(tenant: Tenant) -> list[str]:
    return [email for email in Membership.objects.filter(tenant=tenant, role=Role.OWNER).values_list("user__email", flat=True) if email]


def _tell(seal: Seal, tenants: list[Tenant], recipients: list[str], now: dt.datetime) -> None:
    left = max((seal.not_after - now).days, 0)
    for tenant in tenants:
        webhook_event(tenant=tenant, event=SEAL_EXPIRING, data={
            "seal": seal.name, "holder": seal.holder_name, "holder_identifier": seal.holder_identifier,
            "not_after": seal.not_after.isoformat(), "days_left": left, "integrators": seal.tenant_id is None})
    if not recipients:
        logger.warning("seal %s ends in %s days and no owner has an e-mail address to be told", seal, left)
        return
    with translation.override(settings.LANGUAGE_CODE):
        facts = {"holder": seal.holder_name, "identifier": seal.holder_identifier, "days": left,
                 "date": timezone.localtime(seal.not_after).strftime("%d.%m.%Y %H:%M"),
                 "tenants": ", ".join(tenant.display_name for tenant in tenants)}
        subject = _("Your financial seal ends in %(days)s days") % facts
        body = _("The financial seal of %(holder)s (%(identifier)s) ends on %(date)s, in %(days)s days.\n\n"
                 "After it ends, invoices of %(tenants)s cannot be sealed and wait until a new seal is registered. "
                 "Renew it with Kamu SM and register the new one in the portal.") % facts
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
