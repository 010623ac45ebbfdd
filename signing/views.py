"""The portal's seal page: the tenant's seals and the invoices waiting for one, registering a PKCS#12
file or a PKCS#11 token key, and the tenant's authorisation for the integrator's seal. Those who may
configure the tenant see and register seals; only an owner grants or withdraws the authorisation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from integrator.errors import DomainError
from invoices.selectors import outgoing_counts
from invoices.status import Status
from signing.portal_forms import AuthorisationForm, Pkcs11Form, Pkcs12Form
from signing.selectors import integrator_seal_facts, seals_of
from signing.services import seal_add_pkcs11, seal_authorise_integrator, seal_import_pkcs12
from tenants.models import Membership
from tenants.roles import Permission, Role
from tenants.selectors import memberships_of
from tenants.views import membership_or_404


def _configurer(request, identifier: str) -> Membership:
    membership = membership_or_404(request, identifier)
    if not membership.can(Permission.CONFIGURE):
        raise PermissionDenied
    return membership


def _held(tenant) -> int:
    return next((count for status, _label, count in outgoing_counts(tenant=tenant) if status == Status.HELD), 0)


def _register(request, membership: Membership, form) -> bool:
    """Register the seal the valid *form* describes; its errors go on the form."""
    data, tenant = form.cleaned_data, membership.tenant
    held = _held(tenant)
    try:
        if isinstance(form, Pkcs12Form):
            seal = seal_import_pkcs12(tenant=tenant, name=data["name"], data=data["file"], password=data["password"].encode(),
                                      require_trust=True)
        else:
            seal = seal_add_pkcs11(tenant=tenant, name=data["name"], token_label=data["token_label"], key_label=data["key_label"],
                                   pin=data["pin"], require_trust=True)
    except DomainError as exc:
        form.add_error(None, str(exc))
        return False
    text = _("The seal %(name)s of %(holder)s is registered and in use.") % {"name": seal.name, "holder": seal.holder_name}
    if held:
        text += " " + ngettext("The invoice that waited for a seal goes on now.",
                               "The %(count)s invoices that waited for a seal go on now.", held) % {"count": held}
    messages.success(request, text)
    return True


@sensitive_post_parameters("password", "pin")
@login_required
def seals(request, identifier: str):
    membership = _configurer(request, identifier)
    tenant = membership.tenant
    pkcs12 = Pkcs12Form(prefix="p12")
    pkcs11 = Pkcs11Form(prefix="p11")
    if request.method == "POST":
        if request.POST.get("kind") == "pkcs11":
            pkcs11 = Pkcs11Form(request.POST, prefix="p11")
            form = pkcs11
        else:
            pkcs12 = Pkcs12Form(request.POST, request.FILES, prefix="p12")
            form = pkcs12
        if form.is_valid() and _register(request, membership, form):
            return redirect("portal:seals", identifier)
    return render(request, "portal/seals/seals.html", {
        "membership": membership, "tenant": tenant, "memberships": memberships_of(user=request.user),
        "seals": seals_of(tenant=tenant), "integrator": integrator_seal_facts(tenant=tenant), "held": _held(tenant),
        "pkcs12": pkcs12, "pkcs11": pkcs11, "may_authorise": membership.role == Role.OWNER,
        "open_form": "pkcs11" if pkcs11.is_bound else "pkcs12" if pkcs12.is_bound else "",
    })


@require_POST
@login_required
def seal_authorisation(request, identifier: str):
    """An owner grants or withdraws the integrator's sealing for the tenant."""
    membership = _configurer(request, identifier)
    if membership.role != Role.OWNER:
        raise PermissionDenied
    form = AuthorisationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to grant or to withdraw the authorisation."))
        return redirect("portal:seals", identifier)
    authorised = form.cleaned_data["authorised"]
    seal_authorise_integrator(tenant=membership.tenant, authorised=authorised)
    messages.success(request, _("The integrator may now seal this taxpayer's documents when it has no seal of its own.") if authorised
                     else _("The authorisation is withdrawn: the integrator's seal is no longer used for this taxpayer."))
    return redirect("portal:seals", identifier)
