from django import forms
from django.utils.translation import gettext_lazy as _

from earsiv.models import Objection


class CancelForm(forms.Form):
    day = forms.DateField(label=_("Cancellation date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ObjectionForm(forms.Form):
    method = forms.ChoiceField(label=_("How the buyer objected"), choices=Objection.Method.choices)
    document_number = forms.CharField(label=_("Objection document number"), max_length=100)
    document_date = forms.DateField(label=_("Objection document date"), widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(label=_("Description"), max_length=255)
