from django.urls import include, path, register_converter

from delivery import views as delivery_views
from earsiv import views as earsiv_views
from exports import views as export_views
from invoices import views as invoice_views
from pipeline import views as form_views
from reports import views as report_views
from tenants import views


class DirectionConverter:
    """An invoice's direction in its URL: ``out`` (ours) or ``in`` (the inbox)."""

    regex = "out|in"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(DirectionConverter, "direction")

INVOICE = "t/<str:identifier>/invoices/<direction:direction>/<uuid:uuid>/"

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("t/switch/", views.switch, name="switch"),
    path("t/<str:identifier>/", views.dashboard, name="dashboard"),
    path("t/<str:identifier>/invoices/", invoice_views.outgoing_list, name="invoices"),
    path("t/<str:identifier>/inbox/", invoice_views.inbox, name="inbox"),
    path("t/<str:identifier>/inbox/answer/", invoice_views.inbox_answer, name="inbox-answer"),
    path("t/<str:identifier>/invoices/new/", form_views.invoice_form, name="invoice-new"),
    path("t/<str:identifier>/invoices/new/customer/", form_views.customer_lookup, name="invoice-new-customer"),
    path("t/<str:identifier>/invoices/new/totals/", form_views.form_totals, name="invoice-new-totals"),
    path("t/<str:identifier>/invoices/new/check/", form_views.form_check, name="invoice-new-check"),
    path("t/<str:identifier>/invoices/new/preview/", form_views.form_preview, name="invoice-new-preview"),
    path("t/<str:identifier>/invoices/new/save/", form_views.form_save, name="invoice-new-save"),
    path("t/<str:identifier>/invoices/new/issue/", form_views.form_issue, name="invoice-new-issue"),
    path("t/<str:identifier>/drafts/", form_views.draft_list, name="drafts"),
    path("t/<str:identifier>/drafts/<int:draft_id>/delete/", form_views.draft_delete, name="draft-delete"),
    path("t/<str:identifier>/reports/", report_views.reports_page, name="reports"),
    path("t/<str:identifier>/reports/<slug:name>.<str:fmt>", report_views.report_download, name="report-download"),
    path("t/<str:identifier>/search/", invoice_views.search, name="search"),
    path("t/<str:identifier>/move-in/", invoice_views.move_in, name="move-in"),
    path("t/<str:identifier>/exports/", export_views.exports_page, name="exports"),
    path("t/<str:identifier>/downloads/", export_views.list_download, name="list-download"),
    path("t/<str:identifier>/uploads/", include("uploads.urls")),
    path("t/<str:identifier>/delivery/", delivery_views.preferences, name="delivery-preferences"),
    path("t/<str:identifier>/exports/<int:export_id>/status/", export_views.export_status, name="export-status"),
    path("t/<str:identifier>/exports/<int:export_id>/download/", export_views.export_download, name="export-download"),
    path(INVOICE, invoice_views.invoice_detail, name="invoice"),
    path(INVOICE + "xml/", invoice_views.invoice_xml, name="invoice-xml"),
    path(INVOICE + "view/", invoice_views.invoice_view, name="invoice-view"),
    path(INVOICE + "pdf/", delivery_views.invoice_pdf, name="invoice-pdf"),
    path("t/<str:identifier>/invoices/out/<uuid:uuid>/deliver/", delivery_views.invoice_deliver, name="invoice-deliver"),
    path("t/<str:identifier>/invoices/out/<uuid:uuid>/link/revoke/", delivery_views.invoice_link_revoke, name="invoice-link-revoke"),
    path("t/<str:identifier>/invoices/out/<uuid:uuid>/cancel/", earsiv_views.cancel, name="invoice-cancel"),
    path("t/<str:identifier>/invoices/out/<uuid:uuid>/objection/", earsiv_views.objection, name="invoice-objection"),
    path("t/<str:identifier>/earsiv/", earsiv_views.reports, name="earsiv-reports"),
    path("t/<str:identifier>/earsiv/<uuid:number>/xml/", earsiv_views.report_xml, name="earsiv-report-xml"),
    path(INVOICE + "response/xml/", invoice_views.invoice_xml, {"document": "response"}, name="invoice-response-xml"),
    path(INVOICE + "response/view/", invoice_views.invoice_view, {"document": "response"}, name="invoice-response-view"),
    path("t/<str:identifier>/invoices/in/<uuid:uuid>/answer/", invoice_views.invoice_answer, name="invoice-answer"),
]
