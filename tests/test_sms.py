"""SMS: numbers as people write them, and each provider's transport end to end over real HTTP against
the local SMS gateway speaking that provider's API, every code it answers (forced) judged temporary
or permanent; a closed port and a server that never answers; the gateway keeping what it was sent."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from io import StringIO

import pytest
import requests
from django.core.management import CommandError, call_command

from delivery.sms import InvalidNumber, mobile_number, sms_send
from delivery.sms.iletimerkezi import key_hash
from tests.sms_fixtures import closed_port, gateway, silent_server, skip_without_gateway  # noqa: F401

TEXT = "Sayın Ayşe Yılmaz: A Tekstil'in ÇĞİÖŞÜ çğıöşü faturası, 1.234,56 TL: https://fatura.example/e/AbC-123"
MOBILE = "5321234567"


# --- Numbers -------------------------------------------------------------------------------------

@pytest.mark.parametrize("written", [
    "0532 123 45 67", "05321234567", "+90 532 123 45 67", "+905321234567", "905321234567", "5321234567",
    "0090 532 123 4567", "0 (532) 123-45-67", " 532.123.45.67 ",
])
def test_a_mobile_as_people_write_it_is_its_ten_digits(written):
    assert mobile_number(written) == MOBILE


@pytest.mark.parametrize("written", [
    "0212 555 12 12", "+90 212 555 12 12", "2125551212", "0850 123 45 67", "444 1 234",  # landlines, service numbers
    "+1 202 555 0123", "+49 151 2345 6789",  # abroad
    "532 123 45 6", "0532 123 45 678", "9053212345", "+5321234567",  # too short, too long, half a prefix
    "0532 123 45 6a", "０５３２１２３４５６７", "", "   ",  # letters, full-width digits, nothing
])
def test_anything_but_a_turkish_mobile_is_refused(written):
    with pytest.raises(InvalidNumber) as refused:
        mobile_number(written)
    assert refused.value.code == "delivery_invalid_number"
    assert "is not a Turkish mobile phone number" in str(refused.value)
    assert (written.strip() or '""') in str(refused.value)


@skip_without_gateway
def test_nothing_is_sent_to_a_landline(gateway):
    with pytest.raises(InvalidNumber):
        sms_send(number="0212 555 12 12", text=TEXT)
    assert gateway.received() == []


# --- Netgsm --------------------------------------------------------------------------------------

NETGSM_CODES = [("20", True), ("30", True), ("40", True), ("50", True), ("51", True), ("70", True),
                ("80", False), ("85", False), ("100", False), ("101", False), ("500", False), ("503", False)]


@skip_without_gateway
def test_netgsm_takes_the_message_and_the_gateway_keeps_it_as_it_was_sent(gateway):
    result = sms_send(number="0532 123 45 67", text=TEXT, header="ATEKSTIL")
    assert (result.ok, result.code) == (True, "00") and result.reference.isdigit()
    [kept] = gateway.received()
    assert (kept.provider, kept.header, kept.number, kept.text, kept.code, kept.job_id) == (
        "netgsm", "ATEKSTIL", MOBILE, TEXT, "00", result.reference)


@skip_without_gateway
def test_without_a_header_of_the_tenant_the_platforms_goes(gateway, settings):
    settings.SMS_HEADER = "PLATFORM"
    assert sms_send(number=MOBILE, text="Merhaba").ok
    assert [m.header for m in gateway.received()] == ["PLATFORM"]


@skip_without_gateway
@pytest.mark.parametrize("code, permanent", NETGSM_CODES)
def test_every_netgsm_code_is_a_refusal_for_now_or_for_good(gateway, code, permanent):
    assert "netgsm" in gateway.force(code, "--provider", "netgsm").lower()
    result = sms_send(number=MOBILE, text=TEXT)
    assert (result.ok, result.permanent, result.code, result.reference) == (False, permanent, code, "")
    assert "Netgsm" in result.reply and code in result.reply
    [kept] = gateway.received()
    assert (kept.code, kept.job_id, kept.text) == (code, "", TEXT)


@skip_without_gateway
def test_a_code_forced_twice_answers_twice_and_then_the_gateway_takes_the_message(gateway):
    gateway.force("80", "--times", "2")
    answers = [sms_send(number=MOBILE, text=TEXT) for _ in range(3)]
    assert [(a.ok, a.permanent, a.code) for a in answers] == [(False, False, "80"), (False, False, "80"), (True, False, "00")]


@skip_without_gateway
def test_wrong_credentials_at_netgsm_are_its_code_30_for_good(gateway):
    result = gateway.transport("netgsm", password="not the password").send(number=MOBILE, text=TEXT, header="ATEKSTIL")
    assert (result.ok, result.permanent, result.code) == (False, True, "30")
    assert "credentials" in result.reply
    nobody = requests.post(f"{gateway.url('netgsm')}/sms/rest/v2/send", json={"msgheader": "A", "messages": []}, timeout=10)
    assert (nobody.status_code, nobody.json()["code"], nobody.json()["jobid"]) == (406, "30", None)
    assert [m.code for m in gateway.received()] == ["30", "30"]


@skip_without_gateway
def test_netgsm_refuses_a_request_of_the_wrong_shape_with_its_codes(gateway):
    def send(payload) -> tuple[int, str]:
        answer = requests.post(f"{gateway.url('netgsm')}/sms/rest/v2/send", json=payload, auth=("demo", "demo"), timeout=10)
        return answer.status_code, answer.json()["code"]

    message = {"msg": TEXT, "no": MOBILE}
    assert send({"msgheader": "ATEKSTIL", "messages": [message], "encoding": "TR", "iysfilter": "0"}) == (200, "00")
    assert send({"messages": [message]}) == (406, "70")  # no header
    assert send({"msgheader": "ATEKSTIL"}) == (406, "70")  # no messages
    assert send({"msgheader": "ATEKSTIL", "messages": [{"no": MOBILE}]}) == (406, "70")  # no text
    assert send({"msgheader": "ATEKSTIL", "messages": [{**message, "no": "905321234567"}]}) == (406, "70")  # not 5XXXXXXXXX
    assert send({"msgheader": "ATEKSTIL", "messages": [message], "iysfilter": "7"}) == (406, "70")
    assert send({"msgheader": "ATEKSTİLTEKSTİL", "messages": [message]}) == (406, "40")  # no such sender name
    assert send({"msgheader": "ATEKSTIL", "messages": [message], "iysfilter": "11"}) == (406, "51")  # no İYS brand
    too_long = sms_send(number=MOBILE, text="ş" * 1044)
    assert (too_long.ok, too_long.permanent, too_long.code) == (False, True, "20")


# --- Verimor -------------------------------------------------------------------------------------

@skip_without_gateway
def test_verimor_takes_the_message_with_the_country_code_and_answers_its_campaign_id(gateway):
    gateway.use("verimor")
    result = sms_send(number="0532 123 45 67", text=TEXT, header="ATEKSTIL")
    assert (result.ok, result.code) == (True, "200") and result.reference.isdigit()
    [kept] = gateway.received()
    assert (kept.provider, kept.header, kept.number, kept.text, kept.job_id) == ("verimor", "ATEKSTIL", "905321234567", TEXT, result.reference)


@skip_without_gateway
def test_wrong_credentials_at_verimor_are_its_401_for_good(gateway):
    result = gateway.transport("verimor", username="908501234567").send(number=MOBILE, text=TEXT, header="ATEKSTIL")
    assert (result.ok, result.permanent, result.code) == (False, True, "401")
    assert "Geçersiz kullanıcı adı/şifre" in result.reply


@skip_without_gateway
@pytest.mark.parametrize("code, permanent", [
    ("INSUFFICIENT_CREDITS", False), ("insufficient_credits", False), ("INVALID_SOURCE_ADDRESS", True),
    ("INVALID_DESTINATION_ADDRESS", True), ("MESSAGE_TOO_LONG", True), ("MUKERRER_RAPORLAMA", True), ("429", False), ("500", False),
])
def test_verimor_reasons_are_refusals_for_now_or_for_good(gateway, code, permanent):
    gateway.use("verimor")
    gateway.force(code, "--provider", "verimor")
    result = sms_send(number=MOBILE, text=TEXT)
    assert (result.ok, result.permanent, result.code) == (False, permanent, code.upper())
    assert [m.code for m in gateway.received()] == [code.upper()]


@skip_without_gateway
def test_verimor_refuses_a_request_of_the_wrong_shape_with_its_reasons(gateway):
    def send(payload: dict | str) -> tuple[int, str]:
        body = payload if isinstance(payload, str) else json.dumps({"username": "demo", "password": "demo", **payload})
        answer = requests.post(f"{gateway.url('verimor')}/v2/send.json", data=body.encode(), headers={"Content-Type": "application/json"}, timeout=10)
        return answer.status_code, answer.text

    assert send("{not json") == (400, "INVALID_JSON")
    assert send({"source_addr": "ATEKSTIL"}) == (400, "MISSING_MESSAGE")
    assert send({"messages": [{"msg": TEXT}]}) == (400, "MISSING_DESTINATION_ADDRESS")
    assert send({"messages": [{"msg": TEXT, "dest": MOBILE}]}) == (400, "INVALID_DESTINATION_ADDRESS")  # without 90
    assert send({"messages": [{"msg": "ğ" * 1100, "dest": "905321234567"}]}) == (400, "MESSAGE_TOO_LONG")
    status, campaign = send({"messages": [{"msg": TEXT, "dest": "905321234567,905441234567"}]})
    assert status == 200 and campaign.isdigit()
    assert [m.number for m in gateway.received() if m.job_id == campaign] == ["905321234567", "905441234567"]


# --- İleti Merkezi -------------------------------------------------------------------------------

@skip_without_gateway
def test_iletimerkezi_takes_the_message_and_answers_its_order_id(gateway):
    gateway.use("iletimerkezi")
    result = sms_send(number="+90 532 123 45 67", text=TEXT, header="ATEKSTIL")
    assert (result.ok, result.code) == (True, "200") and result.reference.isdigit()
    [kept] = gateway.received()
    assert (kept.provider, kept.header, kept.number, kept.text, kept.job_id) == ("iletimerkezi", "ATEKSTIL", MOBILE, TEXT, result.reference)


@skip_without_gateway
def test_the_gateway_checks_iletimerkezis_hash_of_the_key(gateway, settings):
    settings.SMS_USERNAME, settings.SMS_PASSWORD = "a1b2c3d4e5f6a7b8c9d0", "gizli-anahtar-0123456789abcdef0123456789"  # key, secret
    gateway.use("iletimerkezi")
    assert sms_send(number=MOBILE, text=TEXT).ok
    wrong = gateway.transport("iletimerkezi", username=settings.SMS_USERNAME, password="another secret").send(
        number=MOBILE, text=TEXT, header="ATEKSTIL")
    assert (wrong.ok, wrong.permanent, wrong.code) == (False, True, "401")
    assert "Üyelik bilgileri hatalı" in wrong.reply

    def send(authentication: dict) -> tuple[int, str]:
        order = {"sender": "ATEKSTIL", "iys": "0", "message": {"text": TEXT, "receipents": {"number": [MOBILE]}}}
        answer = requests.post(f"{gateway.url('iletimerkezi')}/v1/send-sms/json",
                               json={"request": {"authentication": authentication, "order": order}}, timeout=10)
        return answer.status_code, answer.json()["response"]["status"]["code"]

    key, secret = settings.SMS_USERNAME, settings.SMS_PASSWORD
    # PHP's hash_hmac('sha256', $apiKey, $secret), as İleti Merkezi's own client computes it
    digest = hmac.new(secret.encode(), key.encode(), hashlib.sha256).hexdigest()
    assert key_hash(key=key, secret=secret) == digest
    assert send({"key": key, "hash": digest}) == (200, "200")
    assert send({"key": key, "hash": digest.upper()}) == (200, "200")
    assert send({"key": key, "hash": hmac.new(key.encode(), secret.encode(), hashlib.sha256).hexdigest()}) == (401, "401")  # the other way round
    assert send({"key": key, "hash": secret}) == (401, "401")
    assert send({"key": "another key", "hash": digest}) == (401, "401")
    assert send({"username": key, "password": secret}) == (200, "200")  # the other way İleti Merkezi takes an account
    assert send({}) == (401, "401")


@skip_without_gateway
@pytest.mark.parametrize("code, permanent", [
    ("402", False), ("503", False), ("400", True), ("450", True), ("451", True), ("452", True), ("453", True), ("457", True),
])
def test_iletimerkezi_codes_are_refusals_for_now_or_for_good(gateway, code, permanent):
    gateway.use("iletimerkezi")
    gateway.force(code, "--provider", "iletimerkezi")
    result = sms_send(number=MOBILE, text=TEXT)
    assert (result.ok, result.permanent, result.code) == (False, permanent, code)


@skip_without_gateway
def test_iletimerkezi_refuses_a_request_of_the_wrong_shape_with_its_codes(gateway):
    authentication = {"key": "demo", "hash": key_hash(key="demo", secret="demo")}

    def send(order: dict | None) -> tuple[int, str]:
        body = {"request": {"authentication": authentication, **({"order": order} if order is not None else {})}}
        answer = requests.post(f"{gateway.url('iletimerkezi')}/v1/send-sms/json", json=body, timeout=10)
        return answer.status_code, answer.json()["response"]["status"]["code"]

    message = {"text": TEXT, "receipents": {"number": ["0532 123 45 67"]}}
    assert requests.post(f"{gateway.url('iletimerkezi')}/v1/send-sms/json", data=b"<xml/>", timeout=10).status_code == 400
    assert send(None) == (400, "400")
    assert send({"sender": "ATEKSTIL", "message": message}) == (400, "400")  # iys is required
    assert send({"sender": "ATEKSTIL", "iys": "1", "message": message}) == (400, "400")  # iys 1 needs its list
    assert send({"sender": "", "iys": "0", "message": message}) == (450, "450")
    assert send({"sender": "ATEKSTIL", "iys": "0", "message": {"text": " ", "receipents": message["receipents"]}}) == (454, "454")
    assert send({"sender": "ATEKSTIL", "iys": "0", "message": {"text": TEXT, "receipents": {"number": ["0212 555 12 12"]}}}) == (452, "452")
    assert send({"sender": "ATEKSTIL", "iys": "0", "sendDateTime": ["2030-01-20 13:45"], "message": message}) == (457, "457")
    assert send({"sender": "ATEKSTIL", "iys": "0", "message": [message, {**message, "text": "İkinci"}]}) == (200, "200")
    assert [m.text for m in gateway.received() if m.code == "200"] == [TEXT, "İkinci"]


# --- The network ---------------------------------------------------------------------------------

@pytest.mark.parametrize("provider", ["netgsm", "verimor", "iletimerkezi"])
def test_a_closed_port_is_a_refusal_for_now(settings, closed_port, provider):
    settings.SMS_PROVIDER, settings.SMS_URL, settings.SMS_TIMEOUT = provider, closed_port, 1
    result = sms_send(number=MOBILE, text=TEXT)
    assert (result.ok, result.permanent, result.code, result.reference) == (False, False, "network", "")
    assert "could not be reached: the connection was refused" in result.reply


@pytest.mark.parametrize("provider", ["netgsm", "verimor", "iletimerkezi"])
def test_a_provider_that_never_answers_is_given_up_after_sms_timeout(settings, silent_server, provider):
    settings.SMS_PROVIDER, settings.SMS_URL, settings.SMS_TIMEOUT = provider, silent_server, 1
    started = time.monotonic()
    result = sms_send(number=MOBILE, text=TEXT)
    assert time.monotonic() - started < 3
    assert (result.ok, result.permanent, result.code) == (False, False, "network")
    assert "no answer within the time allowed" in result.reply


@skip_without_gateway
def test_every_call_is_logged_with_its_duration_and_never_the_password(gateway, settings, caplog):
    settings.SMS_PASSWORD = "Gizli-Parola-şğı"  # the gateway's account too; Netgsm's Basic auth carries it as UTF-8
    caplog.set_level(logging.INFO, logger="delivery.sms")
    for provider in ("netgsm", "verimor", "iletimerkezi"):
        gateway.use(provider)
        assert sms_send(number=MOBILE, text=TEXT).ok
    gateway.transport("verimor", password="Yanlis-Parola").send(number=MOBILE, text=TEXT, header="ATEKSTIL")
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("delivery.sms")]
    assert len(lines) == 4 and all(line.endswith(" ms)") and MOBILE in line for line in lines)
    assert [line.split(": ")[1].split()[0] for line in lines] == ["accepted", "accepted", "accepted", "permanent"]
    assert not any("Parola" in line for line in lines)


# --- The gateway's command and admin -------------------------------------------------------------

@skip_without_gateway
def test_the_list_shows_what_the_gateway_received_to_a_number_however_written(gateway):
    gateway.use("verimor")
    sms_send(number=MOBILE, text="Verimor ile")
    gateway.use("netgsm")
    sms_send(number=MOBILE, text="Netgsm ile")
    sms_send(number="0544 765 43 21", text="Başka biri")

    def listed(*options: str) -> str:
        out = StringIO()
        call_command("smsgateway", "list", *options, stdout=out)
        return out.getvalue()

    lines = listed("--number", "+90 (532) 123 45 67").splitlines()
    assert [line.split("  ")[-1] for line in lines] == ["Netgsm ile", "Verimor ile"]  # newest first, both forms
    assert "905321234567" in lines[1] and " 00 " in lines[0]
    assert len(listed().splitlines()) == 3 and len(listed("--limit", "1").splitlines()) == 1
    assert listed("--provider", "iletimerkezi").strip() == "No messages."


@skip_without_gateway
def test_forced_codes_are_cleared_and_a_code_the_provider_has_not_is_refused(gateway, settings):
    gateway.force("85", "--times", "3")
    assert not sms_send(number=MOBILE, text=TEXT).ok
    out = StringIO()
    call_command("smsgateway", "clear-forced", stdout=out)
    assert out.getvalue().strip() == "1 forced code(s) cleared."
    assert sms_send(number=MOBILE, text=TEXT).ok
    for code, options in (("99", ()), ("00", ()), ("80", ("--times", "0")), ("INSUFFICIENT_CREDITS", ("--provider", "netgsm"))):
        with pytest.raises(CommandError, match="Cannot force"):
            gateway.force(code, *options)
    settings.SMS_PROVIDER = "verimor"  # by default the provider the platform uses
    assert "Verimor" in gateway.force("insufficient_credits")
    assert gateway.forced() == [("verimor", "INSUFFICIENT_CREDITS")]


@skip_without_gateway
def test_the_admin_shows_the_messages_and_changes_none(gateway, admin_client):
    sms_send(number=MOBILE, text=TEXT)
    [message] = gateway.received()
    assert MOBILE in admin_client.get("/admin/smsgateway/gatewaymessage/").content.decode()
    assert admin_client.get(f"/admin/smsgateway/gatewaymessage/{message.pk}/change/").status_code == 200
    admin_client.raise_request_exception = False  # a refusal is answered 403, as the server answers it
    assert admin_client.get("/admin/smsgateway/gatewaymessage/add/").status_code == 403
    assert admin_client.post(f"/admin/smsgateway/gatewaymessage/{message.pk}/delete/", {"post": "yes"}).status_code == 403
    forced = admin_client.post("/admin/smsgateway/forcedcode/add/", {"provider": "netgsm", "code": "99", "remaining": "1"})
    assert forced.status_code == 200 and 'class="errornote"' in forced.content.decode()  # the form again, with why
    assert gateway.forced() == []
    assert admin_client.post("/admin/smsgateway/forcedcode/add/", {"provider": "netgsm", "code": "40", "remaining": "1"}).status_code == 302
