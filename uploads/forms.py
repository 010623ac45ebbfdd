"""The portal's upload form: XML files, ZIPs of them, or an Excel sheet of the template, many at once."""

from django import forms
from django.utils.translation import gettext_lazy as _

from uploads.services import MAX_BYTES

ACCEPT = ".xml,.zip,.xlsx"


class _Files(forms.ClearableFileInput):
    allow_multiple_selected = True


class _FilesField(forms.FileField):
    """Many files in one field, as Django's guide to uploads does it; an empty one is the job's to refuse."""

    def __init__(self, **kwargs):
        super().__init__(widget=_Files(attrs={"accept": ACCEPT, "id": "upload-files"}), allow_empty_file=True, **kwargs)

    def clean(self, data, initial=None):
        return [super(_FilesField, self).clean(item, initial) for item in (data if isinstance(data, (list, tuple)) else [data])]


class UploadForm(forms.Form):
    files = _FilesField(label=_("UBL-TR XML files, ZIPs of them, or the Excel template filled in"))

    def clean_files(self):
        files = self.cleaned_data["files"]
        if sum(upload.size for upload in files) > MAX_BYTES:
            raise forms.ValidationError(_("At most %(limit)s MB at once; send the rest in another upload.") % {"limit": MAX_BYTES // 2**20})
        return files
