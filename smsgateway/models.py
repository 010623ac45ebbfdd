"""The local SMS gateway's tables: every message it received, with what it answered, and the codes it
is told to answer on purpose."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smsgateway.codes import ILETIMERKEZI, NETGSM, VERIMOR


class Provider(models.TextChoices):
    NETGSM = NETGSM, "Netgsm"
    VERIMOR = VERIMOR, "Verimor"
    ILETIMERKEZI = ILETIMERKEZI, "İleti Merkezi"


class GatewayMessage(models.Model):
    """One message to one number, as the gateway received it (refused ones too), and its answer."""

    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices)
    header = models.CharField(_("sender name"), max_length=50, blank=True)
    number = models.CharField(_("number"), max_length=30, blank=True, help_text=_("As the caller wrote it."))
    text = models.TextField(_("text"), blank=True)
    code = models.CharField(_("code answered"), max_length=40)
    job_id = models.CharField(_("job id"), max_length=40, blank=True, help_text=_("Empty: the message was refused."))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("received SMS")
        verbose_name_plural = _("received SMS")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["number"], name="gatewaymessage_number")]

    def __str__(self):
        return f"{self.provider} {self.number} ({self.code})"


class ForcedCode(models.Model):
    """A code the gateway answers on purpose for the next *remaining* messages to *provider*'s API."""

    provider = models.CharField(_("provider"), max_length=20, choices=Provider.choices)
    code = models.CharField(_("code"), max_length=40)
    remaining = models.PositiveIntegerField(_("remaining"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("forced code")
        verbose_name_plural = _("forced codes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.provider} {self.code} × {self.remaining}"
