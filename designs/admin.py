from django.contrib import admin

from designs.models import Design


@admin.register(Design)
class DesignAdmin(admin.ModelAdmin):
    """The designs tenants uploaded: read here, uploaded and chosen in the portal, where they are checked."""

    list_display = ["name", "tenant", "uploaded_at", "uploaded_by", "size", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "tenant__identifier", "tenant__title", "sha256"]
    readonly_fields = [f.name for f in Design._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
