from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchematronConfig(AppConfig):
    name = "schematron"
    verbose_name = _("Validation")

    def ready(self) -> None:
        from schematron import checks  # noqa: F401  (registers the start-up check)
