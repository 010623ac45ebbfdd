from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from envelopes.views import gib_service
from integrator.health import healthz
from tenants.apis import MeApi

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("gib/services/EFatura", gib_service, name="gib-service"),  # where GİB pushes envelopes to us
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/me", MeApi.as_view(), name="api-me"),
    path("", include("tenants.urls")),
]
if settings.GIB_HUB_ENABLED:
    urlpatterns.insert(0, path("gibhub/", include("gibhub.urls")))
