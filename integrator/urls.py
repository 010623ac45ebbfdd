import uuid

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views
from delivery import apis as delivery
from earsiv import apis as earsiv
from envelopes.apis import RecipientApi
from envelopes.views import gib_service
from exports import apis as exports
from integrator.health import healthz
from invoices import apis as invoices
from reports.apis import ReportApi
from tenants.apis import MeApi, WebhookApi, WebhookDeliveriesApi, WebhooksApi
from uploads.apis import MoveInApi, MoveInsApi


class EttnConverter:
    """A UUID in either case: GİB writes ETTNs in upper case, Python in lower."""

    regex = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def to_python(self, value):
        return uuid.UUID(value)

    def to_url(self, value):
        return str(value).upper()


register_converter(EttnConverter, "ettn")
handler404 = "integrator.api.not_found"
handler500 = "integrator.api.server_error"


api_v1 = [
    path("me", MeApi.as_view(), name="api-me"),
    path("invoices", invoices.InvoicesApi.as_view(), name="api-invoices"),
    path("invoices/validate", invoices.InvoiceValidateApi.as_view(), name="api-invoices-validate"),
    path("invoices/<ettn:uuid>", invoices.InvoiceApi.as_view(), name="api-invoice"),
    path("invoices/<ettn:uuid>/xml", invoices.DocumentXmlApi.as_view(), name="api-invoice-xml"),
    path("invoices/<ettn:uuid>/html", invoices.DocumentHtmlApi.as_view(), name="api-invoice-html"),
    path("invoices/<ettn:uuid>/pdf", delivery.InvoicePdfApi.as_view(), name="api-invoice-pdf"),
    path("invoices/<ettn:uuid>/deliveries", delivery.DeliveriesApi.as_view(), name="api-invoice-deliveries"),
    path("invoices/<ettn:uuid>/cancel", earsiv.InvoiceCancelApi.as_view(), name="api-invoice-cancel"),
    path("invoices/<ettn:uuid>/objections", earsiv.InvoiceObjectionsApi.as_view(), name="api-invoice-objections"),
    path("earsiv/reports", earsiv.ReportsApi.as_view(), name="api-earsiv-reports"),
    path("earsiv/reports/<ettn:number>/xml", earsiv.ReportXmlApi.as_view(), name="api-earsiv-report-xml"),
    path("incoming", invoices.IncomingListApi.as_view(), name="api-incoming-list"),
    path("incoming/<ettn:uuid>", invoices.IncomingApi.as_view(), name="api-incoming"),
    path("incoming/<ettn:uuid>/xml", invoices.IncomingXmlApi.as_view(), name="api-incoming-xml"),
    path("incoming/<ettn:uuid>/html", invoices.IncomingHtmlApi.as_view(), name="api-incoming-html"),
    path("incoming/<ettn:uuid>/pdf", delivery.IncomingPdfApi.as_view(), name="api-incoming-pdf"),
    path("incoming/<ettn:uuid>/response", invoices.IncomingAnswerApi.as_view(), name="api-incoming-response"),
    path("move-ins", MoveInsApi.as_view(), name="api-move-ins"),
    path("move-ins/<int:upload_id>", MoveInApi.as_view(), name="api-move-in"),
    path("reports/<slug:name>", ReportApi.as_view(), name="api-report"),
    path("exports", exports.ExportsApi.as_view(), name="api-exports"),
    path("exports/<int:export_id>", exports.ExportApi.as_view(), name="api-export"),
    path("exports/<int:export_id>/zip", exports.ExportZipApi.as_view(), name="api-export-zip"),
    path("recipients/<str:identifier>", RecipientApi.as_view(), name="api-recipient"),
    path("webhooks", WebhooksApi.as_view(), name="api-webhooks"),
    path("webhooks/<int:webhook_id>", WebhookApi.as_view(), name="api-webhook"),
    path("webhooks/<int:webhook_id>/deliveries", WebhookDeliveriesApi.as_view(), name="api-webhook-deliveries"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("gib/services/EFatura", gib_service, name="gib-service"),  # where GİB pushes envelopes to us
    path("admin/login/", account_views.admin_login),  # the admin's login is the portal's, code step and all
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),  # before Django's: its own login page, with the code step
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("e/", include("delivery.urls")),  # the buyer's link
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("tenants.urls")),
]
if settings.GIB_HUB_ENABLED:
    urlpatterns.insert(0, path("gibhub/", include("gibhub.urls")))
if settings.SMS_GATEWAY_ENABLED:
    urlpatterns.insert(0, path(f"{settings.LOCAL_SMS_PATH}/", include("smsgateway.urls")))
