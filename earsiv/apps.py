from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EarsivConfig(AppConfig):
    name = "earsiv"
    verbose_name = _("e-Arşiv reporting")
