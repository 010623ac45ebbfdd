"""Seals on a PKCS#11 token (SoftHSM2): signing on the token, the key kept there, every failure named."""

import logging
import sys
import threading

import pkcs11
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from django.views.debug import ExceptionReporter
from django.views.decorators.debug import sensitive_variables
from lxml import etree
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11
from signxml import SignatureMethod, XMLSigner, XMLVerifier

from signing.keys import SealError
from signing.pkcs11 import (
    Pkcs11Key,
    SealCertificateMismatch,
    SealCertificateMissing,
    SealKeyNotFound,
    SealLibraryMissing,
    SealPinExpired,
    SealPinLocked,
    SealPinNotInitialized,
    SealPinWrong,
    SealTokenNotFound,
    SealTokenRemoved,
    seal_error,
)
from tests.concurrency import run_concurrently
from tests.softhsm import BARE, MISMATCHED, NO_PIN_TOKEN, PER_SIGNATURE, SEAL, TOKEN

PKCS1, SHA256 = padding.PKCS1v15(), hashes.SHA256()
DATA = b"<SignedInfo>fatura</SignedInfo>"


def test_a_signature_made_on_the_token_verifies_with_the_seal_certificate(seal_a_hsm, softhsm, test_root):
    signature = seal_a_hsm.sign(DATA, PKCS1, SHA256)

    seal_a_hsm.certificate.public_key().verify(signature, DATA, PKCS1, SHA256)
    assert seal_a_hsm.certificate == softhsm.certificate
    assert seal_a_hsm.certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "1234567890"
    assert seal_a_hsm.chain == [test_root.certificate]


def test_signxml_seals_with_the_token_key(seal_a_hsm):
    certificate = seal_a_hsm.certificate.public_bytes(Encoding.PEM)
    signed = XMLSigner(signature_algorithm=SignatureMethod.RSA_SHA256).sign(
        etree.fromstring("<Invoice><ID>AAA2026000000001</ID></Invoice>"), key=seal_a_hsm, cert=[certificate]
    )

    XMLVerifier().verify(signed, x509_cert=certificate)


def test_the_private_key_was_made_on_the_token_and_cannot_leave_it(seal_a_hsm, softhsm):
    # The open seal has logged the process in: a public session sees the private key too.
    with pkcs11.lib(softhsm.module).get_token(token_label=softhsm.token).open() as session:
        key = session.get_key(ObjectClass.PRIVATE_KEY, KeyType.RSA, label=SEAL)
        assert key[Attribute.SENSITIVE] and key[Attribute.ALWAYS_SENSITIVE] and key[Attribute.LOCAL]
        assert not key[Attribute.EXTRACTABLE] and key[Attribute.NEVER_EXTRACTABLE]
        with pytest.raises(p11.AttributeSensitive):
            key[Attribute.PRIVATE_EXPONENT]
        wrapping_key = session.generate_key(KeyType.AES, 256, capabilities=MechanismFlag.WRAP | MechanismFlag.ENCRYPT)
        with pytest.raises(p11.KeyUnextractable):
            wrapping_key.wrap_key(key, mechanism=Mechanism.AES_KEY_WRAP_PAD)


def test_a_wrong_pin_is_refused_and_never_shown(softhsm, caplog):
    caplog.set_level(logging.DEBUG)

    with pytest.raises(SealPinWrong, match="seal-token") as refused:
        softhsm.key(pin="9999-wrong")

    assert "9999-wrong" not in f"{refused.value} {refused.value!r} {caplog.text}"
    with softhsm.key() as key:
        assert softhsm.pin not in f"{key!r} {key} {caplog.text}"


@sensitive_variables("pin")
def test_django_error_reports_hide_the_pin(softhsm):
    pin = "".join(reversed("gnorw-9999"))  # not spelled out: reports quote the source lines too
    try:
        Pkcs11Key(softhsm.module, softhsm.token, pin, SEAL)
    except SealPinWrong:
        report = ExceptionReporter(None, *sys.exc_info()).get_traceback_html()

    assert "signing/pkcs11.py" in report and pin not in report


def test_softhsm_counts_wrong_pins_but_never_locks(softhsm):
    for _ in range(5):
        with pytest.raises(SealPinWrong):
            softhsm.key(pin="9999-wrong")
    token = pkcs11.lib(softhsm.module).get_token(token_label=softhsm.token)
    assert token.flags & pkcs11.TokenFlag.USER_PIN_COUNT_LOW
    assert not token.flags & (pkcs11.TokenFlag.USER_PIN_FINAL_TRY | pkcs11.TokenFlag.USER_PIN_LOCKED)

    with softhsm.key() as key:
        assert key.sign(DATA, PKCS1, SHA256)


def test_a_token_whose_user_pin_was_never_set_cannot_seal(softhsm):
    with pytest.raises(SealPinNotInitialized, match=NO_PIN_TOKEN):
        softhsm.key(token=NO_PIN_TOKEN)


@pytest.mark.parametrize(
    "answer, failure",
    [
        (p11.PinIncorrect, SealPinWrong),
        (p11.PinLenRange, SealPinWrong),
        (p11.PinLocked, SealPinLocked),
        (p11.UserPinNotInitialized, SealPinNotInitialized),
        (p11.PinExpired, SealPinExpired),
        (p11.TokenNotPresent, SealTokenRemoved),
        (p11.DeviceRemoved, SealTokenRemoved),
        (p11.SessionHandleInvalid, SealTokenRemoved),
    ],
)
def test_each_token_answer_has_its_seal_error(answer, failure):
    # SoftHSM2 cannot lock a PIN, expire it or be pulled out: these answers come from real cards.
    error = seal_error(answer(), token_label="AKİS")

    assert type(error) is failure and "AKİS" in str(error)


def test_any_other_token_answer_is_a_seal_error_naming_it():
    error = seal_error(p11.GeneralError(), token_label="AKİS")

    assert type(error) is SealError and "GeneralError" in str(error)


def test_an_unknown_token_label_is_named(softhsm):
    with pytest.raises(SealTokenNotFound, match="no-such-token"):
        softhsm.key(token="no-such-token")


def test_an_unknown_key_label_is_named(softhsm):
    with pytest.raises(SealKeyNotFound, match="no-such-key"):
        softhsm.key("no-such-key")


def test_a_key_without_its_certificate_on_the_token_is_refused(softhsm):
    with pytest.raises(SealCertificateMissing, match=BARE):
        softhsm.key(BARE)


def test_a_certificate_of_another_key_is_refused(softhsm):
    with pytest.raises(SealCertificateMismatch, match=MISMATCHED):
        softhsm.key(MISMATCHED)


def test_a_missing_library_is_named():
    with pytest.raises(SealLibraryMissing, match="/nonexistent/libsofthsm2.so.*No such file"):
        Pkcs11Key("/nonexistent/libsofthsm2.so", TOKEN, "1234", SEAL)


def test_a_file_that_is_no_library_is_named(tmp_path):
    path = tmp_path / "libsofthsm2.so"
    path.write_text("not a library")

    with pytest.raises(SealLibraryMissing, match=str(path)):
        Pkcs11Key(str(path), TOKEN, "1234", SEAL)


def test_a_key_wanting_the_pin_for_each_signature_gets_it_and_its_certificate_by_id(softhsm):
    with softhsm.key(PER_SIGNATURE) as key:
        signature = key.sign(DATA, PKCS1, SHA256)

        key.public_key().verify(signature, DATA, PKCS1, SHA256)
        assert key.certificate != softhsm.certificate


def test_threads_share_one_key(seal_a_hsm):
    def sign_many():
        data = [f"{threading.get_ident()}-{n}".encode() for n in range(20)]
        return [(each, seal_a_hsm.sign(each, PKCS1, SHA256)) for each in data]

    results, errors = run_concurrently(sign_many, 8)

    assert errors == [] and len(results) == 8
    for data, signature in (signed for result in results for signed in result):
        seal_a_hsm.public_key().verify(signature, data, PKCS1, SHA256)


def test_threads_opening_signing_and_closing_their_own_keys_do_not_collide(softhsm):
    # python-pkcs11 tells the library no two threads call it at once (SoftHSM2 then drops its own
    # locks); without the library lock this crashes the process or fails with CKR_GENERAL_ERROR.
    def sign_with_own_key():
        with softhsm.key() as key:
            return [key.sign(DATA, PKCS1, SHA256) for _ in range(10)]

    results, errors = run_concurrently(sign_with_own_key, 8)

    assert errors == [] and len(results) == 8


def test_keys_on_one_token_share_its_login(softhsm):
    with softhsm.key() as second:
        softhsm.key().close()  # the first key to close must leave the token logged in for the second

        assert second.sign(DATA, PKCS1, SHA256)
        with pytest.raises(SealPinWrong):
            softhsm.key(pin="9999-wrong")  # the token, logged in, would not check it: the key does


def test_a_closed_key_signs_no_more(softhsm):
    key = softhsm.key()
    key.close()
    key.close()

    with pytest.raises(SealError, match="closed"):
        key.sign(DATA, PKCS1, SHA256)


@pytest.mark.parametrize(
    "padding_, algorithm",
    [
        (padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()),
        (padding.PKCS1v15(), hashes.SHA1()),
        (padding.PKCS1v15(), hashes.SHA512()),
    ],
)
def test_only_pkcs1_v15_with_sha256_is_signed(seal_a_hsm, padding_, algorithm):
    with pytest.raises(SealError, match="PKCS#1 v1.5 and SHA-256 only"):
        seal_a_hsm.sign(DATA, padding_, algorithm)
