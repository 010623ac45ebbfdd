from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GibHubConfig(AppConfig):
    name = "gibhub"
    verbose_name = _("Local GİB hub")
    default_auto_field = "django.db.models.BigAutoField"
