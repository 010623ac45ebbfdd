from django import forms
from django.utils.translation import gettext_lazy as _

from delivery.models import Delivery, Preferences


class DeliveryForm(forms.Form):
    """"Send again" on the invoice's page: an e-mail address or a mobile number."""

    channel = forms.ChoiceField(label=_("by"), choices=Delivery.Channel.choices)
    address = forms.CharField(label=_("to"), max_length=254, widget=forms.TextInput(attrs={"autocomplete": "off"}),
                              help_text=_("An e-mail address, or a Turkish mobile number."))

    def target(self) -> tuple[str, str]:
        return self.cleaned_data["channel"], self.cleaned_data["address"]


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Preferences
        fields = ["channels", "sender_name", "reply_to", "sms_header", "language", "email_text_tr", "email_text_en", "sms_text_tr", "sms_text_en"]
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in ("email_text_tr", "email_text_en")}
