"""The REST API of moving in: a former integrator's signed invoices sent as files (XML or ZIPs of
them), moved in by a worker as the portal's "Move in" page does, and followed file by file.

Every query is scoped to the tenant of the calling key: another tenant's move-in is a 404."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from archive.audit import request_event
from archive.models import Event
from integrator.api import PAGE, PROBLEMS, Cursor, paginated
from integrator.errors import DomainError
from invoices.portal_forms import MoveInForm
from schematron.validation import localized
from tenants.api_auth import scope_required
from uploads.models import Upload, UploadFile
from uploads.services import DONE, upload_counts, upload_get, uploads_of
from uploads.tasks import upload_start

SEND = scope_required("send")


class MoveInFileOut(serializers.ModelSerializer):
    already_here = serializers.BooleanField(source="duplicate", help_text=_("The invoice was here already and is left as it is."))
    direction = serializers.SerializerMethodField(help_text=_("out or in, once the invoice is known."))
    reasons = serializers.SerializerMethodField(help_text=_("Why it was refused, in the language asked for."))

    class Meta:
        model = UploadFile
        fields = ["position", "name", "state", "already_here", "number", "uuid", "direction", "reasons"]

    def get_direction(self, file) -> str:
        return file.invoice.direction if file.invoice_id else ""

    def get_reasons(self, file) -> list[str]:
        return [] if file.duplicate else [localized(error) for error in file.errors]


class MoveInOut(serializers.ModelSerializer):
    done = serializers.SerializerMethodField(help_text=_("Files done: moved in, here already or refused."))
    counts = serializers.SerializerMethodField(help_text=_("Files by state, and those here already."))

    class Meta:
        model = Upload
        fields = ["id", "state", "total", "done", "counts", "names", "created_at", "finished_at"]

    def get_counts(self, upload) -> dict:
        counts = upload_counts(upload)
        return {"waiting": counts["waiting"], "moved_in": counts["moved_in"], "already_here": counts["duplicates"],
                "refused": counts["refused"] - counts["duplicates"]}

    def get_done(self, upload) -> int:
        counts = upload_counts(upload)
        return sum(counts[state] for state in DONE)


class MoveInDetailOut(MoveInOut):
    files = serializers.SerializerMethodField()

    class Meta(MoveInOut.Meta):
        fields = [*MoveInOut.Meta.fields, "files"]

    def get_files(self, upload) -> list[dict]:
        files = UploadFile.objects.filter(upload=upload).order_by("position").defer("data", "payload").select_related("invoice")
        return MoveInFileOut(files, many=True).data


def _move_in(request, upload_id: int) -> Upload:
    upload = upload_get(tenant=request.auth.tenant, upload_id=upload_id)
    if upload is None or upload.purpose != Upload.Purpose.MOVE_IN:
        raise exceptions.NotFound(_("No move-in with this id."))
    return upload


class MoveInsApi(APIView):
    permission_classes = [SEND]
    pagination_class = Cursor
    parser_classes = [MultiPartParser]

    @extend_schema(operation_id="move_ins_list", responses={PAGE: MoveInOut(many=True), **PROBLEMS})
    def get(self, request):
        return paginated(self, uploads_of(tenant=request.auth.tenant, purpose=Upload.Purpose.MOVE_IN), MoveInOut)

    @extend_schema(
        operation_id="move_ins_create", request={"multipart/form-data": {"type": "object", "properties": {
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}}},
        responses={202: MoveInOut, **PROBLEMS},
        description=_("Move in signed invoices from another integrator, outgoing and incoming: one or more files (form field "
                      "files), each an invoice's XML or a ZIP of them. Each seal is verified and each invoice archived exactly "
                      "as it came, never issued, numbered or sent again. A worker moves them in: follow it at its Location."),
    )
    def post(self, request):
        form = MoveInForm(files=request.FILES)
        if not form.is_valid():
            raise exceptions.ValidationError({"files": form.errors["files"]})
        try:
            upload = upload_start(tenant=request.auth.tenant, user=None, purpose=Upload.Purpose.MOVE_IN,
                                  sources=[(file.name, file.read()) for file in form.cleaned_data["files"]])
        except DomainError as exc:
            raise exceptions.ValidationError({"files": [str(exc)]}) from None
        request_event(request, tenant=request.auth.tenant, action=Event.Action.MOVED_IN, subject=("upload", upload.id),
                      detail=", ".join(upload.names)[:500])
        upload.refresh_from_db()  # done already when tasks run in-process
        response = Response(MoveInOut(upload).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = reverse("api-move-in", args=[upload.id])
        return response


class MoveInApi(APIView):
    permission_classes = [SEND]

    @extend_schema(operation_id="move_ins_read", responses={200: MoveInDetailOut, **PROBLEMS})
    def get(self, request, upload_id: int):
        return Response(MoveInDetailOut(_move_in(request, upload_id)).data)

