"""Writes: setting up, confirming and removing a person's authenticator, and a tenant's two-factor rule.

A person has at most one confirmed TOTP device. Setting one up makes an unconfirmed device (its key
shown once as a QR code); the first right code confirms it. A code is good once: django-otp keeps the
time step of the last code it took (``last_t``) and takes only later ones. Confirming also gives
BACKUP_CODES backup codes (django-otp's static tokens), each good once, for a phone that is lost."""

import segno
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.selectors import totp_device_of
from tenants.models import Membership, Tenant
from tenants.roles import Role


BACKUP_CODES = 10
BACKUP_CODE_LENGTH = 8  # StaticToken.random_token: 8 base32 characters, never all digits like an app's code


def totp_enrol_start(*, user) -> TOTPDevice:
    """A new unconfirmed device for *user* (an earlier unconfirmed one is dropped); refused while a
    confirmed one exists."""
    with transaction.atomic():
        if totp_device_of(user=user) is not None:
            raise ValidationError(_("Two-factor verification is already on."), code="two_factor_on")
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_enrol_confirm(*, user, code: str) -> TOTPDevice:
    """Confirms the unconfirmed device with its first code."""
    device = totp_device_of(user=user, confirmed=False)
    if device is None:
        raise ValidationError(_("Start setting up two-factor verification first."), code="no_device")
    _check_code(device, code)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


def totp_disable(*, user, code: str) -> None:
    """Removes the person's authenticator, given a current code from it."""
    device = totp_device_of(user=user)
    if device is None:
        raise ValidationError(_("Two-factor verification is not on."), code="two_factor_off")
    _check_code(device, code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()


def backup_codes_make(*, user) -> list[str]:
    """New backup codes for *user* (the earlier ones stop working), shown once: only they are kept."""
    if totp_device_of(user=user) is None:
        raise ValidationError(_("Two-factor verification is not on."), code="two_factor_off")
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
        codes = [StaticToken.random_token() for _n in range(BACKUP_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def login_code_check(*, user, code: str):
    """The device that takes *code* at the login's second step: the app's code, or a backup code
    (used up by it). ValidationError for a wrong or used one, or while wrong codes make it wait."""
    token = (code or "").strip().replace(" ", "").replace("-", "").lower()
    backup = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if backup is not None and len(token) == BACKUP_CODE_LENGTH and not token.isdigit():
        allowed, _data = backup.verify_is_allowed()
        if not allowed:
            raise ValidationError(_("Too many wrong codes: wait a little and try again."), code="code_throttled")
        if not backup.verify_token(token):
            raise ValidationError(_("This backup code is wrong or was used already."), code="backup_code_wrong")
        return backup
    device = totp_device_of(user=user)
    _check_code(device, code)
    return device


def _check_code(device: TOTPDevice, code: str) -> None:
    """ValidationError unless *code* is the device's, later than the last it took, and the device
    is not waiting after wrong codes."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == device.digits):
        raise ValidationError(_("The code is the 6 digits your authenticator app shows."), code="code_format")
    allowed, _data = device.verify_is_allowed()
    if not allowed:
        raise ValidationError(_("Too many wrong codes: wait a little and try again."), code="code_throttled")
    if not device.verify_token(code):
        raise ValidationError(_("The code is wrong or was used already: enter the code your app shows now."), code="code_wrong")


def totp_qr_data_uri(*, device: TOTPDevice) -> str:
    """The device's key as a QR code (otpauth:// URL), an SVG data: URI for an <img>."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def tenant_two_factor_set(*, tenant: Tenant, user, required: bool) -> Tenant:
    """Whether *tenant*'s owners must use two-factor; only an owner may change it, and only one who
    uses it (turning it on otherwise would send them straight to set it up)."""
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if not Membership.objects.filter(tenant=locked, user=user, role=Role.OWNER).exists():
            raise PermissionDenied
        if required and totp_device_of(user=user) is None:
            raise ValidationError(_("Set up two-factor verification for yourself first."), code="owner_without_two_factor")
        locked.owners_must_use_two_factor = required
        locked.save(update_fields=["owners_must_use_two_factor"])
        return locked
