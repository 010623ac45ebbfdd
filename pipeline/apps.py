from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "pipeline"
    verbose_name = _("Pipeline")

    def ready(self) -> None:
        from pipeline import flow
        from signing.signals import seal_registered
        from tenants.signals import credits_added

        seal_registered.connect(flow.seal_registered, dispatch_uid="pipeline.release_held")
        credits_added.connect(flow.credits_added, dispatch_uid="pipeline.credits_added")
