from django.urls import include, path, register_converter

from accounts import views as account_views
from delivery import views as delivery_views
from earsiv import views as earsiv_views
from exports import views as export_views
from invoices import views as invoice_views
from pipeline import views as form_views
from reports import views as report_views
from signing import views as seal_views
from tenants import views
from tenants.views import credits as credit_views
from tenants.views import keys as key_views
from tenants.views import people as people_views


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
    path("t/<str:identifier>/people/", people_views.people, name="people"),
    path("t/<str:identifier>/people/<int:member_id>/role/", people_views.member_role, name="member-role"),
    path("t/<str:identifier>/people/<int:member_id>/remove/", people_views.member_delete, name="member-remove"),
    path("t/<str:identifier>/people/invitations/<int:invitation_id>/withdraw/", people_views.invitation_withdraw, name="invitation-revoke"),
    path("t/<str:identifier>/audit/", people_views.audit_log, name="audit-log"),
    path("profile/", people_views.profile, name="profile"),
    path("invite/<str:token>/", people_views.invite, name="invite"),
    path("t/<str:identifier>/security/", account_views.tenant_security, name="security"),
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
    path("t/<str:identifier>/designs/", include("designs.urls")),
    path("t/<str:identifier>/aliases/", credit_views.aliases_page, name="aliases"),
    path("t/<str:identifier>/credits/", credit_views.credits, name="credits"),
    path("t/<str:identifier>/credits/threshold/", credit_views.credits_set_low, name="credits-threshold"),
    path("t/<str:identifier>/credits/top-up/", credit_views.credits_top_up, name="credits-top-up"),
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
    path("t/<str:identifier>/seals/", seal_views.seals, name="seals"),
    path("t/<str:identifier>/seals/authorisation/", seal_views.seal_authorisation, name="seal-authorisation"),
    path("t/<str:identifier>/api-keys/", key_views.api_keys, name="api-keys"),
    path("t/<str:identifier>/api-keys/<int:key_id>/revoke/", key_views.api_key_revoke_page, name="api-key-revoke"),
    path("t/<str:identifier>/webhooks/", key_views.webhooks_page, name="webhooks"),
    path("t/<str:identifier>/webhooks/<int:webhook_id>/", key_views.webhook_page, name="webhook"),
    path("t/<str:identifier>/webhooks/<int:webhook_id>/delete/", key_views.webhook_delete_page, name="webhook-delete"),
    path("t/<str:identifier>/webhooks/<int:webhook_id>/<str:action>/", key_views.webhook_action, name="webhook-action"),
    path(INVOICE + "response/xml/", invoice_views.invoice_xml, {"document": "response"}, name="invoice-response-xml"),
    path(INVOICE + "response/view/", invoice_views.invoice_view, {"document": "response"}, name="invoice-response-view"),
    path("t/<str:identifier>/invoices/in/<uuid:uuid>/answer/", invoice_views.invoice_answer, name="invoice-answer"),
    path("t/<str:identifier>/invoices/in/<uuid:uuid>/return/", invoice_views.invoice_return, name="invoice-return"),
]
