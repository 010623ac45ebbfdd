"""RFC 3161 timestamps over real HTTP against the local TSA: a token is returned only when all of it holds."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import random
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from signing import pki
from signing.devpki import dev_pki
from signing.timestamp import (
    REQUEST_TYPE,
    TimeStampResp,
    TimestampBadSignature,
    TimestampError,
    TimestampImprintMismatch,
    TimestampMalformed,
    TimestampNonceMismatch,
    TimestampRefused,
    TimestampUnauthorized,
    TimestampUnreachable,
    TimestampUntrusted,
    kamusm_identity,
    kamusm_identity_read,
    timestamp,
    verify_token,
)
from signing.tsa_server import TsaApplication, application_from_settings
from tests.tsa_fixtures import POLICY, HeaderTap, Relay

ROOT = Path(__file__).resolve().parent.parent
DIGEST = hashlib.sha256("<Invoice>GİB2025000000001</Invoice>".encode()).digest()
OTHER = hashlib.sha256(b"another invoice").digest()


@pytest.fixture
def roots(local_tsa):
    return [local_tsa.root.certificate]


def _tst_info(token_der: bytes) -> tsp.TSTInfo:
    content = cms.ContentInfo.load(token_der)["content"]["encap_content_info"]["content"]
    return tsp.TSTInfo.load(bytes(content))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _post(url: str, body: bytes, content_type: str = REQUEST_TYPE) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


# --- A good token -------------------------------------------------------------------------------


def test_a_token_verifies_and_stamps_our_digest_and_nonce_now(serve, local_tsa, roots):
    relay = Relay(local_tsa.url)
    before = dt.datetime.now(dt.UTC)
    token = timestamp(DIGEST, url=serve(relay), roots=roots)
    after = dt.datetime.now(dt.UTC)

    sent = tsp.TimeStampReq.load(relay.requests[-1])
    assert sent["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert sent["cert_req"].native is True
    assert token.info.nonce == sent["nonce"].native
    tst_info = _tst_info(token.der)
    assert tst_info["message_imprint"]["hashed_message"].native == DIGEST
    assert tst_info["nonce"].native == sent["nonce"].native
    assert before - dt.timedelta(seconds=1) <= token.info.gen_time <= after + dt.timedelta(seconds=1)
    assert token.info.gen_time.tzinfo == dt.UTC
    assert token.info.policy == POLICY
    assert token.info.tsa_certificate == local_tsa.signer.certificate
    assert "Test Zaman Damgası" in token.info.tsa_subject
    assert token.der == TimeStampResp.load(relay.replies[-1])["time_stamp_token"].dump()  # as the TSA sent it


def test_serials_only_increase(local_tsa, roots):
    serials = [timestamp(DIGEST, url=local_tsa.url, roots=roots).info.serial for _ in range(3)]
    assert serials == sorted(set(serials))


def test_a_stored_token_verifies_later_against_its_digest_and_roots(local_tsa, roots, test_root):
    token = timestamp(DIGEST, url=local_tsa.url, roots=roots)

    info = verify_token(token.der, DIGEST, roots=roots)
    assert (info.serial, info.gen_time, info.policy) == (token.info.serial, token.info.gen_time, token.info.policy)

    with pytest.raises(TimestampImprintMismatch):
        verify_token(token.der, OTHER, roots=roots)
    with pytest.raises(TimestampUntrusted):
        verify_token(token.der, DIGEST, roots=[pki.root_ca("Başka Kök").certificate])
    with pytest.raises(TimestampMalformed):
        verify_token(b"\x30\x03\x02\x01\x01", DIGEST, roots=roots)


def test_the_call_is_logged_with_its_duration_and_never_the_password(serve, local_tsa, roots, caplog):
    url = serve(TsaApplication(signer=local_tsa.signer, policy=POLICY, username="zd-kullanici", password="gizli-Parola-42"))
    with caplog.at_level(logging.INFO, logger="signing.timestamp"):
        token = timestamp(DIGEST, url=url, username="zd-kullanici", password="gizli-Parola-42", roots=roots)
        with pytest.raises(TimestampUnauthorized):
            timestamp(DIGEST, url=url, username="zd-kullanici", password="gizli-Parola-43", roots=roots)
    assert f"serial {token.info.serial}" in caplog.text and " ms" in caplog.text
    assert "timestamp_unauthorized" in caplog.text
    assert "gizli-Parola" not in caplog.text


# --- Authentication -----------------------------------------------------------------------------


def test_basic_auth_a_wrong_password_is_refused_clearly_the_right_one_works(serve, local_tsa, roots):
    url = serve(TsaApplication(signer=local_tsa.signer, policy=POLICY, username="zd-kullanici", password="doğru parola"))

    with pytest.raises(TimestampUnauthorized, match="refused our user name or password"):
        timestamp(DIGEST, url=url, username="zd-kullanici", password="yanlış parola", roots=roots)
    with pytest.raises(TimestampUnauthorized, match="asks for a user name and password") as missing:
        timestamp(DIGEST, url=url, username="", roots=roots)
    assert missing.value.code == "timestamp_unauthorized" and isinstance(missing.value, TimestampRefused)

    token = timestamp(DIGEST, url=url, username="zd-kullanici", password="doğru parola", roots=roots)
    assert verify_token(token.der, DIGEST, roots=roots).serial == token.info.serial


# --- Kamu SM's identity header ------------------------------------------------------------------

CUSTOMER, SECRET = "4242", "Kamu-SM parolası 42"


@pytest.fixture
def kamusm_tsa(serve, local_tsa) -> tuple[str, HeaderTap]:
    """A local TSA that authenticates as Kamu SM does, behind a tap that keeps the headers it was sent."""
    application = TsaApplication(signer=local_tsa.signer, policy=POLICY, username=CUSTOMER, password=SECRET, auth="kamusm")
    tap = HeaderTap(application)
    return serve(tap), tap


def _kamusm(digest: bytes, url: str, roots, *, username: str = CUSTOMER, password: str = SECRET):
    return timestamp(digest, url=url, username=username, password=password, auth="kamusm", roots=roots)


def test_kamusm_the_client_and_the_local_tsa_agree(kamusm_tsa, roots):
    url, tap = kamusm_tsa
    token = _kamusm(DIGEST, url, roots)

    assert verify_token(token.der, DIGEST, roots=roots).serial == token.info.serial
    sent = tap.headers[-1]
    assert "authorization" not in sent and sent["cache-control"] == "no-cache"
    identity = kamusm_identity_read(sent["identity"])
    assert identity["userid"].native == int(CUSTOMER) and identity["iteration_count"].native == 100
    assert len(identity["salt"].native) == 16 and identity["iv"].native == identity["salt"].native


def test_kamusm_a_fresh_salt_makes_every_header_different_even_for_one_digest(kamusm_tsa, roots):
    url, tap = kamusm_tsa
    _kamusm(DIGEST, url, roots)
    _kamusm(DIGEST, url, roots)

    first, second = (kamusm_identity_read(h["identity"]) for h in tap.headers[-2:])
    assert tap.headers[-2]["identity"] != tap.headers[-1]["identity"]
    assert first["salt"].native != second["salt"].native
    assert first["encrypted_message_imprint"].native != second["encrypted_message_imprint"].native


def test_kamusm_a_wrong_password_is_unauthorized_in_the_servers_words(kamusm_tsa, roots):
    url, _ = kamusm_tsa
    with pytest.raises(TimestampUnauthorized, match="Account could not be authenticated") as caught:
        _kamusm(DIGEST, url, roots, password="Kamu-SM parolası 43")
    assert caught.value.code == "timestamp_unauthorized" and isinstance(caught.value, TimestampRefused)
    assert "customer number or password" in str(caught.value)


def test_kamusm_an_unknown_customer_is_unauthorized_in_the_servers_words(kamusm_tsa, roots):
    url, _ = kamusm_tsa
    with pytest.raises(TimestampUnauthorized, match="User 999 is not known"):
        _kamusm(DIGEST, url, roots, username="999")


def test_kamusm_an_identity_replayed_onto_another_request_is_refused(kamusm_tsa, roots):
    url, tap = kamusm_tsa
    _kamusm(OTHER, url, roots)
    tap.replace = {"identity": tap.headers[-1]["identity"]}  # good, but made for another digest

    with pytest.raises(TimestampUnauthorized, match="Account could not be authenticated"):
        _kamusm(DIGEST, url, roots)


def test_the_local_tsa_refuses_an_identity_as_kamu_sm_does(kamusm_tsa):
    url, _ = kamusm_tsa
    request = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": DIGEST},
    })
    for identity in (None, "zz", "3003020101", kamusm_identity(int(CUSTOMER), SECRET, OTHER)):
        headers = {"Content-Type": REQUEST_TYPE, **({"identity": identity} if identity else {})}
        with urllib.request.urlopen(urllib.request.Request(url, data=request.dump(), headers=headers), timeout=10) as answer:
            status, body = answer.status, answer.read()
        assert status == 200 and b"Account could not be authenticated" in body, identity
        with pytest.raises(ValueError):  # not a TimeStampResp: Kamu SM's own shape
            TimeStampResp.load(body, strict=True)["status"]["status"].native


def test_kamusm_identity_known_answer():
    """The header computed by the plain formula, independently of the code under test: a wrong field
    order, iteration count, key derivation, padding or hex form would not give these bytes."""
    salt, password = bytes(range(16)), "Şifre-123"  # 200 needs a leading zero byte as a DER INTEGER
    key = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, 100, 32)
    encryptor = Cipher(algorithms.AES(key), modes.CBC(salt)).encryptor()
    encrypted = encryptor.update(DIGEST + bytes([16]) * 16) + encryptor.finalize()  # PKCS#7: a whole block
    fields = b"\x02\x02\x00\xc8" + b"\x04\x10" + salt + b"\x02\x01\x64" + b"\x04\x10" + salt + b"\x04\x30" + encrypted
    der = b"\x30" + bytes([len(fields)]) + fields

    assert kamusm_identity(200, password, DIGEST, salt=salt) == der.hex()
    read = kamusm_identity_read("00" + der.hex().upper())  # a number: leading zeros and case change nothing
    assert read["encrypted_message_imprint"].native == encrypted


def _der(tag: int, content: bytes) -> bytes:
    return bytes([tag, len(content)]) + content


@pytest.mark.parametrize(
    "body, error, said",
    [
        # a PrintableString nested in a body that is not a TimeStampResp
        (_der(0x30, _der(0x02, b"\x02") + _der(0x30, _der(0x13, b"Account could not be authenticated"))),
         TimestampUnauthorized, "Account could not be authenticated"),
        # a refusal that is not about the password stays a plain refusal, with its text
        (_der(0x30, _der(0x0C, "Kontör yetersiz".encode())), TimestampRefused, "Kontör yetersiz"),
        # the same words inside an RFC 3161 rejection
        (TimeStampResp({"status": {"status": "rejection", "status_string": ["User 7 is not known"]}}).dump(),
         TimestampUnauthorized, "User 7 is not known"),
    ],
    ids=["printable-string", "other-refusal", "rfc3161-rejection"],
)
def test_kamusm_refusals_are_read_from_the_text_of_any_asn1_answer(serve, roots, body, error, said):
    def kamusm(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/timestamp-reply")])
        return [body]

    with pytest.raises(error, match=said) as caught:
        _kamusm(DIGEST, serve(kamusm), roots)
    assert type(caught.value) is error


def test_kamusm_neither_the_password_nor_the_identity_is_logged(kamusm_tsa, roots, caplog):
    url, tap = kamusm_tsa
    with caplog.at_level(logging.INFO):
        _kamusm(DIGEST, url, roots)
        with pytest.raises(TimestampUnauthorized):
            _kamusm(DIGEST, url, roots, password="Kamu-SM parolası 43")
    assert "timestamp_unauthorized" in caplog.text and "parolası" not in caplog.text
    assert not any(h["identity"][:40] in caplog.text for h in tap.headers)


def test_kamusm_settings_serve_and_call_the_local_tsa(serve, settings, local_tsa, roots):
    settings.TSA_AUTH, settings.TSA_USERNAME, settings.TSA_PASSWORD = "kamusm", CUSTOMER, SECRET
    settings.TSA_SERVER_KEY = pki.key_pem(local_tsa.signer.key).decode()
    settings.TSA_SERVER_CERTIFICATE = pki.pem(local_tsa.signer.certificate).decode()
    url = serve(application_from_settings())

    assert timestamp(DIGEST, url=url, roots=roots).info.policy == settings.TSA_POLICY_OID
    settings.TSA_PASSWORD = "yanlış parola"  # the client's password, from the settings too
    with pytest.raises(TimestampUnauthorized, match="Account could not be authenticated"):
        timestamp(DIGEST, url=url, roots=roots)


# --- Answers that must not be believed ----------------------------------------------------------


def test_a_replayed_answer_for_another_digest_is_an_imprint_mismatch(serve, local_tsa, roots):
    relay = Relay(local_tsa.url)
    url = serve(relay)
    timestamp(OTHER, url=url, roots=roots)
    recorded = relay.replies[-1]
    relay.rewrite = lambda request, reply: recorded

    with pytest.raises(TimestampImprintMismatch) as caught:
        timestamp(DIGEST, url=url, roots=roots)
    assert caught.value.code == "timestamp_imprint_mismatch"


def test_an_answer_to_another_request_for_the_same_digest_is_a_nonce_mismatch(serve, local_tsa, roots):
    relay = Relay(local_tsa.url)
    url = serve(relay)
    timestamp(DIGEST, url=url, roots=roots)
    recorded = relay.replies[-1]
    relay.rewrite = lambda request, reply: recorded

    with pytest.raises(TimestampNonceMismatch) as caught:
        timestamp(DIGEST, url=url, roots=roots)
    assert caught.value.code == "timestamp_nonce_mismatch"


def test_a_tsa_under_another_root_is_untrusted(serve, roots):
    foreign = pki.tsa(pki.root_ca("Yabancı Kök"))
    url = serve(TsaApplication(signer=foreign, policy=POLICY))

    with pytest.raises(TimestampUntrusted, match="does not chain to a trusted timestamp root"):
        timestamp(DIGEST, url=url, roots=roots)


def test_a_certificate_without_the_timestamping_usage_is_untrusted(serve, test_root, roots):
    seal = pki.seal(test_root, identifier="1234567890", title="A Tekstil A.Ş.")  # chains, but is not a TSA
    url = serve(TsaApplication(signer=seal, policy=POLICY))

    with pytest.raises(TimestampUntrusted, match="not a timestamping certificate"):
        timestamp(DIGEST, url=url, roots=roots)


def _altered(reply: bytes, *, flip: int, fix_digest: bool) -> bytes:
    """The reply with its TSTInfo's serial changed in place (same length); optionally the signed
    message-digest attribute made to fit the new TSTInfo, so that only the signature can tell."""
    token = TimeStampResp.load(reply)["time_stamp_token"]
    tst_der = bytes(token["content"]["encap_content_info"]["content"])
    tst_info = tsp.TSTInfo.load(tst_der)
    tst_info["serial_number"] = tst_info["serial_number"].native ^ flip
    new_der = tst_info.dump(force=True)
    assert len(new_der) == len(tst_der)
    altered = reply.replace(tst_der, new_der)
    if fix_digest:
        altered = altered.replace(hashlib.sha256(tst_der).digest(), hashlib.sha256(new_der).digest())
    return altered


@pytest.mark.parametrize("fix_digest", [False, True], ids=["content-changed", "content-and-digest-changed"])
def test_a_token_whose_tstinfo_was_altered_has_a_bad_signature(serve, local_tsa, roots, fix_digest):
    relay = Relay(local_tsa.url)
    url = serve(relay)
    relay.rewrite = lambda request, reply: _altered(reply, flip=0, fix_digest=fix_digest)
    timestamp(DIGEST, url=url, roots=roots)  # the rewriting itself breaks nothing

    relay.rewrite = lambda request, reply: _altered(reply, flip=1, fix_digest=fix_digest)
    with pytest.raises(TimestampBadSignature) as caught:
        timestamp(DIGEST, url=url, roots=roots)
    assert caught.value.code == "timestamp_bad_signature"


def test_a_request_the_tsa_will_not_serve_is_refused_with_its_reason(serve, local_tsa, roots):
    relay = Relay(local_tsa.url)
    relay.alter = lambda request: _with_policy(request, "2.999.1")
    with pytest.raises(TimestampRefused, match="unaccepted_policy") as caught:
        timestamp(DIGEST, url=serve(relay), roots=roots)
    assert caught.value.code == "timestamp_refused"
    assert "serves the policy" in str(caught.value)


def _with_policy(request: bytes, policy: str) -> bytes:
    altered = tsp.TimeStampReq.load(request)
    altered["req_policy"] = policy
    return altered.dump(force=True)


def test_answers_that_are_not_timestamps_are_errors_not_crashes(serve, roots):
    def html(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<html>bakimdayiz</html>"]

    def down(environ, start_response):
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"down"]

    with pytest.raises(TimestampMalformed):
        timestamp(DIGEST, url=serve(html), roots=roots)
    with pytest.raises(TimestampUnreachable, match="HTTP 503"):
        timestamp(DIGEST, url=serve(down), roots=roots)


def test_damaged_tokens_raise_timestamp_errors_only(local_tsa, roots):
    token = timestamp(DIGEST, url=local_tsa.url, roots=roots).der
    rng = random.Random(3161)
    for _ in range(400):
        damaged = bytearray(token)
        for _ in range(rng.randint(1, 3)):
            damaged[rng.randrange(len(damaged))] ^= rng.randint(1, 255)
        if rng.random() < 0.2:
            damaged = damaged[: rng.randrange(len(damaged))]
        try:
            verify_token(bytes(damaged), DIGEST, roots=roots)
        except TimestampError:
            pass


# --- The network --------------------------------------------------------------------------------


def test_nothing_listening_is_unreachable_quickly(roots):
    started = time.monotonic()
    with pytest.raises(TimestampUnreachable) as caught:
        timestamp(DIGEST, url=f"http://127.0.0.1:{_free_port()}/", timeout=5, roots=roots)
    assert time.monotonic() - started < 2
    assert caught.value.code == "timestamp_unreachable"


def test_a_tsa_that_never_answers_is_unreachable_after_the_timeout(roots):
    with socket.socket() as silent:  # accepts connections (in the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        started = time.monotonic()
        with pytest.raises(TimestampUnreachable, match="no answer within the time allowed"):
            timestamp(DIGEST, url=f"http://127.0.0.1:{silent.getsockname()[1]}/", timeout=1, roots=roots)
    assert 0.9 < time.monotonic() - started < 3


# --- The local TSA itself -----------------------------------------------------------------------


def test_garbage_is_rejected_with_a_pki_status_and_the_server_stays_up(local_tsa, roots):
    status, body = _post(local_tsa.url, b"\x30\x82garbage" + os.urandom(64))
    assert status == 400
    rejection = TimeStampResp.load(body)["status"]
    assert rejection["status"].native == "rejection"
    assert rejection["fail_info"].native == {"bad_data_format"}
    assert b"Traceback" not in body

    status, body = _post(local_tsa.url, b"hello", content_type="text/plain")
    assert status == 400
    assert TimeStampResp.load(body)["status"]["fail_info"].native == {"bad_request"}

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(local_tsa.url, timeout=5)
    assert caught.value.code == 405

    assert timestamp(DIGEST, url=local_tsa.url, roots=roots).info.policy == POLICY


def test_a_request_with_an_unknown_hash_gets_bad_alg(local_tsa):
    request = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "md5"}, "hashed_message": b"\x00" * 16},
    })
    status, body = _post(local_tsa.url, request.dump())
    assert status == 200
    assert TimeStampResp.load(body)["status"]["fail_info"].native == {"bad_alg"}


def test_without_cert_req_the_token_carries_no_certificate(local_tsa):
    request = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": DIGEST},
    })
    status, body = _post(local_tsa.url, request.dump())
    token = TimeStampResp.load(body)["time_stamp_token"]
    assert status == 200 and len(token["content"]["certificates"]) == 0
    assert _tst_info(token.dump())["nonce"].native is None
    with pytest.raises(TimestampUntrusted, match="does not carry the certificate"):
        verify_token(token.dump(), DIGEST, roots=[])


def test_the_settings_may_name_the_tsa_key_and_certificate(settings, test_root):
    signer = pki.tsa(test_root, common_name="Ayarlardaki TSA")
    settings.TSA_SERVER_KEY = pki.key_pem(signer.key).decode()
    settings.TSA_SERVER_CERTIFICATE = (pki.pem(signer.certificate) + pki.pem(test_root.certificate)).decode()
    assert application_from_settings().subject == signer.certificate.subject.rfc4514_string()

    settings.TSA_SERVER_KEY = pki.key_pem(pki.new_key()).decode()
    with pytest.raises(ValueError, match="does not belong"):
        application_from_settings()


# --- The dev PKI, the command and the defaults --------------------------------------------------


def test_the_dev_pki_is_made_once_even_by_many_at_once(tmp_path):
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = list(pool.map(lambda _: dev_pki(tmp_path / "pki"), range(4)))
    assert len({m.root.certificate for m in made}) == 1
    assert len({m.tsa.certificate for m in made}) == 1
    again = dev_pki(tmp_path / "pki")
    assert again.root.certificate == made[0].root.certificate
    again.tsa.certificate.verify_directly_issued_by(again.root.certificate)
    assert sorted(p.name for p in (tmp_path / "pki").iterdir()) == ["root.pem", "tsa.pem"]
    assert (tmp_path / "pki" / "root.pem").stat().st_mode & 0o077 == 0


def test_run_tsa_serves_the_dev_pki_tsa_and_the_defaults_use_it(tmp_path, settings):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSA_") and k != "DJANGO_SETTINGS_MODULE"}
    env["VAR_DIR"] = str(tmp_path / "var")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_tsa", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        _wait_for(port, process)
        settings.VAR_DIR = tmp_path / "var"
        settings.TSA_URL = f"http://127.0.0.1:{port}/"
        settings.TSA_TRUST_ROOTS = None
        settings.TSA_USERNAME = settings.TSA_PASSWORD = None

        token = timestamp(DIGEST)  # every default from the settings: the URL, no auth, the dev root
        assert token.info.tsa_certificate == dev_pki().tsa.certificate
        assert token.info.policy == "2.999.3161.1"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "local TSA" in output and "Traceback" not in output


def _wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"run_tsa stopped: {process.communicate()[0]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("run_tsa did not start listening within a minute")


def test_run_tsa_refuses_a_bad_bind_without_a_traceback(tmp_path):
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var")}
    result = subprocess.run(
        [sys.executable, "manage.py", "run_tsa", "--bind", "nowhere"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "is not HOST:PORT" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "variables, named",
    [
        ({"TSA_TIMEOUT": "ten"}, "TSA_TIMEOUT"),
        ({"TSA_URL": "ftp://tsa.example"}, "TSA_URL"),
        ({"TSA_POLICY_OID": "policy-1"}, "TSA_POLICY_OID"),
        ({"TSA_PASSWORD": "parola"}, "TSA_PASSWORD"),
        ({"TSA_TRUST_ROOTS": "/nonexistent/roots.pem"}, "TSA_TRUST_ROOTS"),
        ({"TSA_SERVER_KEY": "-----BEGIN PRIVATE KEY-----"}, "TSA_SERVER_KEY"),
        ({"TSA_AUTH": "kamu"}, "TSA_AUTH"),
        ({"TSA_AUTH": "kamusm", "TSA_USERNAME": "zd-kullanici", "TSA_PASSWORD": "parola"}, "TSA_USERNAME"),
        ({"TSA_AUTH": "kamusm", "TSA_USERNAME": "4242"}, "TSA_PASSWORD"),
    ],
)
def test_a_malformed_tsa_setting_stops_start_up_naming_it(tmp_path, variables, named):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(VAR_DIR=str(tmp_path / "var"), **variables)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert f"configuration error: {named}" in result.stderr


def test_a_kamusm_customer_number_and_password_pass_start_up(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(VAR_DIR=str(tmp_path / "var"), TSA_AUTH="kamusm", TSA_USERNAME="4242", TSA_PASSWORD="parola")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
