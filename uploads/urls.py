"""The bulk upload's pages, under a tenant's address (included by ``tenants.urls``, in its namespace)."""

from django.urls import path

from uploads import views

urlpatterns = [
    path("", views.uploads_page, name="uploads"),
    path("template.xlsx", views.upload_template, name="upload-template"),
    path("<int:upload_id>/", views.upload_page, name="upload"),
    path("<int:upload_id>/status/", views.upload_status, name="upload-status"),
    path("<int:upload_id>/report.csv", views.upload_report, {"form": "csv"}, name="upload-report-csv"),
    path("<int:upload_id>/report.xlsx", views.upload_report, {"form": "xlsx"}, name="upload-report-xlsx"),
]
