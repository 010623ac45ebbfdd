"""A login that holds: failed-login lockout (django-axes), two-factor codes (django-otp's TOTP), the
owners' two-factor rule, the session's age, CSRF and the Content-Security-Policy of the pages."""

import datetime as dt
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import F
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.lockout import client_address
from accounts.services import backup_codes_make, totp_enrol_confirm, totp_enrol_start
from integrator.middleware import CONTENT_SECURITY_POLICY
from tenants.api_keys import api_key_create
from tests.conftest import PASSWORD
from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def english(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def log_in(client, user, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": user.get_username(), "password": password}, **extra)


def age_attempts(minutes: float) -> None:
    """The clock moved on by *minutes* for the failures counted so far."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=minutes))


def code(device: TOTPDevice, steps: int = 0) -> str:
    """The code the person's app shows now (*steps* later: the app's next ones), as the device
    expects it (its drift: how far the app's clock was found ahead)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    near = {code(device, steps) for steps in range(-3, 4)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in near)


def enrolled(user) -> TOTPDevice:
    device = totp_enrol_start(user=user)
    totp_enrol_confirm(user=user, code=code(device))
    device.refresh_from_db()
    return device


@pytest.fixture(autouse=True)
def _quick_hashes(settings):
    # Each wrong password is hashed as a right one would be: PBKDF2's cost, 20 times a test, is not what is tested.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- lockout ---------------------------------------------------------------------------------

def test_twenty_wrong_passwords_lock_the_account_for_the_configured_time(english, user_a, caplog):
    allowed, minutes = django_settings.LOGIN_FAILURES_ALLOWED, django_settings.LOGIN_LOCKOUT_MINUTES
    assert (allowed, minutes) == (20, 15)
    for _attempt in range(allowed - 1):
        assert log_in(english, user_a, "wrong password").status_code == 200
    with caplog.at_level(logging.WARNING, logger="accounts.lockout"):
        locked = log_in(english, user_a, "wrong password")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many wrong passwords. Try again after" in page
    assert AccessAttempt.objects.get(username=user_a.username).failures_since_start == allowed
    assert AccessFailureLog.objects.filter(username=user_a.username).count() == allowed
    assert any(f"login locked: username='{user_a.username}'" in r.getMessage() for r in caplog.records)

    right = log_in(english, user_a)  # the 21st attempt, with the right password
    assert right.status_code == 429 and not right.wsgi_request.user.is_authenticated
    age_attempts(minutes - 1)
    assert log_in(english, user_a).status_code == 429  # a minute before the end: still locked
    age_attempts(1.1)
    opened = log_in(english, user_a)
    assert opened.status_code == 302 and opened.wsgi_request.user.is_authenticated


def test_the_lock_page_says_until_when(english, user_a):
    for _attempt in range(django_settings.LOGIN_FAILURES_ALLOWED):
        response = log_in(english, user_a, "wrong password")
    until = AccessAttempt.objects.get().attempt_time + django_settings.AXES_COOLOFF_TIME
    local = until.astimezone(dt.timezone(dt.timedelta(hours=3)))  # Istanbul, the portal's zone
    assert f"Try again after {local:%H:%M}" in response.content.decode()


def test_the_lock_holds_per_account_from_any_address(client, user_a):
    for n in range(django_settings.LOGIN_FAILURES_ALLOWED):
        log_in(client, user_a, "wrong password", REMOTE_ADDR=f"10.0.0.{n + 1}")  # a botnet: one try from each
    elsewhere = log_in(client, user_a, REMOTE_ADDR="10.9.9.9")
    assert elsewhere.status_code == 429 and not elsewhere.wsgi_request.user.is_authenticated


def test_the_lock_holds_per_address_for_any_account(client, tenant_a):
    for _attempt in range(django_settings.LOGIN_FAILURES_ALLOWED):
        log_in(client, make_user(tenant=tenant_a), "wrong password", REMOTE_ADDR="10.1.1.1")
    other = make_user(tenant=tenant_a)
    assert log_in(client, other, REMOTE_ADDR="10.1.1.1").status_code == 429
    assert log_in(client, other, REMOTE_ADDR="10.2.2.2").status_code == 302  # the person, from elsewhere


def test_the_address_is_read_as_for_gib_pushes(settings):
    factory = RequestFactory()
    spoofed = factory.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="10.10.10.10")
    assert client_address(spoofed) == "203.0.113.7"  # no trusted proxy: the header is not believed
    settings.GIB_PUSH_TRUSTED_PROXIES = (__import__("ipaddress").ip_network("127.0.0.1/32"),)
    proxied = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.10.10.10, 198.51.100.4")
    assert client_address(proxied) == "198.51.100.4"  # the rightmost hop the proxy saw
    garbled = factory.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="not an address")
    assert client_address(garbled) == "127.0.0.1"


def test_behind_a_trusted_proxy_each_client_is_counted_apart(client, user_a, settings):
    settings.GIB_PUSH_TRUSTED_PROXIES = (__import__("ipaddress").ip_network("127.0.0.1/32"),)
    for _attempt in range(django_settings.LOGIN_FAILURES_ALLOWED):
        log_in(client, make_user(), "wrong password", HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert log_in(client, user_a, HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 429
    assert log_in(client, user_a, HTTP_X_FORWARDED_FOR="198.51.100.5").status_code == 302


def test_the_api_key_is_not_affected_by_a_lock(client, user_a, tenant_a):
    for _attempt in range(django_settings.LOGIN_FAILURES_ALLOWED):
        log_in(client, user_a, "wrong password")
    assert log_in(client, user_a).status_code == 429
    _key, raw = api_key_create(tenant=tenant_a, name="ERP", scopes=["read"])
    response = client.get(reverse("api-me"), HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 200
    assert AccessAttempt.objects.get().failures_since_start == django_settings.LOGIN_FAILURES_ALLOWED


# --- two-factor ------------------------------------------------------------------------------

def test_enrolment_shows_a_qr_code_and_a_first_code_confirms_it(english, user_a):
    english.force_login(user_a)
    assert "Set up two-factor verification" in english.get(reverse("two-factor")).content.decode()
    english.post(reverse("two-factor-start"))
    device = TOTPDevice.objects.get(user=user_a)
    assert not device.confirmed
    page = english.get(reverse("two-factor")).content.decode()
    assert 'src="data:image/svg+xml' in page and 'id="totp-secret"' in page
    refused = english.post(reverse("two-factor-confirm"), {"code": wrong_code(device)}, follow=True)
    assert "The code is wrong or was used already" in refused.content.decode()
    device.refresh_from_db()
    device.throttling_failure_timestamp -= dt.timedelta(seconds=5)  # past the wait after a wrong code
    device.save()
    shown = english.post(reverse("two-factor-confirm"), {"code": code(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert shown.content.decode().count("<li><code>") == 10  # the backup codes, shown this once
    assert "On: you log in with your password and a code" in english.get(reverse("two-factor")).content.decode()


def test_a_correct_code_lets_in_a_reused_or_wrong_one_does_not(english, user_a):
    device = enrolled(user_a)
    step = log_in(english, user_a)
    assert step["Location"] == reverse("login-code") and not step.wsgi_request.user.is_authenticated
    assert english.get(reverse("portal:home")).status_code == 302  # not in yet

    first = code(device, 1)  # the app's next code (the one that confirmed it was used)
    entered = english.post(reverse("login-code"), {"code": first})
    assert entered.status_code == 302 and entered["Location"] == reverse("portal:home")
    assert english.get(reverse("portal:home")).wsgi_request.user == user_a
    english.post(reverse("logout"))

    log_in(english, user_a)
    reused = english.post(reverse("login-code"), {"code": first})
    assert reused.status_code == 200 and not reused.wsgi_request.user.is_authenticated
    assert "The code is wrong or was used already" in reused.content.decode()
    device.refresh_from_db()
    device.throttling_failure_timestamp -= dt.timedelta(seconds=5)
    device.save()
    wrong = english.post(reverse("login-code"), {"code": wrong_code(device)})
    assert wrong.status_code == 200 and not wrong.wsgi_request.user.is_authenticated
    hurried = english.post(reverse("login-code"), {"code": code(device, 1)})  # right, but at once after a wrong one
    assert "Too many wrong codes" in hurried.content.decode() and not hurried.wsgi_request.user.is_authenticated
    device.refresh_from_db()
    device.throttling_failure_timestamp -= dt.timedelta(seconds=5)
    device.save()
    assert english.post(reverse("login-code"), {"code": code(device, 1)}).status_code == 302


def test_staff_log_in_to_the_admin_through_the_same_two_steps(client, user_a):
    user_a.is_staff = user_a.is_superuser = True
    user_a.save()
    device = enrolled(user_a)
    sent = client.get("/admin/login/?next=/admin/tenants/tenant/")
    assert sent["Location"] == reverse("login") + "?next=%2Fadmin%2Ftenants%2Ftenant%2F"
    step = client.post(sent["Location"], {"username": user_a.username, "password": PASSWORD})
    assert step["Location"] == reverse("login-code")
    assert client.get("/admin/").status_code == 302  # the password alone does not open the admin
    entered = client.post(reverse("login-code"), {"code": code(device, 1)})
    assert entered["Location"] == "/admin/tenants/tenant/"
    assert client.get("/admin/tenants/tenant/").status_code == 200


def test_a_backup_code_lets_in_once(english, user_a):
    enrolled(user_a)
    first, second, *_rest = backup_codes_make(user=user_a)
    log_in(english, user_a)
    assert english.post(reverse("login-code"), {"code": first.upper()})["Location"] == reverse("portal:home")
    english.post(reverse("logout"))
    log_in(english, user_a)
    again = english.post(reverse("login-code"), {"code": first})
    assert again.status_code == 200 and "This backup code is wrong or was used already." in again.content.decode()
    StaticDevice.objects.update(throttling_failure_timestamp=None)  # the wait after a wrong code has passed
    assert english.post(reverse("login-code"), {"code": second})["Location"] == reverse("portal:home")
    assert StaticToken.objects.filter(device__user=user_a).count() == 8
    assert backup_codes_make(user=user_a) and not StaticToken.objects.filter(token__in=_rest).exists()  # new ones void the old


def test_the_code_page_needs_the_password_first(english, user_a):
    enrolled(user_a)
    response = english.post(reverse("login-code"), {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_a_badly_formed_code_is_refused_clearly(english, user_a):
    enrolled(user_a)
    log_in(english, user_a)
    response = english.post(reverse("login-code"), {"code": "12ab"})
    assert "The code is the 6 digits your authenticator app shows." in response.content.decode()


def test_two_factor_is_turned_off_only_with_a_current_code(english, user_a):
    device = enrolled(user_a)
    backup_codes_make(user=user_a)
    english.force_login(user_a)
    english.post(reverse("two-factor-disable"), {"code": "000000" if code(device) != "000000" else "111111"})
    assert TOTPDevice.objects.filter(user=user_a).exists()
    device.refresh_from_db()
    device.throttling_failure_timestamp -= dt.timedelta(seconds=5)
    device.save()
    english.post(reverse("two-factor-disable"), {"code": code(device, 1)})
    assert not TOTPDevice.objects.filter(user=user_a).exists() and not StaticDevice.objects.filter(user=user_a).exists()
    assert log_in(english, user_a)["Location"] == reverse("portal:home")  # the password alone again


# --- the owners' rule ------------------------------------------------------------------------

def test_an_owner_without_two_factor_is_sent_to_set_it_up(english, tenant_a, user_a):
    tenant_a.owners_must_use_two_factor = True
    tenant_a.save()
    english.force_login(user_a)
    dashboard = reverse("portal:dashboard", args=[tenant_a.identifier])
    response = english.get(dashboard)
    assert response.status_code == 302 and response["Location"] == f"{reverse('two-factor')}?next={dashboard.replace('/', '%2F')}"
    assert english.get(reverse("portal:invoices", args=[tenant_a.identifier])).status_code == 302
    english.post(reverse("two-factor-start"))
    device = TOTPDevice.objects.get(user=user_a)
    confirmed = english.post(reverse("two-factor-confirm"), {"code": code(device), "next": dashboard})
    assert confirmed.status_code == 200 and f'href="{dashboard}"' in confirmed.content.decode()  # on, past the backup codes
    assert english.get(dashboard).status_code == 200


def test_the_rule_binds_owners_only(client, tenant_a):
    tenant_a.owners_must_use_two_factor = True
    tenant_a.save()
    clerk = make_user(tenant=tenant_a, role="clerk")
    client.force_login(clerk)
    assert client.get(reverse("portal:dashboard", args=[tenant_a.identifier])).status_code == 200


def test_owners_change_the_rule_on_the_security_page(english, tenant_a, tenant_b, user_a):
    page = reverse("portal:security", args=[tenant_a.identifier])
    english.force_login(user_a)
    refused = english.post(page, {"owners_must_use_two_factor": "on"})
    assert refused.status_code == 200 and "Set up two-factor verification for yourself first." in refused.content.decode()
    tenant_a.refresh_from_db()
    assert not tenant_a.owners_must_use_two_factor
    enrolled(user_a)
    assert english.post(page, {"owners_must_use_two_factor": "on"}).status_code == 302
    tenant_a.refresh_from_db()
    assert tenant_a.owners_must_use_two_factor
    assert english.get(reverse("portal:security", args=[tenant_b.identifier])).status_code == 404
    english.force_login(make_user(tenant=tenant_a, role="accountant"))
    assert english.get(page).status_code == 403 and english.post(page, {}).status_code == 403
    tenant_a.refresh_from_db()
    assert tenant_a.owners_must_use_two_factor


# --- session, passwords, CSRF, CSP -----------------------------------------------------------

def test_a_login_lasts_the_configured_age(client, user_a):
    assert django_settings.SESSION_COOKIE_AGE == 8 * 3600
    response = log_in(client, user_a)
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == 8 * 3600 and cookie["httponly"]


def test_passwords_need_ten_characters(user_a):
    with pytest.raises(ValidationError, match="at least 10 characters"):
        validate_password("Kx7#qLp2z", user=user_a)
    validate_password("Kx7#qLp2zW", user=user_a)


def test_a_portal_post_without_its_csrf_token_is_refused(tenant_a, user_a):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user_a)
    response = strict.post(reverse("portal:security", args=[tenant_a.identifier]), {"owners_must_use_two_factor": ""})
    assert response.status_code == 403
    assert strict.post(reverse("two-factor-start")).status_code == 403
    assert not TOTPDevice.objects.exists()
    form = strict.get(reverse("portal:security", args=[tenant_a.identifier]))
    token = form.cookies[django_settings.CSRF_COOKIE_NAME].value
    assert strict.post(reverse("two-factor-start"), {"csrfmiddlewaretoken": token}).status_code == 302


def test_the_portal_pages_carry_the_content_security_policy(client_a, tenant_a):
    for url in (reverse("login"), reverse("portal:dashboard", args=[tenant_a.identifier]),
                reverse("portal:invoices", args=[tenant_a.identifier]), reverse("portal:inbox", args=[tenant_a.identifier]),
                reverse("two-factor"), reverse("portal:security", args=[tenant_a.identifier])):
        response = client_a.get(url)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY and "'unsafe-inline'" not in CONTENT_SECURITY_POLICY


def test_no_template_carries_inline_script_or_style():
    found = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if "preview_refused" in path.name:  # shown in the sandboxed frame, under the display's own policy
            continue
        if "<script>" in text or " style=" in text or " onclick=" in text or " onchange=" in text or "<style" in text:
            found.append(str(path.relative_to(ROOT)))
    assert found == []


def test_behind_https_the_cookies_are_secure_and_hsts_is_sent(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(VAR_DIR=str(tmp_path / "var"), SECURE_COOKIES="true")
    script = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
              "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')", result.stderr


def test_a_page_with_its_own_stricter_policy_keeps_it(rf):
    from django.http import HttpResponse

    from integrator.middleware import ContentSecurityPolicyMiddleware
    from invoices.display import SANDBOX_CSP

    def sandboxed(request):
        response = HttpResponse("<p>invoice</p>")
        response["Content-Security-Policy"] = SANDBOX_CSP
        return response

    assert ContentSecurityPolicyMiddleware(sandboxed)(rf.get("/t/1234567890/invoices/out/x/view/"))["Content-Security-Policy"] == SANDBOX_CSP
    assert "Content-Security-Policy" not in ContentSecurityPolicyMiddleware(lambda r: HttpResponse())(rf.get("/admin/"))
