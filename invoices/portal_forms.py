"""The portal's invoice forms: the list filters, and the KABUL/RED answer."""

from django import forms
from django.utils.translation import gettext_lazy as _

from invoices.selectors import InvoiceFilter
from invoices.status import Status
from ubl.response import ANSWERS

OUTGOING_STATUSES = [(value, label) for value, label in Status.choices if value != Status.RECEIVED]
INCOMING_STATUSES = [(value, label) for value, label in Status.choices if value in (Status.RECEIVED, Status.ACCEPTED, Status.REJECTED)]
ANY = [("", _("All"))]


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")  # what <input type=date> sends and shows, whatever the language


class _Filter(forms.Form):
    """A list's filters: invalid values are dropped, never an error page (they come from a URL)."""

    search = forms.CharField(label=_("Search"), required=False, max_length=100)
    date_from = forms.DateField(label=_("From"), required=False, widget=_DateInput(), input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(label=_("To"), required=False, widget=_DateInput(), input_formats=["%Y-%m-%d"])

    def filters(self) -> InvoiceFilter:
        self.is_valid()
        data = self.cleaned_data  # without the fields whose values were invalid
        return InvoiceFilter(
            statuses=(data["status"],) if data.get("status") else (),
            profile=data.get("profile", ""),
            search=data.get("search", ""),
            issued_from=data.get("date_from"),
            issued_to=data.get("date_to"),
            awaiting_answer=True if data.get("awaiting") else None,
        )


class OutgoingFilter(_Filter):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=ANY + OUTGOING_STATUSES)
    profile = forms.ChoiceField(label=_("Profile"), required=False)
    field_order = ["search", "status", "profile", "date_from", "date_to"]

    def __init__(self, *args, profiles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = ANY + [(p, p) for p in profiles]


class IncomingFilter(_Filter):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=ANY + INCOMING_STATUSES)
    awaiting = forms.BooleanField(label=_("Awaiting my answer"), required=False)
    field_order = ["search", "status", "date_from", "date_to", "awaiting"]


class AnswerForm(forms.Form):
    """KABUL or RED; whether the invoice may be answered, and whether RED has its reason, is the
    service's to say (pipeline.flow.invoice_answer)."""

    code = forms.ChoiceField(choices=[(code, code) for code in ANSWERS])
    reason = forms.CharField(label=_("Reason (required for RED)"), required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))
