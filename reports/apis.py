"""The reports over the API: ``GET /api/v1/reports/<name>?from=&to=&granularity=month|day``, the same
tables as the portal's page. Money is a string with two decimals (never a float), counts are integers."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from integrator.api import PROBLEMS
from reports.periods import period_from
from reports.selectors import REPORTS, report_of
from tenants.api_auth import scope_required


class FiguresColumnOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["text", "count", "money", "percent"])


class FiguresOut(serializers.Serializer):
    report = serializers.CharField(source="name")
    title = serializers.CharField()
    start = serializers.DateField(source="period.start", help_text=_("The first day counted (issue date)."))
    end = serializers.DateField(source="period.end", help_text=_("The last day counted."))
    granularity = serializers.CharField(source="period.granularity")
    columns = FiguresColumnOut(many=True)
    rows = serializers.SerializerMethodField(help_text=_("One object per row, keyed by the columns' keys; money and rates as decimal strings."))

    def get_rows(self, table) -> list[dict]:
        return [{key: f"{value:.2f}" if isinstance(value, Decimal) else value for key, value in row.items()} for row in table.rows]


class ReportApi(APIView):
    permission_classes = [scope_required("read")]

    @extend_schema(operation_id="report", responses={200: FiguresOut, **PROBLEMS}, parameters=[
        OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(REPORTS)),
        OpenApiParameter("from", OpenApiTypes.DATE, description="The first issue date counted; default: the first day of the month eleven months ago."),
        OpenApiParameter("to", OpenApiTypes.DATE, description="The last issue date counted; default: today (Istanbul)."),
        OpenApiParameter("granularity", OpenApiTypes.STR, enum=["month", "day"], description="Rows per month (default) or per day."),
    ])
    def get(self, request, name: str):
        if name not in REPORTS:
            raise exceptions.NotFound(_("No report is named %(name)s; there are %(names)s.") % {"name": name, "names": ", ".join(REPORTS)})
        period = period_from(request.query_params, today=timezone.localdate())
        table = report_of(tenant=request.auth.tenant, name=name, period=period)
        return Response(FiguresOut(table).data)
