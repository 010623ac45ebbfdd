"""Seals on a smart card or HSM, reached through the token's PKCS#11 library.

The private key never leaves the token: the data to sign goes in, the signature comes out
(CKM_SHA256_RSA_PKCS, so the token hashes too).  Three facts of PKCS#11 shape this module:

* A library is initialised once per process.  python-pkcs11 does it with ``C_Initialize(NULL)``,
  which by the standard promises the library that no two threads call it at once (SoftHSM2 then
  turns its own locking off), so every call into one library goes through that library's lock.
* A login belongs to the process, not to a session: once one session is logged in, all are, and
  ``C_Logout`` on any logs all out.  So the process keeps one counted login per token, shared by
  the keys on it; the last key to close logs out.  A key joining a logged-in token must bring the
  same PIN, because the token itself would not check it again.
* Build keys in the process that signs, after a worker forks: a library initialised in a parent is
  not usable in its child.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding as paddings
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from pkcs11 import Attribute, CertificateType, KeyType, Mechanism, ObjectClass
from pkcs11 import exceptions as p11

from signing.keys import SealError, require_pkcs1_sha256

log = logging.getLogger(__name__)


class SealLibraryMissing(SealError):
    code = "seal_pkcs11_library_missing"
    message = _(
        "The PKCS#11 library %(path)s cannot be loaded (%(reason)s). "
        "Install the token's driver, or correct the library path in the seal settings."
    )


class SealTokenNotFound(SealError):
    code = "seal_token_not_found"
    message = _(
        "No token labelled “%(label)s” is present through %(path)s. "
        "Insert the card, or correct the token label in the seal settings."
    )


class SealPinWrong(SealError):
    code = "seal_pin_wrong"
    message = _(
        "The PIN for token “%(label)s” is wrong. Correct it in the seal settings before the next try: "
        "cards lock their PIN after a few wrong tries."
    )


class SealPinLocked(SealError):
    code = "seal_pin_locked"
    message = _(
        "The user PIN of token “%(label)s” is locked after too many wrong tries. "
        "Unblock it with the card's PUK (SO PIN), then set the new PIN in the seal settings."
    )


class SealPinNotInitialized(SealError):
    code = "seal_pin_not_initialized"
    message = _("Token “%(label)s” has no user PIN yet. Set one with the SO PIN before using it as a seal.")


class SealPinExpired(SealError):
    code = "seal_pin_expired"
    message = _("The user PIN of token “%(label)s” has expired. Change it on the card, then in the seal settings.")


class SealTokenRemoved(SealError):
    code = "seal_token_removed"
    message = _("Token “%(label)s” was removed or lost its login. Insert it again and retry.")


class SealKeyNotFound(SealError):
    code = "seal_key_not_found"
    message = _(
        "Token “%(token)s” holds no RSA private key labelled “%(key)s”. "
        "Correct the key label in the seal settings (pkcs11-tool --list-objects shows the labels)."
    )


class SealCertificateMissing(SealError):
    code = "seal_certificate_missing"
    message = _(
        "Token “%(token)s” holds the key “%(key)s” but no certificate with its label or ID. "
        "Write the seal certificate onto the token."
    )


class SealCertificateMismatch(SealError):
    code = "seal_certificate_mismatch"
    message = _("The certificate for key “%(key)s” on token “%(token)s” belongs to another key.")


_ANSWERS: tuple[tuple[tuple[type[p11.PKCS11Error], ...], type[SealError]], ...] = (
    ((p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange), SealPinWrong),
    ((p11.PinLocked,), SealPinLocked),
    ((p11.UserPinNotInitialized,), SealPinNotInitialized),
    ((p11.PinExpired,), SealPinExpired),
    (
        (p11.TokenNotPresent, p11.TokenNotRecognised, p11.DeviceRemoved, p11.SessionClosed,
         p11.SessionHandleInvalid, p11.UserNotLoggedIn),
        SealTokenRemoved,
    ),
)


def seal_error(error: p11.PKCS11Error, *, token_label: str) -> SealError:
    """The seal error a person can act on, for what the token answered."""
    for answers, failure in _ANSWERS:
        if isinstance(error, answers):
            return failure(label=token_label)
    return SealError(
        _("Token “%(label)s” refused the operation (%(answer)s)."), label=token_label, answer=type(error).__name__
    )


@contextmanager
def _answers(token_label: str) -> Iterator[None]:
    """Turn the token's answers into seal errors (a context, so that no frame holds a PIN argument)."""
    try:
        yield
    except p11.PKCS11Error as error:
        raise seal_error(error, token_label=token_label) from error


def _quietly(close) -> None:
    try:
        close()
    except p11.PKCS11Error:
        pass  # the token is gone or the session already ended: there is nothing left to close


_PIN_DIGEST_KEY = secrets.token_bytes(32)


@sensitive_variables("pin")
def _pin_digest(pin: str) -> bytes:
    # Only a keyed digest of a login's PIN is kept, to compare the PIN of a key joining that login.
    return hmac.new(_PIN_DIGEST_KEY, pin.encode(), hashlib.sha256).digest()


@dataclass(eq=False)
class _Login:
    label: str
    token: pkcs11.Token
    session: pkcs11.Session
    pin_digest: bytes
    keys: int = 0


class _Library:
    """One PKCS#11 library of this process and its logins; callers hold ``lock`` around every call."""

    def __init__(self, path: str, lib) -> None:
        self.path = path
        self.lib = lib
        self.lock = threading.Lock()
        self.logins: dict[str, _Login] = {}

    @sensitive_variables("pin")
    def log_in(self, token_label: str, pin: str) -> _Login:
        login = self.logins.get(token_label)
        if login is None:
            token = self._token(token_label)
            with _answers(token_label):
                # A failed C_Login leaves the session python-pkcs11 opened for it behind, unreachable.
                session = token.open(user_pin=pin)
            login = self.logins[token_label] = _Login(token_label, token, session, _pin_digest(pin))
            log.info("Logged in to PKCS#11 token %r through %s", token_label, self.path)
        elif not hmac.compare_digest(login.pin_digest, _pin_digest(pin)):
            raise SealPinWrong(label=token_label)
        login.keys += 1
        return login

    def log_out(self, login: _Login) -> None:
        login.keys -= 1
        if not login.keys:
            self.drop(login)

    def drop(self, login: _Login) -> None:
        """End *login* (also one the token lost, so that the next key logs in afresh)."""
        if self.logins.get(login.label) is login:
            del self.logins[login.label]
            _quietly(login.session.close)
            log.info("Logged out of PKCS#11 token %r", login.label)

    def _token(self, label: str) -> pkcs11.Token:
        try:
            return self.lib.get_token(token_label=label)
        except p11.NoSuchToken:
            raise SealTokenNotFound(label=label, path=self.path) from None
        except p11.MultipleTokensReturned:
            message = _("More than one token is labelled “%(label)s”; give each its own label.")
            raise SealError(message, label=label) from None
        except p11.PKCS11Error as error:
            raise seal_error(error, token_label=label) from error


_libraries: dict[str, _Library] = {}
_libraries_lock = threading.Lock()


def _library(path: str) -> _Library:
    """The library at *path*, loaded and initialised once per process."""
    with _libraries_lock:
        if path not in _libraries:
            try:
                _libraries[path] = _Library(path, pkcs11.lib(path))
            except p11.PKCS11Error as error:
                raise SealLibraryMissing(path=path, reason=str(error)) from None
        return _libraries[path]


@dataclass(frozen=True)
class _TokenCertificate:
    label: str
    id: bytes
    certificate: x509.Certificate


def _certificates(session: pkcs11.Session) -> list[_TokenCertificate]:
    template = {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509}
    objects = list(session.get_objects(template))
    found = []
    for obj in objects:
        attributes = obj.get_attributes([Attribute.LABEL, Attribute.ID, Attribute.VALUE])
        try:
            certificate = x509.load_der_x509_certificate(attributes[Attribute.VALUE])
        except ValueError:
            continue  # not a certificate we can read, so not one of ours
        found.append(_TokenCertificate(attributes[Attribute.LABEL], attributes[Attribute.ID], certificate))
    return found


def _private_key(session: pkcs11.Session, token_label: str, key_label: str) -> pkcs11.PrivateKey:
    try:
        return session.get_key(ObjectClass.PRIVATE_KEY, KeyType.RSA, label=key_label)
    except p11.NoSuchKey:
        raise SealKeyNotFound(token=token_label, key=key_label) from None
    except p11.MultipleObjectsReturned:
        raise SealError(
            _("Token “%(token)s” holds more than one key labelled “%(key)s”."), token=token_label, key=key_label
        ) from None


def _certificate_of(
    key: pkcs11.PrivateKey, certificates: list[_TokenCertificate], token_label: str, key_label: str
) -> x509.Certificate:
    """The key's certificate: the one with the key's label, else with its CKA_ID, and its public key."""
    key_id = key[Attribute.ID]
    named = [c for c in certificates if c.label == key_label]
    named = named or [c for c in certificates if key_id and c.id == key_id]
    if not named:
        raise SealCertificateMissing(token=token_label, key=key_label)
    modulus = int.from_bytes(key[Attribute.MODULUS], "big")
    for candidate in named:
        public_key = candidate.certificate.public_key()
        if isinstance(public_key, rsa.RSAPublicKey) and public_key.public_numbers().n == modulus:
            return candidate.certificate
    raise SealCertificateMismatch(token=token_label, key=key_label)


def _chain(certificate: x509.Certificate, certificates: list[_TokenCertificate]) -> list[x509.Certificate]:
    """The issuers of *certificate* found on the token, nearest first (names only: verification checks them)."""
    chain, current = [], certificate
    while current.issuer != current.subject:
        issuers = (c.certificate for c in certificates if c.certificate.subject == current.issuer)
        issuer = next((c for c in issuers if c not in chain), None)
        if issuer is None or issuer == certificate:
            break
        chain.append(issuer)
        current = issuer
    return chain


def _always_authenticate(key: pkcs11.PrivateKey) -> bool:
    try:
        return bool(key[Attribute.ALWAYS_AUTHENTICATE])
    except (p11.AttributeTypeInvalid, p11.AttributeSensitive):
        return False


class Pkcs11Key:
    """A seal on a token: the key signs there and never leaves it.

    Each key keeps one session open for all its signatures; its library's lock lets threads share
    it.  ``close()`` ends the session, and the token's login when this was the last key on it.
    After ``SealTokenRemoved`` the key is closed: build a new one once the token is back.
    """

    @sensitive_variables("pin")
    def __init__(self, module_path: str, token_label: str, pin: str, key_label: str) -> None:
        self.module_path = module_path
        self.token_label = token_label
        self.key_label = key_label
        self._library = _library(module_path)
        self._session = None
        with self._library.lock:
            self._login = self._library.log_in(token_label, pin)
            try:
                with _answers(token_label):
                    self._open(pin)
            except BaseException:
                self._close()
                raise

    @sensitive_variables("pin")
    def _open(self, pin: str) -> None:
        self._session = self._login.token.open()
        self._key = _private_key(self._session, self.token_label, self.key_label)
        certificates = _certificates(self._session)
        self.certificate = _certificate_of(self._key, certificates, self.token_label, self.key_label)
        self.chain = _chain(self.certificate, certificates)
        # A key marked CKA_ALWAYS_AUTHENTICATE wants the PIN again for every signature.
        self._pin_for_each_signature = pin if _always_authenticate(self._key) else None

    def __repr__(self) -> str:
        return f"<Pkcs11Key {self.token_label}/{self.key_label}>"

    def __enter__(self) -> Pkcs11Key:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def public_key(self) -> rsa.RSAPublicKey:
        return self.certificate.public_key()

    def sign(self, data: bytes, padding: paddings.AsymmetricPadding, algorithm: hashes.HashAlgorithm) -> bytes:
        require_pkcs1_sha256(padding, algorithm)
        with self._library.lock:
            if self._session is None:
                raise SealError(_("The seal on token “%(label)s” is closed."), label=self.token_label)
            try:
                return self._key.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS, pin=self._pin_for_each_signature)
            except p11.PKCS11Error as error:
                failure = seal_error(error, token_label=self.token_label)
                if isinstance(failure, SealTokenRemoved):
                    self._library.drop(self._login)
                    self._close()
                raise failure from error

    def close(self) -> None:
        with self._library.lock:
            self._close()

    def _close(self) -> None:
        session, self._session = self._session, None
        login, self._login = self._login, None
        if session is not None:
            _quietly(session.close)
        if login is not None:
            self._library.log_out(login)
