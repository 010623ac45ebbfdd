from django.contrib import admin

from delivery.models import Attempt, Delivery, Link, Preferences


@admin.register(Preferences)
class PreferencesAdmin(admin.ModelAdmin):
    list_display = ["tenant", "channels", "sender_name", "sms_header", "language"]
    search_fields = ["tenant__identifier", "tenant__title"]
    autocomplete_fields = ["tenant"]


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = ["started_at", "finished_at", "address", "result", "code", "reply"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """What went to buyers and what came of it: read, never changed here."""

    list_display = ["created_at", "tenant", "invoice", "channel", "address", "origin", "state", "attempts"]
    list_filter = ["state", "channel", "origin"]
    search_fields = ["address", "invoice__number", "tenant__identifier"]
    inlines = [AttemptInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    list_display = ["invoice", "created_at", "opened_at", "revoked_at"]
    search_fields = ["invoice__number"]
    readonly_fields = ["invoice", "token", "created_at", "opened_at"]
    fields = ["invoice", "token", "created_at", "opened_at", "revoked_at"]

    def has_add_permission(self, request):
        return False
