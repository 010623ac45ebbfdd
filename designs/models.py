from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant


class Design(models.Model):
    """One uploaded version of a tenant's invoice design (an XSLT), kept once checked in the sandbox.
    The active one is what ``Tenant.display_xslt`` holds, so invoices built from then on embed it;
    those built before keep the design they carry."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="designs", verbose_name=_("tenant"))
    name = models.CharField(_("name"), max_length=100)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    xslt = models.TextField(_("XSLT"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    is_active = models.BooleanField(_("active"), default=False)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice design")
        verbose_name_plural = _("invoice designs")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant"], condition=models.Q(is_active=True), name="design_one_active_per_tenant"),
        ]

    def __str__(self):
        return f"{self.name} ({self.sha256[:12]})"
