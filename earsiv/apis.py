"""The REST API of e-Arşiv: cancel an invoice, record a buyer's objection, and the tenant's reports.
One view per operation; the work is the services', every query scoped to the calling key's tenant."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from archive.services import document_bytes
from earsiv import selectors
from earsiv.models import Objection, Report
from earsiv.services import invoice_cancel, objection_record
from integrator.api import PROBLEMS
from tenants.api_auth import scope_required

READ, SEND = scope_required("read"), scope_required("send")


def _by(request) -> str:
    return f"api:{request.auth.prefix}"


class EttnOut(serializers.UUIDField):
    def to_representation(self, value):
        return super().to_representation(value).upper()


class CancelIn(serializers.Serializer):
    date = serializers.DateField(help_text=_("The cancellation date (iptalTarihi): not before the issue date, not after today."))
    reason = serializers.CharField(max_length=500, trim_whitespace=True)


class CancellationOut(serializers.Serializer):
    invoice = EttnOut(source="invoice.uuid")
    number = serializers.CharField(source="invoice.number")
    date = serializers.DateField(source="day")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class InvoiceCancelApi(APIView):
    permission_classes = [SEND]

    @extend_schema(operation_id="invoices_cancel", request=CancelIn, responses={201: CancellationOut, **PROBLEMS},
                   description=_("Cancel an e-Arşiv invoice: it stays archived and its number used; GİB learns of it in the "
                                 "tenant's next e-Arşiv report (faturaIptal). An e-Fatura cannot be cancelled (409 "
                                 "efatura_not_cancellable: issue a return invoice, IADE); a second cancellation is a 409 "
                                 "already_cancelled."))
    def post(self, request, uuid):
        body = CancelIn(data=request.data)
        body.is_valid(raise_exception=True)
        cancellation = invoice_cancel(tenant=request.auth.tenant, uuid=uuid, day=body.validated_data["date"],
                                      reason=body.validated_data["reason"], by=_by(request))
        return Response(CancellationOut(cancellation).data, status=status.HTTP_201_CREATED)


class ObjectionIn(serializers.Serializer):
    method = serializers.ChoiceField(choices=Objection.Method.choices, help_text="KEP | NOTER | TELGRAF | TAAHHUTLU_MEKTUP")
    document_number = serializers.CharField(max_length=100, trim_whitespace=True, help_text=_("The objection document's number."))
    document_date = serializers.DateField(help_text=_("The objection document's date."))
    description = serializers.CharField(max_length=255, trim_whitespace=True)


class ObjectionOut(serializers.Serializer):
    id = serializers.IntegerField()
    invoice = EttnOut(source="invoice.uuid")
    number = serializers.CharField(source="invoice.number")
    method = serializers.CharField()
    document_number = serializers.CharField()
    document_date = serializers.DateField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()


class InvoiceObjectionsApi(APIView):
    def get_permissions(self):
        return [SEND() if self.request.method == "POST" else READ()]

    @extend_schema(operation_id="invoices_objections", responses={200: ObjectionOut(many=True), **PROBLEMS})
    def get(self, request, uuid):
        invoice = selectors.earsiv_invoice(tenant=request.auth.tenant, uuid=uuid)
        if invoice is None:
            raise exceptions.NotFound(_("No invoice with this ETTN."))
        return Response(ObjectionOut(invoice.objections.order_by("id"), many=True).data)

    @extend_schema(operation_id="invoices_objection_record", request=ObjectionIn, responses={201: ObjectionOut, **PROBLEMS},
                   description=_("Record a buyer's objection to an e-Arşiv invoice (faturaItiraz), reported to GİB in the "
                                 "tenant's next e-Arşiv report."))
    def post(self, request, uuid):
        body = ObjectionIn(data=request.data)
        body.is_valid(raise_exception=True)
        objection = objection_record(tenant=request.auth.tenant, uuid=uuid, by=_by(request), **body.validated_data)
        return Response(ObjectionOut(objection).data, status=status.HTTP_201_CREATED)


class EarsivReportOut(serializers.Serializer):
    number = EttnOut(help_text=_("raporNo"))
    day = serializers.DateField()
    part = serializers.IntegerField()
    parts = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Report.State.choices)
    gib_code = serializers.CharField()
    gib_text = serializers.CharField()
    tries = serializers.IntegerField()
    invoices = serializers.IntegerField()
    cancellations = serializers.IntegerField()
    objections = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class ReportsApi(APIView):
    permission_classes = [READ]

    @extend_schema(operation_id="earsiv_reports", responses={200: EarsivReportOut(many=True), **PROBLEMS})
    def get(self, request):
        return Response(EarsivReportOut(selectors.reports_of(tenant=request.auth.tenant)[:200], many=True).data)


class ReportXmlApi(APIView):
    permission_classes = [READ]

    @extend_schema(operation_id="earsiv_report_xml", responses={(200, "application/xml"): OpenApiTypes.BINARY, **PROBLEMS})
    def get(self, request, number):
        report = selectors.report_get(tenant=request.auth.tenant, number=number)
        if report is None or report.document is None:
            raise exceptions.NotFound(_("No e-Arşiv report with this number."))
        response = HttpResponse(document_bytes(report.document), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{str(report.number).upper()}.xml"'
        return response
