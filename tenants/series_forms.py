from django import forms
from django.utils.translation import gettext_lazy as _

from tenants.models import NumberSeries


class SeriesForm(forms.Form):
    prefix = forms.CharField(label=_("Prefix"), max_length=10, help_text=_("Three capital letters or digits, such as ABC."))
    kind = forms.ChoiceField(label=_("Kind"), choices=NumberSeries.Kind.choices)
    is_default = forms.BooleanField(label=_("Default for its kind"), required=False)
