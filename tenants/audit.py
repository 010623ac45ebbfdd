"""The audit of what people do in the portal: every request that may change something (anything but
GET, HEAD and OPTIONS) answered by a portal page leaves one ``AuditEntry``, written here after the
answer, whatever it was; signing in, signing out and a failed sign-in leave one through Django's auth
signals. So a new page is audited without asking: its action is its URL's name, the object the one
its URL names. A page may say more with ``audit_note`` (the object it made, the values of its
summary), and a page whose POST changes nothing (a live preview, the totals as one types) says so
with ``@audit_quiet``.

The summary is worded where it is read, in the reader's language, from the action and its values."""

from __future__ import annotations

import logging
import re

from django.contrib import messages
from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _

from tenants.models import AuditEntry, Tenant
from tenants.roles import Role

logger = logging.getLogger(__name__)

LOGIN, LOGOUT, LOGIN_FAILED = "login", "logout", "login-failed"
AUDITED_NAMESPACE = "portal"
AUDITED_NAMES = {"password_change"}  # Django's own pages that change something of the person's
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
# A URL's keyword that names the object a page acts on: what it is called in the audit.
SUBJECT_NAMES = {"invoice": _("invoice"), "export": _("export"), "upload": _("upload"), "draft": _("draft"), "member": _("member"),
                 "invitation": _("invitation"), "earsiv-report": _("e-Arşiv report"), "api-key": _("API key"), "webhook": _("webhook"),
                 "seal": _("seal"), "design": _("design")}
SUBJECTS = {"uuid": "invoice", "export_id": "export", "upload_id": "upload", "draft_id": "draft", "member_id": "member",
            "invitation_id": "invitation", "number": "earsiv-report", "key_id": "api-key", "webhook_id": "webhook",
            "seal_id": "seal", "design_id": "design"}

# What each action is, as a person reads it; %(name)s are the entry's values. An action without a
# wording here is shown by its code.
ACTIONS = {
    LOGIN: _("Signed in"),
    LOGOUT: _("Signed out"),
    LOGIN_FAILED: _("Failed sign-in as %(username)s"),
    "password_change": _("Changed their password"),
    "member-invite": _("Invited %(email)s as %(role)s"),
    "invitation-revoke": _("Withdrew the invitation of %(email)s"),
    "invitation-accept": _("Accepted the invitation as %(role)s"),
    "invite": _("Tried to accept an invitation"),
    "member-role": _("Changed the role of %(person)s from %(old_role)s to %(role)s"),
    "member-remove": _("Removed %(person)s (%(role)s)"),
    "invoice-new-issue": _("Issued invoice %(number)s"),
    "invoice-new-save": _("Saved a draft invoice"),
    "draft-delete": _("Deleted a draft invoice"),
    "invoice-answer": _("Answered an incoming invoice"),
    "inbox-answer": _("Answered incoming invoices"),
    "invoice-cancel": _("Cancelled an e-Arşiv invoice"),
    "invoice-objection": _("Recorded an objection to an e-Arşiv invoice"),
    "invoice-deliver": _("Sent an invoice to the buyer"),
    "invoice-link-revoke": _("Revoked the buyer's link of an invoice"),
    "exports": _("Asked for an export"),
    "list-download": _("Downloaded a list of invoices"),
    "uploads": _("Uploaded invoices"),
    "move-in": _("Moved invoices in"),
    "invoice-return": _("Prepared a return invoice (IADE)"),
    "delivery-preferences": _("Changed the delivery settings"),
    "api-keys": _("Made an API key"),
    "api-key-revoke": _("Revoked an API key"),
    "webhooks": _("Added a webhook"),
    "webhook-delete": _("Deleted a webhook"),
    "webhook-action": _("Tested, paused or enabled a webhook"),
    "seals": _("Added a financial seal"),
    "seal-authorisation": _("Gave or withdrew the authorisation for the integrator's seal"),
    "designs": _("Uploaded an invoice design"),
    "design-activate": _("Chose an invoice design"),
    "design-default": _("Chose the platform's invoice design"),
    "design-gib": _("Chose GİB's invoice design"),
    "aliases": _("Added a number series"),
    "credits-threshold": _("Set the low-credits threshold"),
    "credits-top-up": _("Added credits"),
    "security": _("Changed whether owners must use two-factor verification"),
}


def audit_quiet(view):
    """Marks a view whose POST changes nothing (a preview, a calculation): it is not audited."""
    view.audit_quiet = True
    return view


def audit_note(request, *, action: str | None = None, tenant: Tenant | None = None, subject: tuple[str, object] | None = None,
               **params) -> None:
    """What the page did, in more words than its URL says: the entry of *request* gets these."""
    note = getattr(request, "_audit_note", {})
    note.update({key: value for key, value in (("action", action), ("tenant", tenant), ("subject", subject)) if value is not None})
    note.setdefault("params", {}).update({key: str(value) for key, value in params.items()})
    request._audit_note = note


def audit_record(*, action: str, user=None, tenant: Tenant | None = None, subject: tuple[str, object] | None = None,
                 params: dict | None = None, request=None, status_code: int | None = None, refused: bool | None = None,
                 path: str | None = None) -> AuditEntry | None:
    """One entry. An audit that cannot be written is logged, never the cause of a failed page."""
    subject_type, subject_ref = subject or ("", "")
    if refused is None:
        refused = status_code is not None and status_code >= 400
    if path is None:
        match = getattr(request, "resolver_match", None)
        path = _path(request, match.kwargs if match else {}) if request is not None else ""
    try:
        return AuditEntry.objects.create(
            action=action[:60], user=user if user is not None and user.is_authenticated else None, tenant=tenant,
            params=params or {}, subject_type=subject_type[:30], subject_ref=str(subject_ref)[:64], status_code=status_code, refused=refused,
            path=path[:500],
            client_ip=request.META.get("REMOTE_ADDR") or None if request is not None else None)
    except DatabaseError:
        logger.exception("audit entry %s of %s not written", action, user)
        return None


def audited(request, view_func) -> bool:
    match = getattr(request, "resolver_match", None)
    if request.method in SAFE_METHODS or match is None or getattr(view_func, "audit_quiet", False):
        return False
    return AUDITED_NAMESPACE in match.namespaces or match.url_name in AUDITED_NAMES


def _subject(kwargs: dict) -> tuple[str, object] | None:
    return next(((SUBJECTS[key], value) for key, value in kwargs.items() if key in SUBJECTS), None)


def _tenant(request, kwargs: dict) -> Tenant | None:
    """The tenant of the URL, if the person serves it (a tenant they do not serve is none of theirs)."""
    identifier = kwargs.get("identifier")
    if not identifier or not request.user.is_authenticated:
        return None
    return Tenant.objects.filter(identifier=identifier, memberships__user=request.user).first()


class AuditMiddleware:
    """After ``AuthenticationMiddleware``: one entry for each audited request, after its answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        view_func = getattr(request, "_audit_view", None)
        if view_func is not None and audited(request, view_func):
            self._record(request, response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        request._audit_view = view_func

    @staticmethod
    def _record(request, response) -> None:
        match, note = request.resolver_match, getattr(request, "_audit_note", {})
        audit_record(action=note.get("action") or match.url_name or match.view_name, user=request.user,
                     tenant=note.get("tenant") or _tenant(request, match.kwargs), subject=note.get("subject") or _subject(match.kwargs),
                     params=note.get("params"), request=request, status_code=response.status_code,
                     refused=response.status_code >= 400 or _said_only_errors(request) or _form_refused(response))


def _form_refused(response) -> bool:
    """A class-based page (Django's password change) that shows its form again, with errors."""
    form = (getattr(response, "context_data", None) or {}).get("form")
    return bool(form is not None and getattr(form, "is_bound", False) and form.errors)


def _said_only_errors(request) -> bool:
    """The portal's pages refuse by saying an error (``messages.error``) and redirecting back: an
    answer with an error to show and nothing done to tell of was a refusal."""
    levels = [message.level for message in getattr(getattr(request, "_messages", None), "_queued_messages", [])]
    return any(level >= messages.ERROR for level in levels) and not any(level == messages.SUCCESS for level in levels)


def _path(request, kwargs: dict) -> str:
    """The request's path without a secret in it (an invitation's token)."""
    token = kwargs.get("token")
    return request.path.replace(token, "…") if token else request.path


def audit_summary(entry: AuditEntry) -> str:
    """The entry in words, in the active language."""
    params = dict(entry.params)
    for key in ("role", "old_role"):
        if params.get(key) in Role.values:
            params[key] = Role(params[key]).label
    wording = ACTIONS.get(entry.action)
    if wording is None:
        return entry.action
    try:
        return str(wording) % params
    except (KeyError, TypeError, ValueError):
        return str(wording).split("%(")[0].strip() or entry.action


def action_label(action: str) -> str:
    """An action's name in a filter's choices: its wording without the values."""
    wording = ACTIONS.get(action)
    return action if wording is None else re.sub(r"%\(\w+\)s", "…", str(wording))


def on_logged_in(sender, request, user, **kwargs) -> None:
    audit_record(action=LOGIN, user=user, request=request)


def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(action=LOGOUT, user=user, request=request)


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """The name tried is kept (never the password); the person, when there is one by that name."""
    from django.contrib.auth import get_user_model

    username = str(credentials.get("username", ""))[:150]
    user = get_user_model().objects.filter(username=username).first() if username else None
    audit_record(action=LOGIN_FAILED, user=user, params={"username": username}, request=request)


def subject_label(subject_type: str) -> str:
    return str(SUBJECT_NAMES.get(subject_type, subject_type))
