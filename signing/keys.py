"""Key providers: where a seal's private key lives and how a signature is made with it.

Every provider gives the seal's certificate (and the chain up to its root, when it has one) and
one operation, ``sign(data, padding, algorithm)``, with the shape of cryptography's
``RSAPrivateKey.sign`` so that signxml can use any provider as its key.  Only RSA PKCS#1 v1.5 with
SHA-256 is used: that is what GİB's verifier accepts for seals.  A provider never hands its key out.
"""

from __future__ import annotations

from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding as paddings
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils.translation import gettext_lazy as _

from integrator.errors import DomainError


class SealError(DomainError):
    code = "seal_error"
    message = _("The seal cannot be used.")


class SealPasswordWrong(SealError):
    code = "seal_password_wrong"
    message = _("The seal's PKCS#12 file cannot be opened: the password is wrong or the file is damaged.")


class SealFileInvalid(SealError):
    code = "seal_file_invalid"
    message = _("The seal's PKCS#12 file holds no RSA private key with its certificate.")


class KeyProvider(Protocol):
    certificate: x509.Certificate
    chain: list[x509.Certificate]

    def public_key(self) -> rsa.RSAPublicKey: ...

    def sign(self, data: bytes, padding: paddings.AsymmetricPadding, algorithm: hashes.HashAlgorithm) -> bytes: ...


def require_pkcs1_sha256(padding: paddings.AsymmetricPadding, algorithm: hashes.HashAlgorithm) -> None:
    if not isinstance(padding, paddings.PKCS1v15) or not isinstance(algorithm, hashes.SHA256):
        raise SealError(_("Seals sign with RSA PKCS#1 v1.5 and SHA-256 only."))


class Pkcs12Key:
    """A seal held in a PKCS#12 file, opened in memory with its password; nothing is written anywhere."""

    def __init__(self, data: bytes, password: bytes) -> None:
        try:
            key, certificate, chain = pkcs12.load_key_and_certificates(data, password)
        except ValueError:
            raise SealPasswordWrong() from None
        if not isinstance(key, rsa.RSAPrivateKey) or certificate is None:
            raise SealFileInvalid()
        if key.public_key().public_numbers() != certificate.public_key().public_numbers():
            raise SealFileInvalid()
        self._key = key
        self.certificate = certificate
        self.chain = list(chain)

    def __repr__(self) -> str:
        return f"<Pkcs12Key {self.certificate.subject.rfc4514_string()}>"

    def public_key(self) -> rsa.RSAPublicKey:
        return self.certificate.public_key()

    def sign(self, data: bytes, padding: paddings.AsymmetricPadding, algorithm: hashes.HashAlgorithm) -> bytes:
        require_pkcs1_sha256(padding, algorithm)
        return self._key.sign(data, padding, algorithm)
