"""Seals: a tenant's own, or the integrator's (``tenant`` empty) used for tenants who authorised it."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant


class Seal(models.Model):
    class Kind(models.TextChoices):
        PKCS12 = "pkcs12", _("PKCS#12 file")
        PKCS11 = "pkcs11", _("PKCS#11 token (HSM or smart card)")

    tenant = models.ForeignKey(
        Tenant, on_delete=models.PROTECT, null=True, blank=True, related_name="seals", verbose_name=_("tenant"),
        help_text=_("Empty for the integrator's own seal."),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    certificate = models.TextField(_("certificate (PEM)"), editable=False)
    holder_identifier = models.CharField(_("holder VKN/TCKN"), max_length=11, editable=False)
    holder_name = models.CharField(_("holder"), max_length=250, editable=False)
    not_after = models.DateTimeField(_("valid until"), editable=False)
    # Secrets, encrypted with SEAL_ENCRYPTION_KEY; never shown, never returned.
    encrypted_pkcs12 = models.BinaryField(null=True, editable=False)
    encrypted_secret = models.BinaryField(editable=False)
    token_label = models.CharField(_("token label"), max_length=100, blank=True, editable=False)
    key_label = models.CharField(_("key label"), max_length=100, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("seal")
        verbose_name_plural = _("seals")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="seal_name_unique_per_tenant"),
            models.UniqueConstraint(fields=["tenant"], condition=Q(is_active=True), name="one_active_seal_per_tenant"),
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(tenant__isnull=True, is_active=True), name="one_active_integrator_seal"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.holder_name}, {self.holder_identifier})"


class SealWarning(models.Model):
    """A warning given that a seal ends soon, once per seal and per step (30, 7, 1 days before)."""

    seal = models.ForeignKey(Seal, on_delete=models.CASCADE, related_name="warnings", verbose_name=_("seal"))
    days = models.PositiveSmallIntegerField(_("days before its end"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    recipients = models.TextField(_("e-mailed to"), blank=True)

    class Meta:
        verbose_name = _("seal warning")
        verbose_name_plural = _("seal warnings")
        constraints = [models.UniqueConstraint(fields=["seal", "days"], name="seal_warning_once_per_step")]

    def __str__(self):
        return f"{self.seal}: {self.days}"
