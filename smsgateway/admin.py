"""The local SMS gateway in the operators' admin: the messages it received to read; the forced codes
to edit (the gateway is a test double, and people set it up for a test by hand)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from integrator.admin import ReadOnly
from smsgateway.forcing import ForceInvalid, check_force
from smsgateway.models import ForcedCode, GatewayMessage


@admin.register(GatewayMessage)
class GatewayMessageAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["received_at", "provider", "header", "number", "code", "job_id"]
    list_filter = ["provider", "code"]
    search_fields = ["number", "=job_id", "header", "text"]
    date_hierarchy = "received_at"


class ForcedCodeForm(forms.ModelForm):
    class Meta:
        model = ForcedCode
        fields = ["provider", "code", "remaining"]

    def clean(self):
        data = super().clean()
        if not data.get("provider") or not data.get("code") or data.get("remaining") is None:
            return data
        try:
            data["code"] = check_force(provider=data["provider"], code=data["code"], times=max(data["remaining"], 1))
        except ForceInvalid as exc:
            raise ValidationError(str(exc)) from None
        return data


@admin.register(ForcedCode)
class ForcedCodeAdmin(admin.ModelAdmin):
    form = ForcedCodeForm
    list_display = ["provider", "code", "remaining", "created_at"]
    list_filter = ["provider"]
