from django.contrib import admin

from archive.models import ApiCall
from integrator.admin import ReadOnly


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "tenant", "key_prefix", "method", "path", "status_code", "problem", "duration_ms"]
    list_filter = ["status_code", "method"]
    search_fields = ["key_prefix", "path", "idempotency_key", "tenant__identifier"]
    date_hierarchy = "at"
    list_select_related = ["tenant"]
