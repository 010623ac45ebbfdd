"""Reads: a person's authenticator (django-otp's TOTP device) and the two-factor rule of tenants."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.models import Membership
from tenants.roles import Role


def totp_device_of(*, user, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("id").first()


def two_factor_missing(*, user, identifier: str) -> bool:
    """True for an owner of the tenant *identifier* that asks its owners for two-factor, while they
    have no confirmed authenticator."""
    bound = Membership.objects.filter(
        user=user, tenant__identifier=identifier, role=Role.OWNER, tenant__owners_must_use_two_factor=True
    ).exists()
    return bound and totp_device_of(user=user) is None
