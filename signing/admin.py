from django.contrib import admin

from signing.models import Seal, SealWarning


@admin.register(Seal)
class SealAdmin(admin.ModelAdmin):
    """Seals are registered with `seal_import` (or the services); here they are seen, never their secrets."""

    list_display = ["name", "tenant", "kind", "holder_name", "holder_identifier", "not_after", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "holder_name", "holder_identifier", "tenant__identifier", "tenant__title"]
    fields = ["tenant", "name", "kind", "holder_name", "holder_identifier", "not_after", "certificate", "is_active", "created_at"]
    readonly_fields = ["tenant", "name", "kind", "holder_name", "holder_identifier", "not_after", "certificate", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(SealWarning)
class SealWarningAdmin(admin.ModelAdmin):
    """The warnings beat gave that a seal ends (``signing.warnings``): seen, never made or changed here."""

    list_display = ["seal", "days", "sent_at", "recipients"]
    list_filter = ["days"]
    search_fields = ["seal__name", "seal__holder_identifier", "recipients"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
