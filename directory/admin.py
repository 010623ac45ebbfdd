"""The operators' admin for GİB's registered-user list: read-only, since GİB's copy is the truth and
only ``userlist_import`` writes it."""

from django.contrib import admin

from directory.models import RegisteredAlias, RegisteredUser, UserListImport
from integrator.admin import ReadOnly


class RegisteredAliasInline(ReadOnly, admin.TabularInline):
    model = RegisteredAlias
    fields = ["kind", "document_type", "name", "created_at", "deleted_at"]
    ordering = ["kind", "document_type", "created_at"]
    extra = 0


@admin.register(RegisteredUser)
class RegisteredUserAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["identifier", "title", "type", "account_type", "first_created_at"]
    list_filter = ["type", "account_type"]
    search_fields = ["=identifier", "title"]  # the identifier exactly: that is what its index serves
    show_full_result_count = False  # a million rows: no second COUNT(*) per search
    inlines = [RegisteredAliasInline]


@admin.register(UserListImport)
class UserListImportAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["started_at", "kind", "status", "users", "aliases", "skipped", "finished_at", "source"]
    list_filter = ["status", "kind"]
