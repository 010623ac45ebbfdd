from django import forms
from django.utils.translation import gettext_lazy as _

from designs.models import Design
from invoices.display import MAX_STYLESHEET_BYTES


class DesignUploadForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=Design._meta.get_field("name").max_length, required=False,
                           help_text=_("Empty: the file's name."))
    file = forms.FileField(label=_("XSLT file"))

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_STYLESHEET_BYTES:
            raise forms.ValidationError(_("The file is larger than %(limit)s bytes."), code="too_large", params={"limit": MAX_STYLESHEET_BYTES})
        return file
