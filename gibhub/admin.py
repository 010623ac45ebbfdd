"""The local GİB hub in the operators' admin: envelopes and their history to read; the registry and
the forced codes to edit (the hub is a test double, and people set it up for a test by hand)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from gibhub.forcing import ForceInvalid, check_force, default_operation
from gibhub.models import ForcedCode, HubAlias, HubDeliveryAttempt, HubEnvelope, HubStatusChange, HubUser
from integrator.admin import ReadOnly
from tenants.aliases import normalize_alias


class StatusChangeInline(ReadOnly, admin.TabularInline):
    model = HubStatusChange
    fields = ["created_at", "code", "text", "note"]
    extra = 0


class DeliveryAttemptInline(ReadOnly, admin.TabularInline):
    model = HubDeliveryAttempt
    fields = ["created_at", "url", "ok", "error"]
    extra = 0


@admin.register(HubEnvelope)
class HubEnvelopeAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["uuid", "type", "sender_alias", "receiver_alias", "status", "status_at", "delivered_at"]
    list_filter = ["status", "type"]
    search_fields = ["=uuid", "sender_alias", "receiver_alias", "=sender_identifier", "=receiver_identifier"]
    exclude = ["data"]  # the zip: bytes, not for reading here
    inlines = [StatusChangeInline, DeliveryAttemptInline]


class HubAliasInline(admin.TabularInline):
    model = HubAlias
    fields = ["kind", "name", "document_type", "endpoint", "created_at", "deleted_at"]
    extra = 0


@admin.register(HubUser)
class HubUserAdmin(admin.ModelAdmin):
    list_display = ["identifier", "title", "type", "account_type", "integrator", "first_created_at"]
    search_fields = ["=identifier", "title", "aliases__name", "=integrator"]
    inlines = [HubAliasInline]


class ForcedCodeForm(forms.ModelForm):
    class Meta:
        model = ForcedCode
        fields = ["code", "receiver_alias", "operation", "remaining"]

    def clean(self):
        data = super().clean()
        if data.get("code") is None or data.get("remaining") is None:
            return data
        data["operation"] = data.get("operation") or default_operation(data["code"])
        data["receiver_alias"] = normalize_alias(data["receiver_alias"]) if data.get("receiver_alias") else ""
        try:
            check_force(code=data["code"], times=max(data["remaining"], 1), operation=data["operation"])
        except ForceInvalid as exc:
            raise ValidationError(str(exc)) from None
        return data


@admin.register(ForcedCode)
class ForcedCodeAdmin(admin.ModelAdmin):
    form = ForcedCodeForm
    list_display = ["code", "receiver_alias", "operation", "remaining", "created_at"]
    list_filter = ["operation"]
