"""The portal's forms for a tenant's API keys and webhooks: what a person types, checked by the services."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from tenants.models import ApiKey
from tenants import webhooks
from tenants.webhooks import EVENTS

EVENT_LABELS = {
    webhooks.INVOICE_STATUS_CHANGED: _("An invoice's status changed"),
    webhooks.INVOICE_RECEIVED: _("An invoice was received"),
    webhooks.INVOICE_DELIVERED: _("An invoice reached its buyer (e-mail, SMS)"),
    webhooks.INVOICE_DELIVERY_FAILED: _("An invoice could not reach its buyer"),
    webhooks.SEAL_EXPIRING: _("The seal ends soon"),
    webhooks.EARSIV_REPORT_FAILED: _("GİB failed an e-Arşiv report"),
    webhooks.EARSIV_REPORT_LATE: _("An e-Arşiv report is late"),
    webhooks.PING: _("Test event"),
}


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("Which program uses it, e.g. “ERP, head office”."))
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple, initial=[ApiKey.Scope.READ],
        error_messages={"required": _("Choose at least one scope.")},
    )
    expires_on = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The key works through this day (Istanbul); empty: until it is revoked."),
    )

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("An API key cannot expire in the past."))
        return day

    def expires_at(self) -> dt.datetime | None:
        """The end of the chosen day, Istanbul's time (the moment the key stops working)."""
        day = self.cleaned_data["expires_on"]
        if day is None:
            return None
        return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


class WebhookForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=1000, widget=forms.URLInput(attrs={"placeholder": "https://erp.example.com.tr/hooks/efatura"}))
    events = forms.MultipleChoiceField(
        label=_("Events"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(event, format_lazy("{label} ({event})", label=EVENT_LABELS[event], event=event)) for event in EVENTS],
        help_text=_("None ticked: every event."),
    )
