"""The portal: the tenants a person serves, and each tenant's dashboard. The tenant's other pages
are this package's modules: its people (``people``), API keys and webhooks (``keys``), aliases,
number series and credits (``credits``)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from earsiv.selectors import reports_needing_attention
from invoices.selectors import awaiting_answer_of, incoming_count, outgoing_counts
from signing.selectors import seal_in_use
from tenants.ledger import credits_threshold
from tenants.selectors import aliases_of, credit_account_of, membership_of, memberships_of, series_of


def membership_or_404(request, identifier: str):
    """The person's membership in the tenant of the URL; 404 for a tenant they do not serve."""
    membership = membership_of(user=request.user, identifier=identifier)
    if membership is None:
        raise Http404
    return membership


@login_required
def home(request):
    memberships = list(memberships_of(user=request.user))
    if len(memberships) == 1:
        return redirect("portal:dashboard", identifier=memberships[0].tenant.identifier)
    return render(request, "portal/home.html", {"memberships": memberships})


@login_required
def switch(request):
    membership = membership_or_404(request, request.GET.get("tenant", ""))
    return redirect("portal:dashboard", identifier=membership.tenant.identifier)


@login_required
def dashboard(request, identifier: str):
    membership = membership_or_404(request, identifier)
    tenant = membership.tenant
    year = timezone.localdate().year
    account = credit_account_of(tenant=tenant)
    balance, threshold = (account.balance if account else 0), credits_threshold(account=account)
    series = [
        (s, next((c.last_value for c in s.counters.all() if c.year == year), 0)) for s in series_of(tenant=tenant)
    ]
    context = {
        "membership": membership,
        "tenant": tenant,
        "memberships": memberships_of(user=request.user),
        "aliases": aliases_of(tenant=tenant),
        "series": series,
        "year": year,
        "balance": balance,
        "credits_low": balance < threshold,
        "credits_threshold": threshold,
        "api_keys": tenant.api_keys.filter(revoked_at__isnull=True),
        "seal": seal_in_use(tenant=tenant),
        "outgoing": outgoing_counts(tenant=tenant),
        "incoming": incoming_count(tenant=tenant),
        "awaiting": awaiting_answer_of(tenant=tenant, now=timezone.now()).count(),
        "earsiv": reports_needing_attention(tenant=tenant, now=timezone.now()),
    }
    return render(request, "portal/dashboard.html", context)
