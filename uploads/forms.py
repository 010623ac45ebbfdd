"""The portal's upload form: XML files, ZIPs of them, or an Excel sheet of the template, many at once."""

from django import forms
from django.utils.translation import gettext_lazy as _

from invoices.portal_forms import FilesField
from uploads.services import MAX_BYTES

ACCEPT = ".xml,.zip,.xlsx"


class UploadForm(forms.Form):
    # an empty file is the job's to refuse, with its name
    files = FilesField(label=_("UBL-TR XML files, ZIPs of them, or the Excel template filled in"), accept=ACCEPT,
                       attrs={"id": "upload-files"}, allow_empty_file=True)

    def clean_files(self):
        files = self.cleaned_data["files"]
        if sum(upload.size for upload in files) > MAX_BYTES:
            raise forms.ValidationError(_("At most %(limit)s MB at once; send the rest in another upload.") % {"limit": MAX_BYTES // 2**20})
        return files
