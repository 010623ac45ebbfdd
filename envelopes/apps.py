from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnvelopesConfig(AppConfig):
    name = "envelopes"
    verbose_name = _("Envelopes")
