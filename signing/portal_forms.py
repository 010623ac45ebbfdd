"""The portal's forms for registering a seal: a PKCS#12 file with its password, or a key on a PKCS#11 token."""

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_PKCS12_BYTES = 256 * 1024  # a seal's file is a few kilobytes: a certificate chain and one key


class Pkcs12Form(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("To tell this seal from the earlier ones, e.g. “Kamu SM 2027”."))
    file = forms.FileField(label=_("PKCS#12 file (.p12, .pfx)"))
    password = forms.CharField(label=_("Password of the file"), strip=False, widget=forms.PasswordInput(render_value=False))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_PKCS12_BYTES:
            raise forms.ValidationError(_("A PKCS#12 seal file is a few kilobytes; this one is %(size)s KB."),
                                        params={"size": upload.size // 1024})
        return upload.read()


class Pkcs11Form(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    token_label = forms.CharField(label=_("Token label"), max_length=100, help_text=_("As pkcs11-tool --list-slots shows it."))
    key_label = forms.CharField(label=_("Key label"), max_length=100, help_text=_("The label of the seal's private key on the token."))
    pin = forms.CharField(label=_("PIN"), strip=False, max_length=64, widget=forms.PasswordInput(render_value=False),
                          help_text=_("Kept encrypted; cards lock their PIN after a few wrong tries."))


class AuthorisationForm(forms.Form):
    authorised = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda value: value == "1")
