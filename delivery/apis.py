"""The REST API of delivery: an invoice's PDF (out and in), and its deliveries to the buyer (listed,
and asked for: ``{"email": …}`` or ``{"sms": …}``). Scoped to the calling key's tenant: another
tenant's ETTN is a 404."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from archive.audit import request_event
from archive.models import Event
from archive.services import document_bytes
from delivery import services
from delivery.models import Attempt, Delivery
from delivery.tasks import delivery_send
from integrator.api import PROBLEMS
from invoices.audit import invoice_event
from invoices.models import Invoice
from invoices.selectors import invoice_get
from tenants.api_auth import scope_required

READ, SEND = scope_required("read"), scope_required("send")
OUT, IN = Invoice.Direction.OUTGOING, Invoice.Direction.INCOMING


def _found(request, direction: str, uuid) -> Invoice:
    invoice = invoice_get(tenant=request.auth.tenant, direction=direction, uuid=uuid)
    if invoice is None:
        raise exceptions.NotFound(_("No invoice with this ETTN."))
    return invoice


class InvoicePdfApi(APIView):
    """The invoice as a PDF, drawn through its own XSLT with GİB's karekod: made once, then the same
    bytes every time."""

    permission_classes = [READ]
    direction = OUT

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY, **PROBLEMS})
    def get(self, request, uuid):
        invoice = _found(request, self.direction, uuid)
        pdf = services.pdf_document(invoice=invoice)
        invoice_event(request, invoice, Event.Action.DOWNLOADED, "PDF")
        response = HttpResponse(document_bytes(pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
        return response


class IncomingPdfApi(InvoicePdfApi):
    direction = IN


class DeliveryAttemptOut(serializers.Serializer):
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    to = serializers.CharField(source="address")
    result = serializers.ChoiceField(choices=Attempt.Result.choices, allow_blank=True)
    code = serializers.CharField(help_text=_("The SMTP reply code, or the SMS provider's."))
    reply = serializers.CharField()


class InvoiceDeliveryOut(serializers.Serializer):
    id = serializers.IntegerField()
    channel = serializers.ChoiceField(choices=Delivery.Channel.choices)
    to = serializers.CharField(source="address")
    origin = serializers.ChoiceField(choices=Delivery.Origin.choices)
    state = serializers.ChoiceField(choices=Delivery.State.choices)
    attempts = DeliveryAttemptOut(source="tries", many=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class InvoiceDeliveryIn(serializers.Serializer):
    email = serializers.CharField(required=False, max_length=254, help_text=_("An e-mail address."))
    sms = serializers.CharField(required=False, max_length=30, help_text=_("A Turkish mobile number."))

    def validate(self, data):
        if bool(data.get("email")) == bool(data.get("sms")):
            raise serializers.ValidationError(_("Give exactly one of email and sms."))
        return data


class DeliveriesApi(APIView):
    """An outgoing invoice's deliveries to its buyer, each with its tries; and one more, asked for."""

    permission_classes = [READ]

    def get_permissions(self):
        return [SEND()] if self.request.method == "POST" else [READ()]

    @extend_schema(operation_id="invoice_deliveries", responses={200: InvoiceDeliveryOut(many=True), **PROBLEMS})
    def get(self, request, uuid):
        invoice = _found(request, OUT, uuid)
        return Response(InvoiceDeliveryOut(invoice.deliveries.prefetch_related("tries"), many=True).data)

    @extend_schema(operation_id="invoice_deliver", request=InvoiceDeliveryIn, responses={202: InvoiceDeliveryOut, **PROBLEMS})
    def post(self, request, uuid):
        invoice = _found(request, OUT, uuid)
        data = InvoiceDeliveryIn(data=request.data)
        data.is_valid(raise_exception=True)
        channel = Delivery.Channel.EMAIL if data.validated_data.get("email") else Delivery.Channel.SMS
        with transaction.atomic():
            delivery = services.delivery_request(invoice=invoice, channel=channel, address=data.validated_data.get(channel))
            request_event(request, tenant=invoice.tenant, action=Event.Action.SENT, subject=("invoice", invoice.uuid),
                          detail=f"{invoice.number} {delivery.get_channel_display()} {delivery.address}")
            transaction.on_commit(lambda: delivery_send.delay(delivery.id))
        return Response(InvoiceDeliveryOut(delivery).data, status=status.HTTP_202_ACCEPTED)
