from django.contrib import admin

from earsiv.models import Cancellation, Objection, Report


class ReadOnly(admin.ModelAdmin):
    """What was reported, and why, is a record: operators read it, the services write it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(ReadOnly):
    list_display = ("tenant", "day", "part", "parts", "number", "state", "gib_code", "tries", "polls", "invoices", "cancellations", "objections")
    list_filter = ("state",)
    search_fields = ("tenant__identifier", "number", "gib_code")
    date_hierarchy = "day"


@admin.register(Cancellation)
class CancellationAdmin(ReadOnly):
    list_display = ("tenant", "invoice", "day", "reason", "created_at", "created_by")
    search_fields = ("tenant__identifier", "invoice__number")


@admin.register(Objection)
class ObjectionAdmin(ReadOnly):
    list_display = ("tenant", "invoice", "method", "document_number", "document_date", "created_at")
    list_filter = ("method",)
    search_fields = ("tenant__identifier", "invoice__number", "document_number")
