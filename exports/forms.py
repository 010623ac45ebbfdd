"""The portal's export forms: a period, by issue date; the invoices ticked in a list, or all its
filters keep, as XML, PDF or both."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from exports.models import Export
from invoices.models import Invoice
from invoices.portal_forms import DateInput, EttnsField


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


MOST_TICKED = 500  # a list's pages hold 25; beyond a few pages, "every invoice the filters keep" (and under Django's 1,000 fields)


class DownloadForm(forms.Form):
    """From a list: the invoices ticked (``uuid``), or every one its filters keep (``everything``, the
    list's query string in ``query``)."""

    direction = forms.ChoiceField(choices=Invoice.Direction.choices, widget=forms.HiddenInput)
    contents = forms.ChoiceField(label=_("Download"), choices=[(value, label) for value, label in Export.Contents.choices
                                                               if value != Export.Contents.ARCHIVE], initial=Export.Contents.BOTH)
    everything = forms.BooleanField(label=_("every invoice the filters keep, not only those ticked"), required=False)
    uuid = EttnsField(most=MOST_TICKED, required=False)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("everything") and not data.get("uuid") and "uuid" not in self.errors:
            raise forms.ValidationError(_("Tick the invoices to download, or choose every invoice the filters keep."))
        return data

