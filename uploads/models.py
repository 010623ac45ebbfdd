from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Upload(models.Model):
    """A person's bulk upload: its files (``UploadFile``), each issued or refused on its own by a
    worker. The bytes uploaded are kept on the files until the upload is done, so a worker that dies
    mid-way is followed by one that goes on from the first file not done. Its purpose is to issue
    invoices, or to move in signed invoices from another integrator (``invoices.moving_in``)."""

    class Purpose(models.TextChoices):
        ISSUE = "issue", _("issue invoices")
        MOVE_IN = "move_in", _("move invoices in")

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="uploads", verbose_name=_("tenant"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("uploaded by"))
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.ISSUE)
    names = models.JSONField(_("files uploaded"), default=list)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.WAITING)
    total = models.PositiveIntegerField(_("files"), default=0)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    beat_at = models.DateTimeField(_("last progress at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk upload")
        verbose_name_plural = _("bulk uploads")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "beat_at"])]

    def __str__(self):
        return f"{self.tenant} #{self.id} ({self.get_state_display()})"


class UploadFile(models.Model):
    """One invoice of an upload: an XML file (from the upload or a ZIP in it) or the rows of one
    invoice of a sheet. Waiting, then checked (valid by GİB's rules and ours), then issued; or
    refused, with GİB's rule, the XPath and the line, or the reason, in both languages (``errors``).
    Moving in, a file is moved in, or refused (``duplicate`` when the invoice is here already)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting")
        CHECKED = "checked", _("checked")
        ISSUED = "issued", _("issued")
        MOVED_IN = "moved_in", _("moved in")
        REFUSED = "refused", _("refused")

    class Kind(models.TextChoices):
        XML = "xml", _("UBL-TR XML")
        SHEET = "sheet", _("sheet rows")

    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="files", verbose_name=_("upload"))
    position = models.PositiveIntegerField(_("position"))
    name = models.CharField(_("file"), max_length=500)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices, default=Kind.XML)
    data = models.BinaryField(_("bytes uploaded"), null=True, blank=True)  # cleared when the upload is done
    payload = models.JSONField(_("invoice data"), null=True, blank=True)  # a sheet's invoice; cleared with data
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.WAITING)
    duplicate = models.BooleanField(_("duplicate"), default=False)
    errors = models.JSONField(_("reasons"), default=list, blank=True)
    uuid = models.CharField(_("ETTN"), max_length=36, blank=True)
    number = models.CharField(_("invoice number"), max_length=16, blank=True)
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("invoice"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")
        ordering = ["upload", "position"]
        constraints = [models.UniqueConstraint(fields=["upload", "position"], name="uploadfile_unique_position")]
        indexes = [models.Index(fields=["upload", "state", "position"])]

    def __str__(self):
        return f"{self.name} ({self.get_state_display()})"
