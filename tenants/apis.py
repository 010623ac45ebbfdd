from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from integrator.api import PAGE, PROBLEMS, Cursor, paginated
from tenants.api_auth import HasApiKey, scope_required
from tenants.models import Webhook
from tenants.selectors import aliases_of
from tenants.webhooks import EVENTS, webhook_create, webhook_delete, webhooks_of


class MeApi(APIView):
    """Who am I: the tenant and key behind the call."""

    permission_classes = [HasApiKey]

    class OutputSerializer(serializers.Serializer):
        identifier = serializers.CharField(source="tenant.identifier")
        name = serializers.CharField(source="tenant.display_name")
        efatura_registered = serializers.BooleanField(source="tenant.efatura_registered")
        key_prefix = serializers.CharField(source="prefix")
        scopes = serializers.ListField(child=serializers.CharField())
        aliases = serializers.SerializerMethodField()

        @extend_schema_field(serializers.ListField(child=serializers.DictField(child=serializers.CharField())))
        def get_aliases(self, api_key):
            return [{"kind": a.kind, "name": a.name} for a in aliases_of(tenant=api_key.tenant)]

    @extend_schema(operation_id="me_read", responses={200: OutputSerializer, **PROBLEMS})
    def get(self, request):
        return Response(self.OutputSerializer(request.auth).data)


class WebhookOut(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENTS), help_text=_("Empty: every event."))
    enabled = serializers.BooleanField(help_text=_("False while paused in the portal: told nothing new until enabled again."))
    created_at = serializers.DateTimeField()


class WebhookCreatedOut(WebhookOut):
    secret = serializers.CharField(help_text=_("Signs every delivery (Webhook-Signature). Shown only now: keep it."))


class WebhookIn(serializers.Serializer):
    url = serializers.CharField(max_length=1000)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENTS), required=False, default=list)


class WebhooksApi(APIView):
    """A tenant's webhooks: every status change of its invoices and every invoice it receives, POSTed
    and signed (see the README for the signature)."""

    def get_permissions(self):
        return [scope_required("send" if self.request.method == "POST" else "read")()]

    @extend_schema(operation_id="webhooks_list", responses={200: WebhookOut(many=True), **PROBLEMS})
    def get(self, request):
        return Response(WebhookOut(webhooks_of(tenant=request.auth.tenant), many=True).data)

    @extend_schema(operation_id="webhooks_create", request=WebhookIn, responses={201: WebhookCreatedOut, **PROBLEMS})
    def post(self, request):
        given = WebhookIn(data=request.data)
        given.is_valid(raise_exception=True)
        webhook, secret = webhook_create(tenant=request.auth.tenant, **given.validated_data)
        return Response(WebhookCreatedOut(webhook).data | {"secret": secret}, status=201)


def _webhook(request, webhook_id: int) -> Webhook:
    webhook = webhooks_of(tenant=request.auth.tenant).filter(id=webhook_id).first()
    if webhook is None:
        raise exceptions.NotFound(_("No webhook with this id."))
    return webhook


class WebhookApi(APIView):
    def get_permissions(self):
        return [scope_required("send" if self.request.method == "DELETE" else "read")()]

    @extend_schema(operation_id="webhooks_delete", responses={204: None, **PROBLEMS})
    def delete(self, request, webhook_id: int):
        webhook_delete(webhook=_webhook(request, webhook_id))
        return Response(status=204)


class AttemptOut(serializers.Serializer):
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    duration_ms = serializers.IntegerField()


class DeliveryOut(serializers.Serializer):
    event_id = serializers.UUIDField()
    event = serializers.CharField()
    state = serializers.CharField(help_text="pending | delivered | failed")
    attempts = AttemptOut(many=True, source="attempt_log.all")
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)


class WebhookDeliveriesApi(APIView):
    permission_classes = [scope_required("read")]
    pagination_class = Cursor  # the schema reads its page and parameters from here

    @extend_schema(operation_id="webhooks_deliveries", responses={PAGE: DeliveryOut(many=True), **PROBLEMS})
    def get(self, request, webhook_id: int):
        deliveries = _webhook(request, webhook_id).deliveries.prefetch_related("attempt_log")
        return paginated(self, deliveries, DeliveryOut)
