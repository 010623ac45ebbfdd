"""The portal's invoice forms: the list filters, the search of the whole archive, and the KABUL/RED answer."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from invoices.models import Invoice
from invoices.selectors import InvoiceFilter
from invoices.status import Status
from ubl.document import INVOICE_TYPES, PROFILES
from ubl.response import ANSWERS

OUTGOING_STATUSES = [(value, label) for value, label in Status.choices if value != Status.RECEIVED]
INCOMING_STATUSES = [(value, label) for value, label in Status.choices
                     if value in (Status.RECEIVED, Status.ACCEPTED, Status.REJECTED, Status.MIGRATED)]
ANY = [("", _("All"))]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")  # what <input type=date> sends and shows, whatever the language


class _Filter(forms.Form):
    """A list's filters: invalid values are dropped, never an error page (they come from a URL)."""

    search = forms.CharField(label=_("Search"), required=False, max_length=100)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput(), input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput(), input_formats=["%Y-%m-%d"])
    amount_min = forms.DecimalField(label=_("Amount from"), required=False, max_digits=18, decimal_places=2, min_value=0,
                                    widget=forms.NumberInput(attrs={"step": "0.01", "class": "amount"}))
    amount_max = forms.DecimalField(label=_("Amount to"), required=False, max_digits=18, decimal_places=2, min_value=0,
                                    widget=forms.NumberInput(attrs={"step": "0.01", "class": "amount"}))

    def filters(self) -> InvoiceFilter:
        self.is_valid()
        data = self.cleaned_data  # without the fields whose values were invalid
        return InvoiceFilter(
            statuses=(data["status"],) if data.get("status") else (),
            profile=data.get("profile", ""), type_code=data.get("type_code", ""), currency=data.get("currency", "").upper(),
            search=data.get("search", ""), issued_from=data.get("date_from"), issued_to=data.get("date_to"),
            amount_min=data.get("amount_min"), amount_max=data.get("amount_max"), gib_code=data.get("gib_code"),
            awaiting_answer=True if data.get("awaiting") else None, answer_closing=bool(data.get("closing")),
        )


class OutgoingFilter(_Filter):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=ANY + OUTGOING_STATUSES)
    profile = forms.ChoiceField(label=_("Profile"), required=False)
    field_order = ["search", "status", "profile", "date_from", "date_to", "amount_min", "amount_max"]

    def __init__(self, *args, profiles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = ANY + [(p, p) for p in profiles]


class IncomingFilter(_Filter):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=ANY + INCOMING_STATUSES)
    awaiting = forms.BooleanField(label=_("Awaiting my answer"), required=False)
    closing = forms.BooleanField(label=_("Answer due within 2 days"), required=False)
    field_order = ["search", "status", "date_from", "date_to", "amount_min", "amount_max", "awaiting", "closing"]


class SearchForm(_Filter):
    """Every invoice of the tenant, outgoing and incoming, by any of its columns."""

    direction = forms.ChoiceField(label=_("Direction"), required=False, choices=ANY + list(Invoice.Direction.choices))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=ANY + list(Status.choices))
    profile = forms.ChoiceField(label=_("Profile"), required=False, choices=ANY + [(p, p) for p in PROFILES])
    type_code = forms.ChoiceField(label=_("Type"), required=False, choices=ANY + [(t, t) for t in INVOICE_TYPES])
    currency = forms.RegexField(label=_("Currency"), required=False, regex=r"^[A-Za-z]{3}$", max_length=3,
                                widget=forms.TextInput(attrs={"size": 4, "placeholder": "TRY"}))
    gib_code = forms.IntegerField(label=_("GİB code"), required=False, min_value=0, max_value=9999)
    field_order = ["search", "direction", "status", "profile", "type_code", "currency", "date_from", "date_to",
                   "amount_min", "amount_max", "gib_code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["search"].widget.attrs.update(
            placeholder=_("number, ETTN, VKN/TCKN or name"), autofocus=True, type="search")

    def chosen_direction(self) -> str | None:
        self.is_valid()
        return self.cleaned_data.get("direction") or None


class AnswerForm(forms.Form):
    """KABUL or RED; whether the invoice may be answered, and whether RED has its reason, is the
    service's to say (pipeline.flow.invoice_answer)."""

    code = forms.ChoiceField(choices=[(code, code) for code in ANSWERS])
    reason = forms.CharField(label=_("Reason (required for RED)"), required=False, max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))


class EttnsField(forms.Field):
    """ETTNs ticked in a list (each row's checkbox sends one), once each, in their order."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": _("Tick the invoices first."), "invalid": _("%(value)s is not an ETTN."),
                              "too_many": _("At most %(count)s invoices at once.")}

    def __init__(self, *, most: int, **kwargs):
        self.most = most
        super().__init__(**kwargs)

    def to_python(self, value) -> list[str]:
        chosen = []
        for text in value or []:
            try:
                chosen.append(str(uuid.UUID(text)))
            except ValueError:
                raise forms.ValidationError(self.error_messages["invalid"], params={"value": text[:40]}) from None
        chosen = list(dict.fromkeys(chosen))
        if len(chosen) > self.most:
            raise forms.ValidationError(self.error_messages["too_many"], params={"count": self.most})
        return chosen


class BulkAnswerForm(AnswerForm):
    """KABUL or RED for the invoices ticked in the inbox, each answered on its own (and sealed in the request)."""

    uuid = EttnsField(most=100)


class _Files(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Many files in one field, as Django's guide to uploads does it; none at all is refused as a required field is."""

    def __init__(self, *, accept: str = ".xml,.zip", attrs: dict | None = None, **kwargs):
        super().__init__(widget=_Files(attrs={"accept": accept, **(attrs or {})}), **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else [data]
        if not items and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(FilesField, self).clean(item, initial) for item in items]


class MoveInForm(forms.Form):
    """Signed invoices from another integrator: XML files, or ZIPs of them."""

    MAX_BYTES = 100 * 1024 * 1024  # per upload; a larger archive goes through manage.py archive_move_in

    files = FilesField(label=_("XML or ZIP files"))

    def clean_files(self):
        files = self.cleaned_data["files"]
        if sum(upload.size for upload in files) > self.MAX_BYTES:
            raise forms.ValidationError(_("At most %(limit)s MB at once; send the rest in another upload.") % {"limit": self.MAX_BYTES // 2**20})
        return files
