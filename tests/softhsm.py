"""A SoftHSM2 token store for the tests: seals on a real (software) PKCS#11 token, made once per run.

SoftHSM2 reads its configuration and finds its tokens when it is initialised, once per process, so
every token the tests need is made here, before this process loads the library:

* ``seal-token``: tenant A's seal (VKN 1234567890) — an RSA-2048 key generated on the token,
  sensitive and never extractable, with its certificate from ``test_root``; the root certificate;
  and a few keys for the error cases (no certificate, another key's certificate, PIN per signature).
* ``no-pin-token``: initialised by its security officer, its user PIN never set, so it cannot log in.
  (SoftHSM2 never locks a PIN: wrong PINs only raise CKF_USER_PIN_COUNT_LOW.  This is the unusable
  token it can really make.)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from pkcs11 import Attribute, KeyType, MechanismFlag
from pkcs11.util.x509 import decode_x509_certificate

from signing import pki
from signing.pkcs11 import Pkcs11Key
from tests.clock import VALID_DAYS, VALID_FROM

ROOT = Path(__file__).resolve().parent.parent
MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)
SO_PIN = "so-pin-87654321"
PIN = "user-pin-1234"
TOKEN = "seal-token"
NO_PIN_TOKEN = "no-pin-token"
SEAL = "seal"  # tenant A's key and its certificate, both labelled so
BARE = "bare"  # a key with no certificate
MISMATCHED = "mismatched"  # a key whose label is on another key's certificate
PER_SIGNATURE = "per-signature"  # CKA_ALWAYS_AUTHENTICATE; its certificate is found by CKA_ID only


@dataclass(frozen=True)
class SoftHsm:
    module: str
    token: str
    pin: str
    certificate: x509.Certificate  # of the key SEAL

    def key(self, key_label: str = SEAL, *, token: str | None = None, pin: str | None = None) -> Pkcs11Key:
        return Pkcs11Key(self.module, token or self.token, self.pin if pin is None else pin, key_label)


def token_store(store: Path, test_root: pki.Issued) -> SoftHsm:
    """Make the tokens in the empty folder *store* and point SOFTHSM2_CONF at it (the caller restores it)."""
    util = shutil.which("softhsm2-util")
    if util is None:
        pytest.fail("softhsm2-util is missing: the PKCS#11 tests need Debian's softhsm2 (apt-get install softhsm2).")
    module = next((path for path in MODULES if os.path.exists(path)), None)
    if module is None:
        pytest.fail(f"libsofthsm2.so is in none of {MODULES}: install Debian's softhsm2 (apt-get install softhsm2).")
    (store / "tokens").mkdir()
    config = store / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {store / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(config)
    _init_token_without_user_pin(module, NO_PIN_TOKEN)  # first: in an empty store it takes the one slot
    _run(util, "--init-token", "--free", "--label", TOKEN, "--so-pin", SO_PIN, "--pin", PIN)
    return SoftHsm(module, TOKEN, PIN, _fill(module, test_root))


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory, test_root) -> Iterator[SoftHsm]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", "")  # restored after the run
        yield token_store(tmp_path_factory.mktemp("softhsm"), test_root)


@pytest.fixture
def seal_a_hsm(softhsm) -> Iterator[Pkcs11Key]:
    """Tenant A's seal on the token, closed after the test."""
    with softhsm.key() as key:
        yield key


def _run(*command: str) -> None:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"{command[0]} failed: {result.stdout}{result.stderr}"


def _init_token_without_user_pin(module: str, label: str) -> None:
    # softhsm2-util always sets a user PIN, so C_InitToken is called directly; in a child process,
    # so that this one loads SoftHSM2 only once every token exists.
    script = "import sys; from tests.softhsm import c_init_token; c_init_token(*sys.argv[1:])"
    _run(sys.executable, "-c", script, module, label, SO_PIN)


def c_init_token(module: str, label: str, so_pin: str) -> None:
    import ctypes

    library = ctypes.CDLL(module)
    ulong = ctypes.c_ulong
    assert library.C_Initialize(None) == 0
    count = ulong(0)
    assert library.C_GetSlotList(ctypes.c_ubyte(0), None, ctypes.byref(count)) == 0 and count.value == 1
    slots = (ulong * 1)()
    assert library.C_GetSlotList(ctypes.c_ubyte(0), slots, ctypes.byref(count)) == 0
    so = so_pin.encode()
    assert library.C_InitToken(slots[0], so, ulong(len(so)), label.encode().ljust(32)) == 0
    library.C_Finalize(None)


def _fill(module: str, test_root: pki.Issued) -> x509.Certificate:
    try:
        token = pkcs11.lib(module).get_token(token_label=TOKEN)
    except pkcs11.NoSuchToken:
        pytest.fail("SoftHSM2 was loaded in this process before the test token store was made; it cannot see it.")
    with token.open(rw=True, user_pin=PIN) as session:
        certificate = _issue(test_root, _generate(session, SEAL, b"\x01"))
        _store(session, certificate, label=SEAL, id=b"\x01")
        _store(session, test_root.certificate, label="Test root", id=b"\xff")
        _generate(session, BARE, b"\x02", bits=1024)
        _generate(session, MISMATCHED, b"\x03", bits=1024)
        _store(session, certificate, label=MISMATCHED, id=b"\x03")
        per_signature = _issue(test_root, _generate(session, PER_SIGNATURE, b"\x04", always_authenticate=True))
        _store(session, per_signature, label="per-signature certificate", id=b"\x04")
    return certificate


def _generate(session, label: str, id: bytes, *, bits=2048, always_authenticate=False) -> rsa.RSAPublicKey:
    public, _private = session.generate_keypair(
        KeyType.RSA,
        bits,
        id=id,
        label=label,
        store=True,
        capabilities=MechanismFlag.SIGN | MechanismFlag.VERIFY,
        private_template={
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.ALWAYS_AUTHENTICATE: always_authenticate,
        },
    )
    exponent, modulus = (int.from_bytes(public[a], "big") for a in (Attribute.PUBLIC_EXPONENT, Attribute.MODULUS))
    return rsa.RSAPublicNumbers(exponent, modulus).public_key()


def _issue(test_root: pki.Issued, public_key: rsa.RSAPublicKey) -> x509.Certificate:
    subject = pki.name("A Tekstil A.Ş.", identifier="1234567890", organization="A Tekstil A.Ş.")
    return pki.issue(test_root, subject, public_key, not_before=VALID_FROM, not_after=VALID_FROM + dt.timedelta(days=VALID_DAYS))


def _store(session, certificate: x509.Certificate, *, label: str, id: bytes) -> None:
    attributes = decode_x509_certificate(certificate.public_bytes(Encoding.DER))
    attributes.update({Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: id})
    session.create_object(attributes)
