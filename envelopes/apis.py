"""What an ERP asks before invoicing: is this VKN/TCKN a registered e-Fatura user, and where does
its e-Fatura go. Read from GİB's registered-user list as last imported."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from directory.lookup import registered_user
from integrator.api import ApiProblem
from invoices.apis import PROBLEMS, READ
from tenants.identifiers import validate_tax_identifier


class IdentifierInvalid(ApiProblem):
    code = "identifier_invalid"
    status = 400
    message = _("%(reason)s")


class AliasOut(serializers.Serializer):
    kind = serializers.CharField(help_text=_("PK: a postbox that receives; GB: a sender unit."))
    name = serializers.CharField()
    document_type = serializers.CharField()
    created_at = serializers.DateTimeField()


class RecipientOut(serializers.Serializer):
    identifier = serializers.CharField()
    registered = serializers.BooleanField(help_text=_("On GİB's registered-user list: invoices to it go as e-Fatura, else as e-Arşiv."))
    title = serializers.CharField(allow_null=True)
    type = serializers.CharField(allow_null=True, help_text="OZEL | KAMU")
    account_type = serializers.CharField(allow_null=True)
    registered_since = serializers.DateTimeField(allow_null=True)
    aliases = AliasOut(many=True, help_text=_("Its active aliases; an invoice goes to a PK alias."))


IDENTIFIER = OpenApiParameter("identifier", str, OpenApiParameter.PATH, pattern=r"^\d{10,11}$",
                              description=_("A VKN (10 digits) or TCKN (11); its check digits are checked too (400)."))


class RecipientApi(APIView):
    permission_classes = [READ]

    @extend_schema(operation_id="recipients_read", responses={200: RecipientOut, **PROBLEMS}, parameters=[IDENTIFIER])
    def get(self, request, identifier: str):
        try:
            validate_tax_identifier(identifier)
        except ValidationError as exc:
            raise IdentifierInvalid(reason=" ".join(exc.messages)) from None
        user = registered_user(identifier)
        if user is None:
            data = {"identifier": identifier, "registered": False, "title": None, "type": None, "account_type": None,
                    "registered_since": None, "aliases": []}
        else:
            data = {"identifier": identifier, "registered": True, "title": user.title, "type": user.type or None,
                    "account_type": user.account_type or None, "registered_since": user.first_created_at,
                    "aliases": user.active_aliases}
        return Response(RecipientOut(data).data)
