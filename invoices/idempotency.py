"""``Idempotency-Key``: a client may repeat a POST (after a timeout, a lost answer) and get the
invoice its first attempt made, never a second one."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from integrator.errors import DomainError
from invoices.models import IdempotencyKey, Invoice
from tenants.models import Tenant

MAX_KEY_LENGTH = 255


class KeyReused(DomainError):
    code = "idempotency_key_reused"
    message = _("The Idempotency-Key %(key)s was used with another request; use a new key for a new invoice.")


class KeyInvalid(DomainError):
    code = "idempotency_key_invalid"
    message = _("An Idempotency-Key is 1 to 255 visible ASCII characters.")


def fingerprint(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def idempotent(*, tenant: Tenant, key: str, fingerprint: str, make: Callable[[], Invoice]) -> tuple[Invoice, bool]:
    """The invoice *make* creates, or the one an earlier request with *key* and the same
    *fingerprint* made (then ``True``). Concurrent requests with one key make one invoice: the key's
    row is inserted first, in the same transaction as the invoice, so the others wait on the unique
    index and then find the first one's invoice. A repeated request finds it the same way, before
    anything is made: a new key costs no lookup."""
    if not key:
        return make(), False
    if not (len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()):
        raise KeyInvalid()
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(tenant=tenant, key=key, fingerprint=fingerprint)
            record.invoice = make()
            record.save(update_fields=["invoice"])
            return record.invoice, False
    except IntegrityError:
        found = _replayed(tenant, key, fingerprint)
        if found is None:
            raise
        return found, True


def _replayed(tenant: Tenant, key: str, fingerprint: str) -> Invoice | None:
    record = IdempotencyKey.objects.filter(tenant=tenant, key=key).select_related("invoice").first()
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise KeyReused(key=key)
    return record.invoice
