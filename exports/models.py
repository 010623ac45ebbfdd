from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Export(models.Model):
    """A tenant's documents asked for as one ZIP, with an index (CSV and XLSX) and a ``manifest.sha256``.
    Which invoices: those issued or received in a period, or the ones a person ticked in a list, or
    every one a list's filters keep (``selection``). What of them (``contents``): the archive's
    hand-over (the signed XML as sent or received, answers, envelopes), or the XML, the PDF, or both.
    Built in the background; ``done`` of ``total`` invoices is its progress."""

    class Contents(models.TextChoices):
        ARCHIVE = "archive", _("documents, answers and envelopes")
        XML = "xml", _("XML")
        PDF = "pdf", _("PDF")
        BOTH = "both", _("XML and PDF")

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting")
        BUILDING = "building", _("being built")
        READY = "ready", _("ready to download")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="exports", verbose_name=_("tenant"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("asked by"))
    requested_via = models.CharField(_("asked through"), max_length=10, choices=[("portal", _("the portal")), ("api", _("the API")),
                                                                                ("operator", _("an operator"))])
    period_from = models.DateField(_("from"), null=True, blank=True)
    period_to = models.DateField(_("to"), null=True, blank=True)
    # {"direction": "out" | "in" | "", "uuids": [...]} (ticked) or {"direction": …, "filters": {...}} (a list's
    # filters, as exports.services writes them); empty: the period.
    selection = models.JSONField(_("selection"), default=dict, blank=True)
    contents = models.CharField(_("contents"), max_length=10, choices=Contents.choices, default=Contents.ARCHIVE)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("invoices"), default=0)
    done = models.PositiveIntegerField(_("invoices done"), default=0)
    file_key = models.CharField(_("file"), max_length=200, blank=True)
    size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256 of the ZIP"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "expires_at"])]

    def __str__(self):
        return f"{self.tenant} {self.described()} ({self.get_state_display()})"

    def described(self) -> str:
        """What the export holds, in a few words."""
        if self.selection.get("uuids"):
            return gettext("%(count)s invoices chosen") % {"count": len(self.selection["uuids"])}
        if "filters" in self.selection:
            return gettext("a filtered list")
        return f"{self.period_from:%d.%m.%Y} – {self.period_to:%d.%m.%Y}"

    @property
    def percent(self) -> int:
        if self.state == self.State.READY:
            return 100
        return self.done * 100 // self.total if self.total else 0

    def file_name(self) -> str:
        if self.period_from is None:
            return f"{self.tenant.identifier}_{self.created_at:%Y%m%d}_{self.id}.zip"
        return f"{self.tenant.identifier}_{self.period_from:%Y%m%d}-{self.period_to:%Y%m%d}.zip"
