"""Secrets at rest (PKCS#12 files, their passwords, token PINs): Fernet with the seal encryption key."""

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(configured: str | None, secret_key: str) -> Fernet:
    if configured:
        try:
            return Fernet(configured)
        except ValueError:
            raise ImproperlyConfigured("SEAL_ENCRYPTION_KEY is not a Fernet key (32 url-safe base64-encoded bytes).") from None
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"integrator seal vault").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _vault() -> Fernet:
    return _fernet(settings.SEAL_ENCRYPTION_KEY, settings.SECRET_KEY)


def seal_secret(data: bytes) -> bytes:
    return _vault().encrypt(data)


def open_secret(token: bytes) -> bytes:
    try:
        return _vault().decrypt(bytes(token))
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored seal cannot be decrypted: SEAL_ENCRYPTION_KEY (or SECRET_KEY, from which it is derived) has changed."
        ) from None
