"""What the pipeline keeps of its own: which tenants have a step's task queued and not yet started."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant


class Queued(models.Model):
    """A tenant's task for *step* queued and not started yet. While there is one, an invoice issued
    needs no task of its own: the queued task takes every invoice of the tenant waiting when it
    starts (in batches of ``PIPELINE_BATCH``). The task removes the row before it takes its batch, so
    an invoice issued after that queues a task again. Invoices arriving one by one are then taken
    together as they wait, not one task each; a row whose task was lost is removed by the sweeper."""

    class Step(models.TextChoices):
        VALIDATE = "validate", _("validate")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", verbose_name=_("tenant"))
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)

    class Meta:
        verbose_name = _("queued task")
        verbose_name_plural = _("queued tasks")
        constraints = [models.UniqueConstraint(fields=["tenant", "step"], name="pipeline_queued_once")]
