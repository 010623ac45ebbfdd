"""The REST API of exports: ask for a period's ZIP, follow its progress, download it.

Every query is scoped to the tenant of the calling key: another tenant's export is a 404."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from archive.audit import request_event
from archive.handover import handover_open
from archive.models import Event
from archive.storage import CHUNK
from exports.forms import MOST_TICKED
from exports.models import Export
from exports.services import export_get, exports_of
from exports.tasks import export_ask
from integrator.api import PAGE, PROBLEMS, Cursor, paginated
from invoices.models import Invoice
from tenants.api_auth import scope_required

READ = scope_required("read")


class ExportIn(serializers.Serializer):
    period_from = serializers.DateField(required=False, help_text=_("The first issue date of the period."))
    period_to = serializers.DateField(required=False, help_text=_("The last issue date of the period."))
    uuids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=MOST_TICKED,
                                  help_text=_("Instead of a period: these invoices (ETTNs), of the direction given."))
    direction = serializers.ChoiceField(choices=Invoice.Direction.choices, required=False, default="",
                                        help_text=_("out or in: the direction of the invoices named by uuids (both when absent)."))
    contents = serializers.ChoiceField(choices=Export.Contents.choices, required=False, default=Export.Contents.ARCHIVE,
                                       help_text=_("archive (the signed documents, answers and envelopes), xml, pdf or both."))

    def validate(self, data):
        if data.get("uuids"):
            return data
        if "period_from" not in data or "period_to" not in data:
            raise serializers.ValidationError(_("Give a period (period_from and period_to) or the invoices (uuids)."))
        if data["period_to"] < data["period_from"]:
            raise serializers.ValidationError({"period_to": _("The period ends before it starts.")})
        return data


class ExportOut(serializers.ModelSerializer):
    percent = serializers.IntegerField(help_text=_("How much is built, 0 to 100."))
    download = serializers.SerializerMethodField(help_text=_("Where the ZIP is, once ready."))

    class Meta:
        model = Export
        fields = ["id", "period_from", "period_to", "contents", "state", "total", "done", "percent", "size", "sha256", "error",
                  "created_at", "finished_at", "expires_at", "download"]

    def get_download(self, export) -> str | None:
        if export.state != Export.State.READY:
            return None
        return reverse("api-export-zip", args=[export.id])


def _export(request, export_id: int) -> Export:
    export = export_get(tenant=request.auth.tenant, export_id=export_id)
    if export is None:
        raise exceptions.NotFound(_("No export with this id."))
    return export


class ExportsApi(APIView):
    permission_classes = [READ]
    pagination_class = Cursor

    @extend_schema(operation_id="exports_list", responses={PAGE: ExportOut(many=True), **PROBLEMS})
    def get(self, request):
        return paginated(self, exports_of(tenant=request.auth.tenant), ExportOut)

    @extend_schema(
        operation_id="exports_create", request=ExportIn, responses={202: ExportOut, **PROBLEMS},
        description=_("Ask for every document of a period (by issue date) as one ZIP: the signed invoices as sent or received, "
                      "their answers and envelopes, an index (CSV and XLSX) and manifest.sha256; or, with uuids and contents "
                      "xml, pdf or both, the XML and PDFs of those invoices. It is built in the background: "
                      "follow it at its Location."),
    )
    def post(self, request):
        data = ExportIn(data=request.data)
        data.is_valid(raise_exception=True)
        export = export_ask(tenant=request.auth.tenant, via="api", **data.validated_data)
        audit(request, export, Event.Action.EXPORTED)
        export.refresh_from_db()  # built already when tasks run in-process
        response = Response(ExportOut(export).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = reverse("api-export", args=[export.id])
        return response


class ExportApi(APIView):
    permission_classes = [READ]

    @extend_schema(operation_id="exports_read", responses={200: ExportOut, **PROBLEMS})
    def get(self, request, export_id: int):
        return Response(ExportOut(_export(request, export_id)).data)


def zip_response(export: Export) -> StreamingHttpResponse:
    """The export's ZIP, streamed from where it was handed over (never read whole into memory)."""
    stream = handover_open(export.file_key)

    def chunks():
        with stream:
            yield from iter(lambda: stream.read(CHUNK), b"")

    response = StreamingHttpResponse(chunks(), content_type="application/zip")
    response["Content-Length"] = str(export.size)
    response["Content-Disposition"] = content_disposition_header(True, export.file_name())
    response["Digest"] = f"sha-256={export.sha256}"
    return response


class ExportZipApi(APIView):
    permission_classes = [READ]

    @extend_schema(operation_id="exports_download", responses={(200, "application/zip"): OpenApiTypes.BINARY, **PROBLEMS})
    def get(self, request, export_id: int):
        export = _export(request, export_id)
        if export.state != Export.State.READY:
            raise exceptions.NotFound(_("The export is %(state)s; there is no ZIP to download.") % {"state": export.get_state_display()})
        audit(request, export, Event.Action.EXPORT_DOWNLOADED)
        return zip_response(export)


def audit(request, export: Export, action: str) -> None:
    request_event(request, tenant=export.tenant, action=action, subject=("export", export.id),
                  detail=f"{export.period_from.isoformat()}…{export.period_to.isoformat()}" if export.period_from
                  else f"{export.described()}, {export.contents}")
