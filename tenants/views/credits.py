"""The portal's aliases and number series page, and its credits (kontör): the balance, the ledger, the
low-balance threshold, and the staff's top-up."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from directory.lookup import registered_user
from invoices.selectors import invoices_paid_by
from tenants.credit_forms import ThresholdForm, TopUpForm
from tenants.ledger import credits_set_threshold, credits_threshold, credits_topup
from tenants.models import Membership, Tenant
from tenants.numbering import series_add
from tenants.roles import Permission, Role
from tenants.selectors import active_tenant, aliases_of, credit_account_of, ledger_of, membership_of, memberships_of, series_years_of
from tenants.series_forms import SeriesForm
from tenants.views import membership_or_404


@login_required
def aliases_page(request, identifier: str):
    """The tenant's aliases beside GİB's records of its VKN/TCKN, and its number series with, per year,
    the next number (read-only: numbers are taken only by the invoices that use them)."""
    membership = membership_or_404(request, identifier)
    tenant = membership.tenant
    form = SeriesForm()
    if request.method == "POST":
        if not membership.can(Permission.CONFIGURE):
            raise PermissionDenied
        form = SeriesForm(request.POST)
        if form.is_valid():
            try:
                series = series_add(tenant=tenant, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error("prefix", exc)
            else:
                messages.success(request, _("Number series %(prefix)s added.") % {"prefix": series.prefix})
                return redirect("portal:aliases", identifier=identifier)
    ours = list(aliases_of(tenant=tenant))
    registered = registered_user(tenant.identifier)
    theirs = [a for a in registered.active_aliases if a.document_type == "Invoice"] if registered else []
    context = {
        "membership": membership, "tenant": tenant, "memberships": memberships_of(user=request.user), "form": form,
        "aliases": [(a, any(r.name == a.name and r.kind == a.kind for r in theirs)) for a in ours],
        "registered": registered, "gib_aliases": [(r, any(a.name == r.name and a.kind == r.kind for a in ours)) for r in theirs],
        "series": series_years_of(tenant=tenant), "year": timezone.localdate().year,
    }
    return render(request, "portal/aliases.html", context, status=400 if form.errors else 200)


# --- credits ---------------------------------------------------------------------------------------

LEDGER_PAGE = 50


def _credits_access(request, identifier: str) -> tuple[Tenant, Membership | None]:
    """The tenant's credits are seen by its people, and by the integrator's staff, who top them up."""
    membership = membership_of(user=request.user, identifier=identifier)
    if membership is not None:
        return membership.tenant, membership
    if request.user.is_staff:
        tenant = active_tenant(identifier=identifier)
        if tenant is not None:
            return tenant, None
    raise Http404


def _credits_context(request, identifier: str) -> dict:
    """The balance, the threshold, a page of the ledger (newest first) with the invoices each debit paid for."""
    tenant, membership = _credits_access(request, identifier)
    account = credit_account_of(tenant=tenant)
    page = Paginator(ledger_of(tenant=tenant), LEDGER_PAGE).get_page(request.GET.get("page"))
    paid = invoices_paid_by(tenant=tenant, references=[e.reference for e in page if e.reference])
    context = {
        "membership": membership, "tenant": tenant, "memberships": memberships_of(user=request.user),
        "balance": account.balance if account else 0, "threshold": credits_threshold(account=account),
        "own_threshold": account.low_threshold if account else None, "default_threshold": settings.CREDITS_LOW_DEFAULT,
        "page": page, "entries": [(entry, paid.get(entry.reference, [])) for entry in page],
        "may_set_threshold": membership is not None and membership.role == Role.OWNER, "may_top_up": request.user.is_staff,
        "threshold_form": ThresholdForm(initial={"threshold": account.low_threshold if account else None}),
        "topup_form": TopUpForm(),
    }
    return context


def _credits_render(request, context: dict, status: int = 200):
    return render(request, "portal/credits.html", context, status=status)


@login_required
def credits(request, identifier: str):
    return _credits_render(request, _credits_context(request, identifier))


@require_POST
@login_required
def credits_set_low(request, identifier: str):
    tenant, membership = _credits_access(request, identifier)
    if membership is None or membership.role != Role.OWNER:
        raise PermissionDenied
    form = ThresholdForm(request.POST)
    if not form.is_valid():
        context = _credits_context(request, identifier)
        return _credits_render(request, {**context, "threshold_form": form}, status=400)
    account = credits_set_threshold(tenant=tenant, threshold=form.cleaned_data["threshold"])
    messages.success(request, _("You will be warned when the balance falls below %(threshold)s.") % {"threshold": credits_threshold(account=account)})
    return redirect("portal:credits", identifier=identifier)


@require_POST
@login_required
def credits_top_up(request, identifier: str):
    tenant, _membership = _credits_access(request, identifier)
    if not request.user.is_staff:
        raise PermissionDenied
    form = TopUpForm(request.POST)
    if form.is_valid():
        try:
            entry = credits_topup(tenant=tenant, amount=form.cleaned_data["amount"], note=form.cleaned_data["note"], by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(amount)s credits added: the balance is %(balance)s.") % {"amount": entry.amount, "balance": entry.balance_after})
            return redirect("portal:credits", identifier=identifier)
    context = _credits_context(request, identifier)
    return _credits_render(request, {**context, "topup_form": form}, status=400)
