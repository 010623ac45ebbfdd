"""The portal's export form: a period, by issue date."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from invoices.portal_forms import DateInput


class ExportForm(forms.Form):
    period_from = forms.DateField(label=_("From"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    period_to = forms.DateField(label=_("To"), widget=DateInput(), input_formats=["%Y-%m-%d"])

    @classmethod
    def last_month(cls, today: dt.date) -> "ExportForm":
        end = today.replace(day=1) - dt.timedelta(days=1)
        return cls(initial={"period_from": end.replace(day=1), "period_to": end})

    def clean(self):
        data = super().clean()
        if data.get("period_from") and data.get("period_to") and data["period_to"] < data["period_from"]:
            self.add_error("period_to", _("The period ends before it starts."))
        return data
