from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.ledger import NOTE_MAX


class ThresholdForm(forms.Form):
    threshold = forms.IntegerField(label=_("Warn below"), min_value=0, max_value=10_000_000, required=False,
                                   help_text=_("Empty: the platform's default."))


class TopUpForm(forms.Form):
    amount = forms.IntegerField(label=_("Credits"), min_value=1, max_value=10_000_000)
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX, help_text=_("Why: a payment, a package."))
