from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "pipeline"
    verbose_name = _("Pipeline")

    def ready(self) -> None:
        from pipeline import flow
        from signing.signals import seal_registered

        seal_registered.connect(flow.seal_registered, dispatch_uid="pipeline.release_held")
