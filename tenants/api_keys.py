"""API keys: shown once, stored as a SHA-256 hash behind a visible prefix."""

import datetime
import hashlib
import hmac
import secrets

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import ApiKey, Tenant

KEY_MARK = "itk_"
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(
    *, tenant: Tenant, name: str, scopes: list[str], expires_at: datetime.datetime | None = None, created_by=None
) -> tuple[ApiKey, str]:
    """Make a key; returns it with its secret, which is never stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise ValidationError(_("An API key needs a name, to tell it from the others."), code="api_key_name")
    if len(name) > ApiKey._meta.get_field("name").max_length:
        raise ValidationError(_("An API key's name may be at most 100 characters long."), code="api_key_name_length")
    unknown = sorted(set(scopes) - set(ApiKey.Scope.values))
    if not scopes or unknown:
        raise ValidationError(
            _("Scopes must be chosen from %(choices)s; got %(scopes)s."),
            code="api_key_scope",
            params={"choices": ", ".join(ApiKey.Scope.values), "scopes": ", ".join(unknown) or _("none")},
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(_("An API key cannot expire in the past."), code="api_key_expiry")
    prefix = KEY_MARK + secrets.token_hex(4)
    raw_key = f"{prefix}.{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        tenant=tenant,
        name=name,
        prefix=prefix,
        key_hash=_hash(raw_key),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        created_by=created_by,
    )
    return api_key, raw_key


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The usable key matching *raw_key*, or None. Marks when it was last used (to the minute)."""
    prefix, dot, _secret = raw_key.partition(".")
    if not dot or not prefix.startswith(KEY_MARK):
        return None
    api_key = ApiKey.objects.select_related("tenant").filter(prefix=prefix, tenant__is_active=True).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, _hash(raw_key)) or not api_key.is_usable():
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
