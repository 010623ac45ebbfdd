from django.contrib import admin

from uploads.models import Upload, UploadFile


class UploadFileInline(admin.TabularInline):
    model = UploadFile
    extra = 0
    can_delete = False
    fields = ["position", "name", "kind", "state", "duplicate", "number", "uuid", "errors"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    """Bulk uploads and what became of each file: read, never changed here (a stuck one is run again by beat's sweeper)."""

    list_display = ["created_at", "tenant", "uploaded_by", "state", "total", "finished_at"]
    list_filter = ["state"]
    search_fields = ["tenant__identifier", "tenant__title", "files__number", "files__uuid"]
    inlines = [UploadFileInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Upload._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
