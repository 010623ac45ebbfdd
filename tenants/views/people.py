"""The portal's people pages: who serves a tenant and in which role, invitations, the audit log, and
the person's own profile."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.audit import action_label, audit_note, audit_summary, subject_label
from tenants.people import CLOSED, invitation_accept, invitation_closed, invitation_create, invitation_revoke, invitation_sign_up, member_remove
from tenants.people import member_role_change
from tenants.people_forms import InviteForm, RoleForm, SignUpForm
from tenants.roles import Permission, Role
from tenants.selectors import audit_actions_of, audit_entries_of, audit_people_of, invitation_by_token, members_of, memberships_of
from tenants.selectors import open_invitations_of, sign_ins_of
from tenants.views import membership_or_404


def _manager(request, identifier: str):
    """The membership of an owner (MANAGE_MEMBERS) in the tenant of the URL: 404 for a tenant the
    person does not serve, 403 for a role that may not manage people."""
    membership = membership_or_404(request, identifier)
    if not membership.can(Permission.MANAGE_MEMBERS):
        raise PermissionDenied
    return membership


def _people_page(request, membership, *, form=None, error: str = "", status: int = 200):
    tenant = membership.tenant
    context = {
        "membership": membership, "tenant": tenant, "memberships": memberships_of(user=request.user),
        "members": members_of(tenant=tenant), "invitations": open_invitations_of(tenant=tenant),
        "form": form or InviteForm(), "roles": Role.choices, "error": error, "now": timezone.now(), "days": settings.INVITATION_DAYS,
    }
    return render(request, "portal/people/people.html", context, status=status)


def _words(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
def people(request, identifier: str):
    membership = _manager(request, identifier)
    if request.method != "POST":
        return _people_page(request, membership)
    form = InviteForm(request.POST)
    if not form.is_valid():
        audit_note(request, action="member-invite", email=request.POST.get("email", "")[:254], role=request.POST.get("role", ""))
        return _people_page(request, membership, form=form, status=400)
    data = form.cleaned_data
    audit_note(request, action="member-invite", email=data["email"].lower(), role=data["role"])
    try:
        invitation, _token = invitation_create(tenant=membership.tenant, email=data["email"], name=data["name"], role=data["role"],
                                               invited_by=request.user, language=request.LANGUAGE_CODE)
    except ValidationError as error:
        form.add_error("email", _words(error))
        return _people_page(request, membership, form=form, status=400)
    audit_note(request, subject=("invitation", invitation.id))
    messages.success(request, _("The invitation is on its way to %(email)s.") % {"email": invitation.email})
    return redirect("portal:people", identifier=identifier)


@require_POST
@login_required
def invitation_withdraw(request, identifier: str, invitation_id: int):
    membership = _manager(request, identifier)
    try:
        invitation = invitation_revoke(tenant=membership.tenant, invitation_id=invitation_id)
    except ValidationError as error:
        return _people_page(request, membership, error=_words(error), status=409)
    audit_note(request, action="invitation-revoke", email=invitation.email)
    messages.success(request, _("The invitation of %(email)s is withdrawn.") % {"email": invitation.email})
    return redirect("portal:people", identifier=identifier)


@require_POST
@login_required
def member_role(request, identifier: str, member_id: int):
    membership = _manager(request, identifier)
    if not members_of(tenant=membership.tenant).filter(id=member_id).exists():
        raise Http404  # another tenant's member is not found, whatever the form says
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _people_page(request, membership, error=_("Choose one of the roles."), status=400)
    role = form.cleaned_data["role"]
    try:
        changed, old_role = member_role_change(tenant=membership.tenant, member_id=member_id, role=role)
    except ValidationError as error:
        audit_note(request, action="member-role", **{**_member_words(membership.tenant, member_id), "role": role})
        return _people_page(request, membership, error=_words(error), status=409)
    audit_note(request, action="member-role", person=_person(changed.user), old_role=old_role, role=role)
    messages.success(request, _("%(person)s is now %(role)s.") % {"person": _person(changed.user), "role": changed.get_role_display()})
    if changed.user_id == request.user.id and not changed.can(Permission.MANAGE_MEMBERS):
        return redirect("portal:dashboard", identifier=identifier)
    return redirect("portal:people", identifier=identifier)


@require_POST
@login_required
def member_delete(request, identifier: str, member_id: int):
    membership = _manager(request, identifier)
    try:
        removed = member_remove(tenant=membership.tenant, member_id=member_id)
    except ValidationError as error:
        audit_note(request, action="member-remove", **_member_words(membership.tenant, member_id))
        return _people_page(request, membership, error=_words(error), status=409)
    # the tenant named here: one who removed themselves serves it no more when the entry is written
    audit_note(request, action="member-remove", tenant=membership.tenant, person=_person(removed.user), role=removed.role)
    messages.success(request, _("%(person)s no longer serves this taxpayer.") % {"person": _person(removed.user)})
    if removed.user_id == request.user.id:
        return redirect("portal:home")
    return redirect("portal:people", identifier=identifier)


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def _member_words(tenant, member_id: int) -> dict:
    member = members_of(tenant=tenant).filter(id=member_id).first()
    return {"person": _person(member.user), "old_role": member.role, "role": member.role} if member else {}


AUDIT_PAGE = 50


@login_required
def audit_log(request, identifier: str):
    membership = _manager(request, identifier)
    tenant = membership.tenant
    person, action, before = _int(request.GET.get("person")), request.GET.get("action", ""), _int(request.GET.get("before"))
    entries = list(audit_entries_of(tenant=tenant, user_id=person, action=action, before=before)[:AUDIT_PAGE + 1])
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    query = {key: value for key, value in (("person", person), ("action", action)) if value}
    context = {
        "membership": membership, "tenant": tenant, "memberships": memberships_of(user=request.user),
        "entries": [(entry, audit_summary(entry), subject_label(entry.subject_type)) for entry in entries],
        "people": audit_people_of(tenant=tenant), "actions": [(code, action_label(code)) for code in audit_actions_of(tenant=tenant)],
        "person": person, "action": action, "first": before is None,
        "first_query": urlencode(query), "next_query": urlencode({**query, "before": entries[-1].id}) if more else "",
    }
    return render(request, "portal/people/audit.html", context)


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@login_required
def profile(request):
    context = {
        "memberships": memberships_of(user=request.user), "profile_memberships": memberships_of(user=request.user),
        "language": dict(settings.LANGUAGES).get(request.LANGUAGE_CODE, request.LANGUAGE_CODE),
        "sign_ins": [(entry, audit_summary(entry)) for entry in sign_ins_of(user=request.user)],
    }
    return render(request, "portal/people/profile.html", context)


def invite(request, token: str):
    """The link of an invitation: set a password (no account yet) or accept (signed in as the person
    it names); a link that was used, withdrawn, replaced or has expired says so."""
    invitation = invitation_by_token(token=token)
    if invitation is None:
        return render(request, "portal/people/invite.html", {"unknown": True}, status=404)
    with translation.override(request.LANGUAGE_CODE if settings.LANGUAGE_COOKIE_NAME in request.COOKIES else invitation.language):
        return _invite(request, invitation, token)


def _invite(request, invitation, token: str):
    closed = invitation_closed(invitation)
    context = {"invitation": invitation, "tenant": invitation.tenant, "role": invitation.get_role_display()}
    if closed is not None:
        return render(request, "portal/people/invite.html", {**context, "closed": CLOSED[closed]}, status=410)
    has_account = get_user_model().objects.filter(email__iexact=invitation.email).exists()
    if has_account:
        return _invite_existing(request, invitation, token, context)
    form = SignUpForm(request.POST or None, initial=_names(invitation.name))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            joined = invitation_sign_up(token=token, password=data["password1"], first_name=data["first_name"], last_name=data["last_name"])
        except ValidationError as error:
            form.add_error(None if getattr(error, "code", None) in CLOSED else "password1", error)
        else:
            login(request, joined.user, backend="django.contrib.auth.backends.ModelBackend")
            return _joined(request, joined)
    # A live link answers 200 whatever was wrong: Django logs the path of a 4xx, and the token is in it.
    return render(request, "portal/people/invite.html", {**context, "form": form})


def _invite_existing(request, invitation, token: str, context: dict):
    if not request.user.is_authenticated:
        return render(request, "portal/people/invite.html", {**context, "log_in": f"{reverse('login')}?{urlencode({'next': request.path})}"})
    if (request.user.email or "").lower() != invitation.email:
        return render(request, "portal/people/invite.html", {**context, "other_person": True})
    if request.method == "POST":
        try:
            joined = invitation_accept(token=token, user=request.user)
        except ValidationError as error:
            return render(request, "portal/people/invite.html", {**context, "closed": _words(error)}, status=410)
        return _joined(request, joined)
    return render(request, "portal/people/invite.html", {**context, "accept": True})


def _joined(request, joined):
    audit_note(request, action="invitation-accept", tenant=joined.tenant, subject=("member", joined.id), role=joined.role)
    messages.success(request, _("Welcome to %(tenant)s.") % {"tenant": joined.tenant.display_name})
    return redirect("portal:dashboard", identifier=joined.tenant.identifier)


def _names(name: str) -> dict:
    first, _space, last = name.strip().rpartition(" ")
    return {"first_name": first or last, "last_name": last if first else ""}
