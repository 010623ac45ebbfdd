"""Reads of e-Arşiv rows, always within one tenant."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from earsiv.models import Cancellation, Report
from invoices.models import Invoice
from tenants.models import Tenant


def earsiv_invoice(*, tenant: Tenant, uuid) -> Invoice | None:
    return Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.OUTGOING, uuid=uuid).first()


def cancellation_of(*, invoice: Invoice) -> Cancellation | None:
    return Cancellation.objects.filter(invoice=invoice).first()


def cancellations_of(*, tenant: Tenant) -> QuerySet[Cancellation]:
    return Cancellation.objects.filter(tenant=tenant).select_related("invoice").order_by("-created_at", "-id")


def reports_of(*, tenant: Tenant) -> QuerySet[Report]:
    return Report.objects.filter(tenant=tenant).select_related("document").order_by("-day", "part", "-id")


def report_get(*, tenant: Tenant, number) -> Report | None:
    return Report.objects.filter(tenant=tenant, number=number).select_related("document").first()


def reports_needing_attention(*, tenant: Tenant, now) -> dict[str, list[Report]]:
    """The tenant's reports a person must look at: failed ones nothing corrects, and late ones
    (not done by the end of the day ``EARSIV_REPORT_DEADLINE_DAYS`` after their day)."""
    from earsiv.sending import deadline_of

    failed = list(Report.objects.filter(tenant=tenant, state=Report.State.FAILED, corrections__isnull=True).order_by("-day", "part"))
    open_ = Report.objects.filter(tenant=tenant).exclude(state__in=[Report.State.DONE, Report.State.FAILED]).order_by("day", "part")
    return {"failed": failed, "late": [report for report in open_ if deadline_of(report.day) <= now]}


def reports_attention_by_tenant(*, tenants, now) -> dict[int, dict[str, int]]:
    """How many of each tenant's reports ``reports_needing_attention`` names, for many tenants in two queries."""
    from earsiv.sending import deadline_of

    ids = [tenant.id for tenant in tenants]
    found = {i: {"failed": 0, "late": 0} for i in ids}
    failed = Report.objects.filter(tenant_id__in=ids, state=Report.State.FAILED, corrections__isnull=True)
    for tenant_id, n in failed.values_list("tenant_id").annotate(n=Count("id")).order_by():
        found[tenant_id]["failed"] = n
    open_ = Report.objects.filter(tenant_id__in=ids).exclude(state__in=[Report.State.DONE, Report.State.FAILED])
    for tenant_id, day in open_.values_list("tenant_id", "day"):
        found[tenant_id]["late"] += deadline_of(day) <= now
    return found
