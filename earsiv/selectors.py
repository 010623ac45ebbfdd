"""Reads of e-Arşiv rows, always within one tenant."""

from __future__ import annotations

from django.db.models import QuerySet

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
