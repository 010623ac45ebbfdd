"""Logging in: the password (counted by django-axes), then, for a person with an authenticator, its
code; the person's two-factor page; a tenant's security settings (its owners)."""

import time
from base64 import b32encode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login as auth_login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticToken

from accounts.forms import CodeForm, TenantSecurityForm
from accounts.selectors import totp_device_of
from accounts.services import (
    backup_codes_make, login_code_check, tenant_two_factor_set, totp_disable, totp_enrol_confirm, totp_enrol_start,
    totp_qr_data_uri,
)
from tenants.roles import Permission
from tenants.selectors import memberships_of
from tenants.views import membership_or_404

PENDING = "login_pending"  # the session's note of a password accepted, its code still to come
PENDING_SECONDS = 300


class PasswordLoginView(LoginView):
    """Django's login page; a person with an authenticator is not logged in yet, but asked its code."""

    def form_valid(self, form):
        user = form.get_user()
        if totp_device_of(user=user) is None:
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk, "backend": user.backend, "next": self.get_success_url(), "at": int(time.time()),
        }
        return redirect("login-code")


def login_code(request):
    pending = request.session.get(PENDING)
    user = _pending_user(pending)
    device = user and totp_device_of(user=user)
    if device is None:
        request.session.pop(PENDING, None)
        messages.error(request, _("Log in with your password first."))
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            used = login_code_check(user=user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            del request.session[PENDING]
            auth_login(request, user, backend=pending["backend"])
            otp_login(request, used)
            return redirect(pending["next"])
    return render(request, "registration/login_code.html", {"form": form})


def _pending_user(pending):
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    return get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()


@login_required
def two_factor(request):
    """The person's own page: "İki adımlı doğrulama" — on or off, and setting it up."""
    device = totp_device_of(user=request.user)
    enrolling = None if device else totp_device_of(user=request.user, confirmed=False)
    context = {
        "device": device,
        "enrolling": enrolling,
        "qr": totp_qr_data_uri(device=enrolling) if enrolling else None,
        "secret": _grouped(enrolling.bin_key) if enrolling else "",
        "form": CodeForm(),
        "next": _next(request),
        "backup_left": StaticToken.objects.filter(device__user=request.user).count(),
    }
    return _unkept(render(request, "accounts/two_factor.html", context))


@require_POST
@login_required
def two_factor_start(request):
    try:
        totp_enrol_start(user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return _back_to_page(request)


@require_POST
@login_required
def two_factor_confirm(request):
    form = CodeForm(request.POST)
    try:
        device = totp_enrol_confirm(user=request.user, code=form.data.get("code", ""))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return _back_to_page(request)
    otp_login(request, device)
    messages.success(request, _("Two-factor verification is on: from now on you log in with a code from your app too."))
    return _unkept(render(request, "accounts/backup_codes.html", {"codes": backup_codes_make(user=request.user), "next": _next(request)}))


@require_POST
@login_required
def backup_codes(request):
    """New backup codes, the earlier ones void."""
    try:
        codes = backup_codes_make(user=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return _back_to_page(request)
    return _unkept(render(request, "accounts/backup_codes.html", {"codes": codes, "next": ""}))


def _unkept(response):
    """A page that shows a secret (the key's QR code, backup codes) is kept by no cache."""
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def two_factor_disable(request):
    try:
        totp_disable(user=request.user, code=request.POST.get("code", ""))
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Two-factor verification is off."))
    return _back_to_page(request)


def _back_to_page(request):
    next_url = _next(request)
    return redirect(f"{reverse('two-factor')}?{urlencode({'next': next_url})}" if next_url else "two-factor")


def _next(request) -> str:
    """Where the person was sent from (a tenant's page that asked for two-factor), if it is ours."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}) else ""


def _grouped(key: bytes) -> str:
    text = b32encode(key).decode()
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


@login_required
def tenant_security(request, identifier: str):
    """A tenant's security settings: whether its owners must use two-factor (owners only)."""
    membership = membership_or_404(request, identifier)
    if not membership.can(Permission.MANAGE_MEMBERS):
        raise PermissionDenied
    tenant = membership.tenant
    form = TenantSecurityForm(request.POST or None, initial={"owners_must_use_two_factor": tenant.owners_must_use_two_factor})
    if request.method == "POST" and form.is_valid():
        try:
            tenant_two_factor_set(tenant=tenant, user=request.user, required=form.cleaned_data["owners_must_use_two_factor"])
        except ValidationError as exc:
            form.add_error("owners_must_use_two_factor", exc)
        else:
            messages.success(request, _("Security settings saved."))
            return redirect("portal:security", identifier=tenant.identifier)
    context = {"membership": membership, "tenant": tenant, "memberships": memberships_of(user=request.user), "form": form, "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
               "failures_allowed": settings.LOGIN_FAILURES_ALLOWED, "session_hours": settings.SESSION_COOKIE_AGE // 3600}
    return render(request, "accounts/tenant_security.html", context)


def admin_login(request):
    """The admin's login is this one, with its second step: staff with an authenticator use it there too."""
    return redirect(f"{reverse('login')}?{urlencode({'next': _next(request) or reverse('admin:index')})}")
