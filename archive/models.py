from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiCall(models.Model):
    """One call of the REST API: who (the key, by its visible prefix), what, when and with what result.
    Never the key's secret, nor the body."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("tenant"))
    api_key = models.ForeignKey("tenants.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls", verbose_name=_("API key"))
    key_prefix = models.CharField(_("key prefix"), max_length=16, blank=True, help_text=_("As presented, also when it was refused."))
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    query = models.CharField(_("query"), max_length=500, blank=True)
    status_code = models.PositiveSmallIntegerField(_("status"))
    problem = models.CharField(_("problem code"), max_length=50, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    idempotency_key = models.CharField(_("Idempotency-Key"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["tenant", "at"])]

    def __str__(self):
        return f"{self.method} {self.path} {self.status_code}"

