"""The portal's reports page: every report over the chosen range, each a chart beside its table,
and each table as CSV or XLSX."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from invoices.models import Invoice
from invoices.status import Status
from reports.charts import Numbers, bar_chart, table_html
from reports.files import CONTENT_TYPES, WRITERS, filename
from reports.periods import PeriodInvalid, default_period, period_from
from reports.selectors import REPORTS, report_of
from tenants.roles import Permission
from tenants.selectors import memberships_of
from tenants.views import membership_or_404


def _viewer(request, identifier: str):
    membership = membership_or_404(request, identifier)
    if not membership.can(Permission.VIEW):
        raise Http404
    return membership


def words() -> dict:
    """The words shown for stored values: directions and statuses."""
    return {**{("direction", v): label for v, label in Invoice.Direction.choices}, **{("status", v): label for v, label in Status.choices}}


def _shown(table, labels: dict, numbers: Numbers) -> dict:
    if not table.rows:
        return {"table": table}
    return {"table": table, "chart": bar_chart(table, labels, numbers), "html": table_html(table, labels, numbers)}


def reports_page(request, identifier: str):
    membership = _viewer(request, identifier)
    today = timezone.localdate()
    try:
        period, error = period_from(request.GET, today=today), ""
    except PeriodInvalid as exc:
        period, error = default_period(today=today), str(exc)
    labels, numbers = words(), Numbers()
    shown = [_shown(report_of(tenant=membership.tenant, name=name, period=period), labels, numbers) for name in REPORTS]
    return render(request, "portal/reports.html", {
        "membership": membership, "tenant": membership.tenant, "memberships": memberships_of(user=request.user),
        "period": period, "error": error, "reports": shown, "query": request.GET.urlencode(),
    }, status=400 if error else 200)


def report_download(request, identifier: str, name: str, fmt: str):
    membership = _viewer(request, identifier)
    if name not in REPORTS or fmt not in WRITERS:
        raise Http404
    try:
        period = period_from(request.GET, today=timezone.localdate())
    except PeriodInvalid as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    table = report_of(tenant=membership.tenant, name=name, period=period)
    response = HttpResponse(WRITERS[fmt](table), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename(table, period, fmt)}"'
    return response

