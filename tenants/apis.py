from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.api_auth import HasApiKey
from tenants.selectors import aliases_of


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

        def get_aliases(self, api_key):
            return [{"kind": a.kind, "name": a.name} for a in aliases_of(tenant=api_key.tenant)]

    def get(self, request):
        return Response(self.OutputSerializer(request.auth).data)
