from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=12, strip=True)


class TenantSecurityForm(forms.Form):
    owners_must_use_two_factor = forms.BooleanField(label=_("Owners must use two-factor verification"), required=False)
