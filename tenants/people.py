"""Writes for a tenant's people: invitations by e-mail, roles, removal.

Every change to who is in a tenant, and in which role, first locks the tenant's row, so the changes of
one tenant happen one after the other: two owners demoting each other at once cannot leave the
tenant without an owner, as the second finds the first already demoted. A tenant always keeps at
least one owner."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import smtplib

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from integrator.errors import network_reason
from tenants.models import Invitation, Membership, Tenant
from tenants.roles import Role

EXPIRED, USED, WITHDRAWN, REPLACED = "expired", "used", "withdrawn", "replaced"
CLOSED = {
    EXPIRED: _("This invitation has expired. Ask the owner who invited you to send a new one."),
    USED: _("This invitation has already been accepted. Log in to reach the taxpayer."),
    WITHDRAWN: _("This invitation was withdrawn by the taxpayer's owner."),
    REPLACED: _("This invitation was replaced by a newer one: use the link in the latest e-mail."),
}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    return settings.PUBLIC_URL + reverse("portal:invite", args=[token])


def _locked(tenant: Tenant) -> Tenant:
    return Tenant.objects.select_for_update().get(pk=tenant.pk)


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError(_("Unknown role %(role)s; the roles are: %(roles)s."), code="unknown_role",
                              params={"role": role, "roles": ", ".join(Role.values)})


def invitation_create(*, tenant: Tenant, email: str, name: str, role: str, invited_by, language: str = "tr",
                      now: dt.datetime | None = None) -> tuple[Invitation, str]:
    """Invite *email* to *tenant* as *role* and send the link; returns the invitation and its token
    (never stored). An open invitation of the same address is withdrawn, as replaced."""
    email = email.strip().lower()
    validate_email(email)
    _check_role(role)
    now = now or timezone.now()
    with transaction.atomic():
        _locked(tenant)
        if Membership.objects.filter(tenant=tenant, user__email__iexact=email).exists():
            raise ValidationError(_("%(email)s is already a member of this taxpayer."), code="already_member", params={"email": email})
        Invitation.objects.filter(tenant=tenant, email=email, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now, replaced=True)
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            tenant=tenant, email=email, name=name.strip()[:150], role=role, token_hash=token_hash(token), invited_by=invited_by,
            language="en" if language == "en" else "tr", created_at=now, expires_at=now + dt.timedelta(days=settings.INVITATION_DAYS))
        # Sent before the commit: an e-mail that cannot go leaves nothing, and the earlier link still open.
        try:
            invitation_send(invitation=invitation, token=token)
        except (smtplib.SMTPException, OSError) as exc:
            raise ValidationError(_("The invitation could not be sent to %(email)s: %(reason)s. Nothing was changed; try again."),
                                  code="not_sent", params={"email": email, "reason": network_reason(exc)}) from exc
    return invitation, token


def invitation_send(*, invitation: Invitation, token: str) -> None:
    """The invitation's e-mail, in the inviter's language, by the platform's mail backend."""
    with translation.override(invitation.language):
        context = {"invitation": invitation, "tenant": invitation.tenant, "link": invitation_link(token),
                   "inviter": invitation.invited_by.get_full_name() or invitation.invited_by.get_username() if invitation.invited_by else "",
                   "role": invitation.get_role_display(), "expires": timezone.localtime(invitation.expires_at)}
        subject = str(_("Invitation to %(tenant)s on the e-Invoice portal") % {"tenant": invitation.tenant.display_name})
        body = render_to_string("portal/people/invitation_email.txt", context)
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email], headers={"Content-Language": invitation.language}).send()


def invitation_closed(invitation: Invitation, *, now: dt.datetime | None = None) -> str | None:
    """Why the link of *invitation* can no longer be used (EXPIRED, USED…), or None while it can."""
    if invitation.accepted_at is not None:
        return USED
    if invitation.revoked_at is not None:
        return REPLACED if invitation.replaced else WITHDRAWN
    if invitation.expires_at <= (now or timezone.now()):
        return EXPIRED
    return None


def _open_locked(token: str) -> Invitation:
    """The open invitation of *token*, its tenant locked first (the order every change of people
    takes), then the invitation itself."""
    found = Invitation.objects.filter(token_hash=token_hash(token)).values_list("tenant_id", flat=True).first()
    if found is None:
        raise Http404
    Tenant.objects.select_for_update().get(pk=found)
    invitation = Invitation.objects.select_for_update().select_related("tenant").get(token_hash=token_hash(token))
    reason = invitation_closed(invitation)
    if reason is not None:
        raise ValidationError(CLOSED[reason], code=reason)
    return invitation


def _join(invitation: Invitation, user) -> Membership:
    membership = Membership.objects.filter(tenant=invitation.tenant, user=user).first()
    if membership is None:  # someone already a member keeps the role they have
        membership = Membership.objects.create(tenant=invitation.tenant, user=user, role=invitation.role)
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def invitation_accept(*, token: str, user) -> Membership:
    """The person signed in as *user*, whose e-mail address the invitation names, joins the tenant."""
    with transaction.atomic():
        invitation = _open_locked(token)
        if (user.email or "").lower() != invitation.email:
            raise ValidationError(_("This invitation is for %(email)s, and you are signed in as someone else."), code="other_person",
                                  params={"email": invitation.email})
        return _join(invitation, user)


def invitation_sign_up(*, token: str, password: str, first_name: str = "", last_name: str = "") -> Membership:
    """A person without an account: the account (its username the invited address) and the
    membership are made together, or neither is."""
    User = get_user_model()
    with transaction.atomic():
        invitation = _open_locked(token)
        if User.objects.filter(email__iexact=invitation.email).exists() or User.objects.filter(username=invitation.email).exists():
            raise ValidationError(_("%(email)s already has an account: log in to accept the invitation."), code="has_account",
                                  params={"email": invitation.email})
        user = User(username=invitation.email, email=invitation.email, first_name=first_name.strip()[:150], last_name=last_name.strip()[:150])
        password_validation.validate_password(password, user)
        user.set_password(password)
        user.save()
        return _join(invitation, user)


def invitation_revoke(*, tenant: Tenant, invitation_id: int) -> Invitation:
    """Withdraw an open invitation of *tenant*; another tenant's is a 404."""
    with transaction.atomic():
        _locked(tenant)
        invitation = Invitation.objects.filter(tenant=tenant, id=invitation_id).first()
        if invitation is None:
            raise Http404
        if not invitation.is_open:
            raise ValidationError(_("This invitation is no longer open."), code="not_open")
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        return invitation


def _member_locked(tenant: Tenant, member_id: int) -> Membership:
    _locked(tenant)
    membership = Membership.objects.select_related("user").filter(tenant=tenant, id=member_id).first()
    if membership is None:
        raise Http404
    return membership


def _keeps_an_owner(membership: Membership) -> None:
    others = Membership.objects.filter(tenant=membership.tenant_id, role=Role.OWNER).exclude(id=membership.id)
    if membership.role == Role.OWNER and not others.exists():
        raise ValidationError(_("%(person)s is the last owner of this taxpayer: make someone else an owner first."),
                              code="last_owner", params={"person": _person(membership.user)})


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


def member_role_change(*, tenant: Tenant, member_id: int, role: str) -> tuple[Membership, str]:
    """Give a member of *tenant* another role; returns the membership and the role it had."""
    _check_role(role)
    with transaction.atomic():
        membership = _member_locked(tenant, member_id)
        old_role = membership.role
        if role != Role.OWNER:
            _keeps_an_owner(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        return membership, old_role


def member_remove(*, tenant: Tenant, member_id: int) -> Membership:
    """Take a person out of *tenant* (their account stays, and their other tenants)."""
    with transaction.atomic():
        membership = _member_locked(tenant, member_id)
        _keeps_an_owner(membership)
        membership.delete()
        return membership
