from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from tenants.api_keys import api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <key>``. The request's user is None; ``request.auth`` is the key,
    and ``request.auth.tenant`` the tenant every query of the call is scoped to."""

    keyword = "Api-Key"

    def authenticate(self, request):
        keyword, _sep, raw_key = authentication.get_authorization_header(request).decode("latin-1").partition(" ")
        if keyword != self.keyword:
            return None
        api_key = api_key_authenticate(raw_key=raw_key.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("The API key is unknown, revoked or expired."))
        return (None, api_key)

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "`Api-Key <key>`: a tenant's key, made in the portal; scopes read, send, respond.",
        }


class HasApiKey(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.auth is not None


def scope_required(scope: str) -> type[permissions.BasePermission]:
    class HasScope(HasApiKey):
        @property
        def message(self):
            return _("This API key lacks the %(scope)s scope.") % {"scope": scope}

        def has_permission(self, request, view):
            return super().has_permission(request, view) and scope in request.auth.scopes

    return HasScope
