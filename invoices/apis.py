"""The REST API of invoices: out (issue, validate, list, read) and in (list, read, answer).

One view per operation, each with its own serializers; the work is done by services and selectors,
and every query is scoped to the tenant of the calling key."""

from __future__ import annotations

from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from archive.models import Event
from integrator.api import PAGE, PROBLEM, PROBLEMS, ApiProblem, Cursor, ProblemSerializer, paginated
from invoices import idempotency
from invoices.audit import invoice_event
from invoices.documents import invoice_xml
from invoices.models import Invoice
from invoices.payload import INVOICE_TYPES, PROFILES, InvoicePayloadSerializer
from invoices.selectors import InvoiceFilter, answer_state, invoice_get, invoices_of
from invoices.services import Draft, draft_from_payload, draft_from_xml, draft_preview
from invoices.status import Status
from pipeline.flow import draft_submit, invoice_answer
from schematron.validation import Report, localized
from tenants.api_auth import scope_required
from tenants.ledger import check_can_send

READ, SEND, RESPOND = scope_required("read"), scope_required("send"), scope_required("respond")
OUT, IN = Invoice.Direction.OUTGOING, Invoice.Direction.INCOMING


class XmlParser(BaseParser):
    """A UBL-TR document as it came: bytes, parsed later by the safe parser, never here."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class TextXmlParser(XmlParser):
    media_type = "text/xml"


class InvoiceInvalid(ApiProblem):
    code = "invoice_invalid"
    status = 422
    message = _("The invoice does not pass GİB's rules or ours; nothing was issued. See errors.")


def _issues(report: Report) -> list[dict]:
    return [_localized(e.as_dict()) for e in report.errors]


# --- output -------------------------------------------------------------------------------------


class EttnField(serializers.UUIDField):
    """An ETTN as the documents write it: upper case."""

    def to_representation(self, value):
        return super().to_representation(value).upper()


class PartyOut(serializers.Serializer):
    identifier = serializers.CharField(help_text=_("VKN or TCKN"))
    name = serializers.CharField()


class HistoryOut(serializers.Serializer):
    at = serializers.DateTimeField(source="created_at")
    from_status = serializers.CharField()
    status = serializers.CharField(source="to_status")
    code = serializers.CharField(help_text=_("GİB's status code (or KABUL/RED) when the move had one."))
    text = serializers.CharField()


class AnswerOut(serializers.Serializer):
    code = serializers.CharField(source="answer", help_text="KABUL | RED")
    reason = serializers.CharField(source="answer_reason")
    at = serializers.DateTimeField(source="answered_at")


class ValidationIssueOut(serializers.Serializer):
    layer = serializers.CharField(help_text="parse | xsd | gib | platform")
    rule = serializers.CharField()
    message = serializers.CharField(help_text=_("In the language of Accept-Language."))
    message_tr = serializers.CharField()
    message_en = serializers.CharField()
    xpath = serializers.CharField(allow_null=True)
    line = serializers.IntegerField(allow_null=True)


class InvoiceOut(serializers.Serializer):
    uuid = EttnField(help_text=_("The ETTN."))
    number = serializers.CharField()
    direction = serializers.ChoiceField(choices=Invoice.Direction.choices)
    profile = serializers.CharField()
    type = serializers.CharField(source="type_code")
    issue_date = serializers.DateField()
    currency = serializers.CharField()
    supplier = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    tax_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    payable_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    status = serializers.ChoiceField(choices=Status.choices)
    status_text = serializers.CharField(source="get_status_display")
    gib_code = serializers.IntegerField(allow_null=True, help_text=_("GİB's last status code for its envelope."))
    answer = serializers.SerializerMethodField(help_text=_("The receiver's KABUL/RED (outgoing) or ours (incoming)."))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(PartyOut)
    def get_supplier(self, invoice) -> dict:
        return {"identifier": invoice.supplier_identifier, "name": invoice.supplier_name}

    @extend_schema_field(PartyOut)
    def get_customer(self, invoice) -> dict:
        return {"identifier": invoice.customer_identifier, "name": invoice.customer_name}

    @extend_schema_field(AnswerOut(allow_null=True))
    def get_answer(self, invoice) -> dict | None:
        return AnswerOut(invoice).data if invoice.answer else None


class InvoiceDetailOut(InvoiceOut):
    channel = serializers.CharField(help_text="efatura | earsiv")
    routing_reason = serializers.CharField()
    routing_reason_text = serializers.CharField(source="get_routing_reason_display")
    receiver_alias = serializers.CharField()
    sender_alias = serializers.CharField()
    envelope = EttnField(source="envelope.uuid", allow_null=True, default=None)
    errors = serializers.SerializerMethodField(help_text=_("Why the invoice is INVALID, when it is."))
    history = HistoryOut(many=True, source="status_changes")
    links = serializers.SerializerMethodField()

    @extend_schema_field(ValidationIssueOut(many=True))
    def get_errors(self, invoice) -> list[dict]:
        # Stored with both languages and no "message": the caller's language is chosen per call.
        return ValidationIssueOut([_localized(e) for e in invoice.errors], many=True).data

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_links(self, invoice) -> dict:
        name = "api-invoice" if invoice.direction == OUT else "api-incoming"
        return {"xml": reverse(f"{name}-xml", args=[invoice.uuid]), "html": reverse(f"{name}-html", args=[invoice.uuid])}


class IncomingDetailOut(InvoiceDetailOut):
    answer_deadline = serializers.SerializerMethodField()
    answerable = serializers.SerializerMethodField(help_text=_("Whether KABUL/RED can still be given."))

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_answer_deadline(self, invoice):
        deadline = answer_state(invoice, timezone.now()).deadline
        return serializers.DateTimeField().to_representation(deadline) if deadline else None

    def get_answerable(self, invoice) -> bool:
        return answer_state(invoice, timezone.now()).open


def _localized(error: dict) -> dict:
    """A validation issue (as ``ValidationIssue.as_dict`` keeps it) with ``message`` in the caller's language."""
    return {"message": localized(error)} | error


# --- input ---------------------------------------------------------------------------------------


class ListQuery(serializers.Serializer):
    q = serializers.CharField(
        required=False, max_length=200, trim_whitespace=True,
        help_text=_("Words of the number, the ETTN, the other party's VKN/TCKN or name; each must be found. Turkish "
                    "letters fold as Turkish folds them: \"ŞİŞLİ\" finds \"şişli\"."),
    )
    status = serializers.MultipleChoiceField(choices=Status.choices, required=False, help_text=_("Repeat for several."))
    profile = serializers.ChoiceField(choices=PROFILES, required=False)
    type = serializers.ChoiceField(choices=INVOICE_TYPES, required=False)
    issued_from = serializers.DateField(required=False)
    issued_to = serializers.DateField(required=False)
    amount_min = serializers.DecimalField(max_digits=18, decimal_places=2, required=False, help_text=_("Of the payable amount."))
    amount_max = serializers.DecimalField(max_digits=18, decimal_places=2, required=False, help_text=_("Of the payable amount."))
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, help_text=_("ISO 4217, as TRY or EUR."))
    gib_code = serializers.IntegerField(min_value=0, max_value=9999, required=False, help_text=_("GİB's status code, as 1300."))

    def validate(self, data):
        for low, high in (("issued_from", "issued_to"), ("amount_min", "amount_max")):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                raise serializers.ValidationError({high: _("Must not be less than %(low)s.") % {"low": low}})
        return data

    def filters(self, party_field: str) -> InvoiceFilter:
        data = self.validated_data
        return InvoiceFilter(
            statuses=tuple(sorted(data.get("status", ()))),
            profile=data.get("profile", ""),
            type_code=data.get("type", ""),
            party=data.get(party_field, ""),
            search=data.get("q", ""),
            issued_from=data.get("issued_from"),
            issued_to=data.get("issued_to"),
            amount_min=data.get("amount_min"),
            amount_max=data.get("amount_max"),
            currency=data.get("currency", ""),
            gib_code=data.get("gib_code"),
            awaiting_answer=data.get("awaiting_answer"),
        )


class OutgoingQuery(ListQuery):
    customer = serializers.RegexField(r"^\d{10,11}$", required=False, help_text=_("The customer's VKN or TCKN."))


class IncomingQuery(ListQuery):
    supplier = serializers.RegexField(r"^\d{10,11}$", required=False, help_text=_("The supplier's VKN or TCKN."))
    awaiting_answer = serializers.BooleanField(required=False, allow_null=True, default=None)


def _query(serializer_class, request) -> serializers.Serializer:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query


IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, pattern=rf"^[ -~]{{1,{idempotency.MAX_KEY_LENGTH}}}$",  # visible ASCII
    description=_("Repeating a POST with the same key and body returns the same invoice; another body with it is a 409."),
)
XML_QUERY = [
    OpenApiParameter("receiver_alias", str, description=_("For an XML body: the customer's postbox (by default its main one).")),
    OpenApiParameter("series", str, description=_("For an XML body: the 3-character prefix of the series to number from.")),
]
ACCEPTED_BODIES = {"application/json": InvoicePayloadSerializer, "application/xml": OpenApiTypes.BINARY}


def _draft(request) -> Draft:
    """The draft an invoice body makes: the documented JSON payload, or a UBL-TR XML document."""
    tenant = request.auth.tenant
    if isinstance(request.data, bytes):
        query = request.query_params
        return draft_from_xml(tenant=tenant, xml=request.data, receiver_alias=query.get("receiver_alias", ""), series=query.get("series", ""))
    return draft_from_payload(tenant=tenant, data=request.data)


# --- invoices out -----------------------------------------------------------------------------


class InvoiceCursor(Cursor):
    """Newest issue date first, the newest row first within a day: the order the (tenant, issue date)
    index reads, so a period's page comes from the period, not from a walk over all the tenant's invoices."""

    ordering = ("-issue_date", "-id")


class InvoicesApi(APIView):
    parser_classes = [JSONParser, XmlParser, TextXmlParser]
    pagination_class = InvoiceCursor  # the schema reads its page and parameters from here

    def get_permissions(self):
        return [SEND() if self.request.method == "POST" else READ()]

    @extend_schema(operation_id="invoices_list", parameters=[OutgoingQuery], responses={PAGE: InvoiceOut(many=True), **PROBLEMS})
    def get(self, request):
        filters = _query(OutgoingQuery, request).filters("customer")
        return paginated(self, invoices_of(tenant=request.auth.tenant, direction=OUT, filters=filters), InvoiceOut)

    @extend_schema(
        operation_id="invoices_create", request=ACCEPTED_BODIES, parameters=[IDEMPOTENCY, *XML_QUERY],
        responses={201: InvoiceDetailOut, **PROBLEMS, (402, PROBLEM): OpenApiResponse(
            ProblemSerializer, description="no credits left to send an e-Fatura invoice with (code insufficient_credits)")},
        description=_("Issue an invoice: numbered from the tenant's series, then validated, sealed and sent (or kept as "
                      "e-Arşiv) in the background. It is validated before a number is taken: an invalid one is a 422 and "
                      "issues nothing. An e-Fatura invoice of a tenant with no credit left is a 402 (insufficient_credits) "
                      "and issues nothing."),
    )
    def post(self, request):
        key = request.headers.get("Idempotency-Key", "")
        stamp = idempotency.fingerprint(request.content_type or "", request.META.get("QUERY_STRING", ""), request.body)
        invoice, replayed = idempotency.idempotent(tenant=request.auth.tenant, key=key, fingerprint=stamp, make=lambda: _issue(request))
        prefetch_related_objects([invoice], "status_changes")  # the invoice as issued (or found): its history is all it lacks
        response = Response(InvoiceDetailOut(invoice).data, status=status.HTTP_201_CREATED)
        response["Location"] = reverse("api-invoice", args=[invoice.uuid])
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


def _issue(request) -> Invoice:
    draft = _draft(request)
    report = draft_preview(draft=draft)
    if not report.valid:
        raise InvoiceInvalid(errors=_issues(report))
    if draft.decision.channel == Invoice.Channel.EFATURA:
        check_can_send(tenant=request.auth.tenant)  # it would only wait: say so now, issue nothing
    return draft_submit(tenant=request.auth.tenant, draft=draft)


class ReportOut(serializers.Serializer):
    valid = serializers.BooleanField()
    doc_type = serializers.CharField(allow_null=True, help_text="efatura | earchive")
    profile = serializers.CharField(help_text=_("The profile it would have: EARSIVFATURA for a customer not on GİB's list."))
    channel = serializers.CharField()
    receiver_alias = serializers.CharField()
    errors = ValidationIssueOut(many=True)


class InvoiceValidateApi(APIView):
    parser_classes = [JSONParser, XmlParser, TextXmlParser]
    permission_classes = [READ]

    @extend_schema(operation_id="invoices_validate", request=ACCEPTED_BODIES, parameters=XML_QUERY,
                   responses={200: ReportOut, **PROBLEMS},
                   description=_("The full validation report (schema, GİB's schematron, our rules) of an invoice, issuing nothing."))
    def post(self, request):
        draft = _draft(request)
        report = draft_preview(draft=draft)
        return Response({
            "valid": report.valid, "doc_type": report.doc_type, "profile": draft.document.profile,
            "channel": draft.decision.channel, "receiver_alias": draft.decision.alias, "errors": _issues(report),
        })


def _found(request, direction: str, uuid) -> Invoice:
    invoice = invoice_get(tenant=request.auth.tenant, direction=direction, uuid=uuid)
    if invoice is None:
        raise exceptions.NotFound(_("No invoice with this ETTN."))
    return invoice


class InvoiceApi(APIView):
    permission_classes = [READ]

    @extend_schema(operation_id="invoices_read", responses={200: InvoiceDetailOut, **PROBLEMS})
    def get(self, request, uuid):
        return Response(InvoiceDetailOut(_found(request, OUT, uuid)).data)


class DocumentXmlApi(APIView):
    """The UBL-TR document itself: the sealed XML once sealed."""

    permission_classes = [READ]
    direction = OUT

    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY, **PROBLEMS})
    def get(self, request, uuid):
        invoice = _found(request, self.direction, uuid)
        invoice_event(request, invoice, Event.Action.DOWNLOADED, "XML")
        response = HttpResponse(invoice_xml(invoice), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.xml"'
        return response


class DocumentHtmlApi(APIView):
    """The invoice shown through its own XSLT, as GİB's viewers show it. It may come from a stranger
    (incoming), so the page may run nothing and load nothing."""

    permission_classes = [READ]
    direction = OUT

    @extend_schema(responses={(200, "text/html"): OpenApiTypes.STR, **PROBLEMS})
    def get(self, request, uuid):
        from invoices.display import render_html, sandboxed  # lxml's XSLT machinery, only when shown

        invoice = _found(request, self.direction, uuid)
        html = render_html(xml=invoice_xml(invoice))
        invoice_event(request, invoice, Event.Action.VIEWED, "HTML")
        return sandboxed(html)


# --- invoices in ---------------------------------------------------------------------------------


class IncomingXmlApi(DocumentXmlApi):
    direction = IN


class IncomingHtmlApi(DocumentHtmlApi):
    direction = IN


class IncomingListApi(APIView):
    permission_classes = [READ]
    pagination_class = InvoiceCursor

    @extend_schema(operation_id="incoming_list", parameters=[IncomingQuery], responses={PAGE: InvoiceOut(many=True), **PROBLEMS})
    def get(self, request):
        filters = _query(IncomingQuery, request).filters("supplier")
        return paginated(self, invoices_of(tenant=request.auth.tenant, direction=IN, filters=filters), InvoiceOut)


class IncomingApi(APIView):
    permission_classes = [READ]

    @extend_schema(operation_id="incoming_read", responses={200: IncomingDetailOut, **PROBLEMS})
    def get(self, request, uuid):
        return Response(IncomingDetailOut(_found(request, IN, uuid)).data)


class AnswerIn(serializers.Serializer):
    code = serializers.ChoiceField(choices=["KABUL", "RED"])
    reason = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)

    def validate(self, data):
        if data["code"] == "RED" and not data["reason"].strip():
            raise serializers.ValidationError({"reason": _("A RED answer needs its reason.")})
        return data


class IncomingAnswerApi(APIView):
    permission_classes = [RESPOND]

    @extend_schema(operation_id="incoming_answer", request=AnswerIn, responses={200: IncomingDetailOut, **PROBLEMS},
                   description=_("Accept (KABUL) or reject (RED, with a reason) an incoming TICARIFATURA within 8 days of receipt."))
    def post(self, request, uuid):
        _found(request, IN, uuid)
        answer = AnswerIn(data=request.data)
        answer.is_valid(raise_exception=True)
        invoice_answer(tenant=request.auth.tenant, invoice_uuid=uuid, code=answer.validated_data["code"], reason=answer.validated_data["reason"])
        invoice = _found(request, IN, uuid)
        invoice_event(request, invoice, Event.Action.ANSWERED, answer.validated_data["code"])
        return Response(IncomingDetailOut(invoice).data)
