from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from archive.models import ApiCall, ArchiveCheck, Document, Event, RetainedDocument
from integrator.admin import ReadOnly


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "tenant", "key_prefix", "method", "path", "status_code", "problem", "duration_ms"]
    list_filter = ["status_code", "method"]
    search_fields = ["key_prefix", "path", "idempotency_key", "tenant__identifier"]
    date_hierarchy = "at"
    list_select_related = ["tenant"]


@admin.register(Document)
class DocumentAdmin(ReadOnly, admin.ModelAdmin):
    """Read-only, and never deleted: there is no delete button, and the delete page refuses with the reason."""

    list_display = ["created_at", "tenant", "kind", "subject_type", "subject_id", "size", "sha256", "retain_until"]
    list_filter = ["kind"]
    search_fields = ["sha256", "key", "tenant__identifier"]
    date_hierarchy = "created_at"
    list_select_related = ["tenant"]

    def delete_view(self, request, object_id, extra_context=None):
        """Asked for all the same (by its address): refused, with the reason said."""
        self.message_user(request, str(RetainedDocument()), messages.ERROR)
        return redirect(reverse("admin:archive_document_change", args=[object_id]))


@admin.register(ArchiveCheck)
class ArchiveCheckAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["started_at", "finished_at", "scope", "checked", "problem_count"]

    @admin.display(description=_("problems"))
    def problem_count(self, obj) -> int:
        return len(obj.problems)


@admin.register(Event)
class EventAdmin(ReadOnly, admin.ModelAdmin):
    """Who did what with which document: searchable by tenant, person, key and document."""

    list_display = ["at", "tenant", "user", "api_key", "action", "subject_type", "subject_ref", "detail", "client_ip"]
    list_filter = ["action", "subject_type"]
    search_fields = ["tenant__identifier", "user__username", "user__email", "api_key__prefix", "subject_ref", "detail"]
    date_hierarchy = "at"
    list_select_related = ["tenant", "user", "api_key"]
