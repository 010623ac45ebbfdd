"""The portal: the tenants a person serves, and each tenant's dashboard. The tenant's other pages
are this package's modules: its people (``people``), API keys and webhooks (``keys``), aliases,
number series and credits (``credits``)."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from earsiv.selectors import reports_attention_by_tenant, reports_needing_attention
from invoices.selectors import attention_by_tenant, awaiting_answer_of, incoming_count, outgoing_counts
from signing.selectors import seal_in_use, seals_in_use
from tenants.ledger import credits_standing, credits_threshold
from tenants.selectors import aliases_of, credit_account_of, membership_of, memberships_of, series_of


def membership_or_404(request, identifier: str):
    """The person's membership in the tenant of the URL; 404 for a tenant they do not serve."""
    membership = membership_of(user=request.user, identifier=identifier)
    if membership is None:
        raise Http404
    return membership


@dataclass(frozen=True)
class Attention:
    """One thing in a tenant that needs a person: what, how many, and where it is seen."""

    text: str
    url: str
    level: str = "warning"


def _attention(tenant, counts: dict, earsiv: dict, seal, credits: tuple[int, int]) -> list[Attention]:
    identifier = tenant.identifier
    invoices, inbox = reverse("portal:invoices", args=[identifier]), reverse("portal:inbox", args=[identifier])
    items = [
        (counts["failed"], ngettext("%(n)s failed at GİB", "%(n)s failed at GİB", counts["failed"]), f"{invoices}?status=failed"),
        (counts["held"], ngettext("%(n)s held: waiting for a seal", "%(n)s held: waiting for a seal", counts["held"]), f"{invoices}?status=held"),
        (counts["invalid"], ngettext("%(n)s invalid", "%(n)s invalid", counts["invalid"]), f"{invoices}?status=invalid"),
        (counts["awaiting"], ngettext("%(n)s awaits your answer", "%(n)s await your answer", counts["awaiting"]), f"{inbox}?awaiting=on"),
        (counts["closing"], ngettext("%(n)s answer due within 2 days", "%(n)s answers due within 2 days", counts["closing"]),
         f"{inbox}?awaiting=on&closing=on"),
        (earsiv["failed"], ngettext("%(n)s e-Arşiv report failed", "%(n)s e-Arşiv reports failed", earsiv["failed"]),
         reverse("portal:earsiv-reports", args=[identifier])),
        (earsiv["late"], ngettext("%(n)s e-Arşiv report late", "%(n)s e-Arşiv reports late", earsiv["late"]),
         reverse("portal:earsiv-reports", args=[identifier])),
    ]
    found = [Attention(text % {"n": n}, url) for n, text, url in items if n]
    dashboard = reverse("portal:dashboard", args=[identifier])
    if seal is None:
        found.append(Attention(_("No seal"), dashboard))
    elif seal.expiring:
        found.append(Attention(_("Seal ends %(date)s") % {"date": timezone.localtime(seal.seal.not_after).date().isoformat()}, dashboard))
    balance, threshold = credits
    if balance < threshold:
        found.append(Attention(_("Credits low: %(balance)s left") % {"balance": balance}, dashboard))
    return found


def overview_of(memberships: list, now) -> list[tuple]:
    """(membership, what needs attention) for each tenant the person serves, in a few aggregate queries for all of them."""
    tenants = [m.tenant for m in memberships]
    counts = attention_by_tenant(tenants=tenants, now=now)
    earsiv = reports_attention_by_tenant(tenants=tenants, now=now)
    seals, credits = seals_in_use(tenants=tenants), credits_standing(tenants=tenants)
    return [(m, _attention(m.tenant, counts[m.tenant.id], earsiv[m.tenant.id], seals[m.tenant.id], credits[m.tenant.id])) for m in memberships]


@login_required
def home(request):
    memberships = list(memberships_of(user=request.user))
    if len(memberships) == 1:
        return redirect("portal:dashboard", identifier=memberships[0].tenant.identifier)
    overview = overview_of(memberships, timezone.now())
    return render(request, "portal/home.html", {"memberships": memberships, "overview": overview,
                                                "calm": sum(1 for _m, items in overview if not items)})


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
