"""Reads of the day figures: each report a table of columns and rows over a range of days, by month
or by day, always within one tenant. Money leaves here as ``Decimal`` (cents / 100), never float."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from reports.figures import NOT_COUNTED
from reports.models import DayFigure, DayParty, DayTax
from tenants.models import Tenant

MONTH, DAY = "month", "day"
OUT, IN = "out", "in"
TOP = 10
KDV = "0015"
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date
    granularity: str = MONTH


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text, count, money, percent


@dataclass(frozen=True)
class Chart:
    """What the page draws of a table: one bar per row, *value* its height, *label* and *series* its names."""

    value: str
    label: tuple[str, ...]
    series: tuple[str, ...] = ()


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    chart: Chart | None = None
    period: Period | None = None


def money(cents_sum) -> Decimal:
    return (Decimal(cents_sum or 0) / HUNDRED).quantize(Decimal("0.01"))


def _parts(period: Period) -> list[tuple[bool, dt.date, dt.date]]:
    """The (monthly, first day, last day) rows that sum to *period*: by day, the day rows; by month,
    the month rows of the whole months inside it and the day rows of the days before and after them."""
    if period.granularity == DAY:
        return [(False, period.start, period.end)]
    first = period.start if period.start.day == 1 else (period.start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    boundary = (period.end + dt.timedelta(days=1)).replace(day=1)  # the first day of the month the range does not fill
    if first >= boundary:
        return [(False, period.start, period.end)]
    parts = [(True, first, boundary - dt.timedelta(days=1))]
    if period.start < first:
        parts.append((False, period.start, first - dt.timedelta(days=1)))
    if boundary <= period.end:
        parts.append((False, boundary, period.end))
    return parts


def _span(period: Period) -> Q:
    found = Q()
    for monthly, first, last in _parts(period):
        found |= Q(monthly=monthly, day__gte=first, day__lte=last)
    return found


def _scoped(model, tenant: Tenant, period: Period, *, counted: bool = True):
    rows = model.objects.filter(_span(period), tenant=tenant)
    if model is not DayFigure:
        return rows.filter(counted=True)
    return rows.exclude(status__in=NOT_COUNTED) if counted else rows


def _by_period(rows, period: Period):
    if period.granularity == MONTH:
        return rows.annotate(period=TruncMonth("day"))
    return rows.annotate(period=F("day"))


def _period_label(value, period: Period) -> str:
    return value.strftime("%Y-%m") if period.granularity == MONTH else value.isoformat()


def invoices_report(*, tenant: Tenant, period: Period) -> Table:
    rows = (_by_period(_scoped(DayFigure, tenant, period), period).values("period", "direction", "currency")
            .annotate(n=Sum("count"), payable=Sum("payable_cents"), tax=Sum("tax_cents")).filter(n__gt=0)
            .order_by("period", "-direction", "currency"))
    return Table("invoices", _("Invoices issued and received"), [
        Column("period", _("Period")), Column("direction", _("Direction")), Column("currency", _("Currency")),
        Column("count", _("Count"), "count"), Column("payable", _("Payable amount"), "money"), Column("tax", _("Tax"), "money"),
    ], [{"period": _period_label(r["period"], period), "direction": r["direction"], "currency": r["currency"], "count": r["n"],
         "payable": money(r["payable"]), "tax": money(r["tax"])} for r in rows],
        Chart("count", ("period",), ("direction", "currency")))


def statuses_report(*, tenant: Tenant, period: Period) -> Table:
    rows = (_scoped(DayFigure, tenant, period, counted=False).values("direction", "status", "currency")
            .annotate(n=Sum("count"), payable=Sum("payable_cents")).filter(n__gt=0).order_by("-direction", "status", "currency"))
    return Table("statuses", _("By status"), [
        Column("direction", _("Direction")), Column("status", _("Status")), Column("currency", _("Currency")),
        Column("count", _("Count"), "count"), Column("payable", _("Payable amount"), "money"),
    ], [{"direction": r["direction"], "status": r["status"], "currency": r["currency"], "count": r["n"], "payable": money(r["payable"])}
        for r in rows], Chart("count", ("status", "currency"), ("direction",)))


def gib_codes_report(*, tenant: Tenant, period: Period) -> Table:
    rows = (_scoped(DayFigure, tenant, period, counted=False).filter(direction=OUT).values("gib_code")
            .annotate(n=Sum("count")).filter(n__gt=0).order_by("gib_code"))
    return Table("gib-codes", _("By GİB code"), [Column("gib_code", _("GİB code")), Column("count", _("Count"), "count")],
                 [{"gib_code": str(r["gib_code"]) if r["gib_code"] else "—", "count": r["n"]} for r in rows], Chart("count", ("gib_code",)))


def profiles_report(*, tenant: Tenant, period: Period) -> Table:
    rows = (_scoped(DayFigure, tenant, period).values("direction", "profile", "type_code", "currency")
            .annotate(n=Sum("count"), payable=Sum("payable_cents")).filter(n__gt=0).order_by("-direction", "profile", "type_code", "currency"))
    return Table("profiles", _("By profile and type"), [
        Column("direction", _("Direction")), Column("profile", _("Profile")), Column("type_code", _("Type")),
        Column("currency", _("Currency")), Column("count", _("Count"), "count"), Column("payable", _("Payable amount"), "money"),
    ], [{"direction": r["direction"], "profile": r["profile"], "type_code": r["type_code"], "currency": r["currency"], "count": r["n"],
         "payable": money(r["payable"])} for r in rows], Chart("count", ("profile", "type_code", "currency"), ("direction",)))


PARTIES = """
SELECT currency, identifier, n, payable FROM (
  SELECT currency, identifier, SUM(n) AS n, SUM(payable) AS payable,
         ROW_NUMBER() OVER (PARTITION BY currency ORDER BY SUM(payable) DESC, identifier) AS place
  FROM ({parts}) AS parts GROUP BY currency, identifier HAVING SUM(n) > 0
) AS ranked WHERE place <= %s"""
PART = ("SELECT currency, identifier, count AS n, payable_cents AS payable FROM reports_dayparty "
        "WHERE tenant_id = %s AND monthly = %s AND direction = %s AND counted AND day >= %s AND day <= %s")


def _parties(tenant: Tenant, period: Period, direction: str) -> list[dict]:
    """The *TOP* parties by amount in each currency (TRY first), with their latest name. Each part of
    the range is its own index range (read from the index alone on PostgreSQL), summed together."""
    parts = _parts(period)
    params = [value for monthly, first, last in parts for value in (tenant.id, monthly, direction, first, last)] + [TOP]
    with connection.cursor() as cursor:
        cursor.execute(PARTIES.format(parts=" UNION ALL ".join([PART] * len(parts))), params)
        found = cursor.fetchall()
    picked = sorted(found, key=lambda r: (r[0] != "TRY", r[0], -r[3], r[1]))
    names = dict(DayParty.objects.filter(tenant=tenant, direction=direction, identifier__in={r[1] for r in picked}, monthly=True,
                                         day__lte=period.end).order_by("identifier", "day").values_list("identifier", "name"))
    return [{"identifier": identifier, "name": names.get(identifier, ""), "currency": currency, "count": n, "payable": money(payable)}
            for currency, identifier, n, payable in picked]


def _party_columns(who) -> list[Column]:
    return [Column("identifier", _("VKN/TCKN")), Column("name", who), Column("currency", _("Currency")),
            Column("count", _("Count"), "count"), Column("payable", _("Payable amount"), "money")]


def customers_report(*, tenant: Tenant, period: Period) -> Table:
    return Table("customers", _("Top customers"), _party_columns(_("Customer")), _parties(tenant, period, OUT),
                 Chart("payable", ("name",), ("currency",)))


def suppliers_report(*, tenant: Tenant, period: Period) -> Table:
    return Table("suppliers", _("Top suppliers"), _party_columns(_("Supplier")), _parties(tenant, period, IN),
                 Chart("payable", ("name",), ("currency",)))


def _taxes(tenant: Tenant, period: Period, withholding: bool):
    rows = _by_period(_scoped(DayTax, tenant, period).filter(withholding=withholding), period)
    return rows.filter(Q(code=KDV) if not withholding else Q())


def vat_report(*, tenant: Tenant, period: Period) -> Table:
    rows = (_taxes(tenant, period, False).values("period", "direction", "currency", "percent")
            .annotate(n=Sum("count"), taxable=Sum("taxable_cents"), amount=Sum("amount_cents")).filter(n__gt=0)
            .order_by("period", "-direction", "currency", "percent"))
    return Table("vat", _("VAT (KDV) per rate"), [
        Column("period", _("Period")), Column("direction", _("Direction")), Column("currency", _("Currency")),
        Column("percent", _("Rate %"), "percent"), Column("taxable", _("Taxable amount"), "money"), Column("tax", _("KDV"), "money"),
    ], [{"period": _period_label(r["period"], period), "direction": r["direction"], "currency": r["currency"],
         "percent": Decimal(r["percent"]).quantize(Decimal("0.01")), "taxable": money(r["taxable"]), "tax": money(r["amount"])} for r in rows],
        Chart("tax", ("period", "percent"), ("direction", "currency")))


def withholding_report(*, tenant: Tenant, period: Period) -> Table:
    rows = (_taxes(tenant, period, True).values("period", "direction", "currency", "code", "percent")
            .annotate(n=Sum("count"), taxable=Sum("taxable_cents"), amount=Sum("amount_cents")).filter(n__gt=0)
            .order_by("period", "-direction", "currency", "code", "percent"))
    return Table("withholding", _("Withholding (tevkifat)"), [
        Column("period", _("Period")), Column("direction", _("Direction")), Column("currency", _("Currency")),
        Column("code", _("Code")), Column("percent", _("Rate %"), "percent"), Column("taxable", _("KDV withheld from"), "money"),
        Column("amount", _("Withheld"), "money"),
    ], [{"period": _period_label(r["period"], period), "direction": r["direction"], "currency": r["currency"], "code": r["code"],
         "percent": Decimal(r["percent"]).quantize(Decimal("0.01")), "taxable": money(r["taxable"]), "amount": money(r["amount"])}
        for r in rows], Chart("amount", ("period", "code"), ("direction", "currency")))


REPORTS = {
    "invoices": invoices_report, "statuses": statuses_report, "gib-codes": gib_codes_report, "profiles": profiles_report,
    "customers": customers_report, "suppliers": suppliers_report, "vat": vat_report, "withholding": withholding_report,
}


def report_of(*, tenant: Tenant, name: str, period: Period) -> Table:
    table = REPORTS[name](tenant=tenant, period=period)
    table.period = period
    return table
