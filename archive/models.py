from django.conf import settings
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



class DocumentQuerySet(models.QuerySet):
    def delete(self):
        raise RetainedDocument(count=self.count())


class RetainedDocument(Exception):
    """A document row is never deleted: it is kept, with its object, until its retain-until, and after
    that only by the archive's own clean-up."""

    def __init__(self, count: int = 1):
        super().__init__(_("%(count)s archived document(s) must be kept until their retain-until date; nothing was deleted.")
                         % {"count": count})


class Document(models.Model):
    """One document in the archive. Its bytes are an object in the archive's store under ``key``
    (content-addressed: the tenant's VKN/TCKN and the SHA-256), written once and never overwritten; the
    row says what it is, whose, what it belongs to, until when it is kept, and carries the hash chain
    of the tenant's documents (``chain``: the row before's ``chain`` with this one's facts). Rows are
    written only by ``archive.services.document_store`` and never changed or deleted."""

    class Kind(models.TextChoices):
        INVOICE_BUILT = "invoice_built", _("invoice as built")
        INVOICE_SEALED = "invoice_sealed", _("sealed invoice")
        INVOICE_RECEIVED = "invoice_received", _("received invoice")
        INVOICE_MIGRATED = "invoice_migrated", _("invoice moved in from another integrator")
        ANSWER_SENT = "answer_sent", _("our application response (KABUL/RED)")
        ANSWER_RECEIVED = "answer_received", _("received application response (KABUL/RED)")
        ENVELOPE_SENT = "envelope_sent", _("envelope sent (zip)")
        ENVELOPE_RECEIVED = "envelope_received", _("envelope received (zip)")
        SYSTEM_RESPONSE = "system_response", _("system response")
        GIB_ANSWER = "gib_answer", _("GİB's answer")
        EARSIV_REPORT = "earsiv_report", _("e-Arşiv report")
        PDF = "pdf", _("PDF")
        DELIVERY_LOG = "delivery_log", _("delivery log")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="documents", verbose_name=_("tenant"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("storage key"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    media_type = models.CharField(_("media type"), max_length=100)
    created_at = models.DateTimeField(_("stored at"))
    retain_until = models.DateField(_("kept until"))
    # What it belongs to, by name and id: the archive stands below the apps whose documents it keeps.
    subject_type = models.CharField(_("belongs to"), max_length=20, blank=True)
    subject_id = models.BigIntegerField(_("belongs to (id)"), null=True, blank=True)
    previous_chain = models.CharField(_("chain before"), max_length=64, blank=True)
    chain = models.CharField(_("chain"), max_length=64)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("archived document")
        verbose_name_plural = _("archived documents")
        ordering = ["tenant", "id"]
        indexes = [
            models.Index(fields=["tenant", "id"], name="document_tenant_order"),
            models.Index(fields=["subject_type", "subject_id"], name="document_subject"),
            models.Index(fields=["sha256"], name="document_sha256"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.sha256[:12]}"

    def delete(self, *args, **kwargs):
        raise RetainedDocument()


class ArchiveCheck(models.Model):
    """One run of ``archive_verify``: what it read and what it found wrong, for operators to see."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    scope = models.CharField(_("scope"), max_length=200)
    checked = models.PositiveIntegerField(_("documents checked"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)

    class Meta:
        verbose_name = _("archive check")
        verbose_name_plural = _("archive checks")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.scope}: {len(self.problems)}"


class Event(models.Model):
    """Something a person (in the portal) or a program (by its API key) did with a tenant's documents:
    viewed, downloaded, answered, exported, moved in. Beside ``ApiCall``, which logs every API call;
    written by ``archive.audit``, never changed."""

    class Action(models.TextChoices):
        VIEWED = "viewed", _("viewed")
        DOWNLOADED = "downloaded", _("downloaded")
        ANSWERED = "answered", _("answered")
        EXPORTED = "exported", _("asked for an export")
        EXPORT_DOWNLOADED = "export_downloaded", _("downloaded an export")
        MOVED_IN = "moved_in", _("moved invoices in")
        SENT = "sent", _("sent to the buyer")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("person"))
    api_key = models.ForeignKey("tenants.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                verbose_name=_("API key"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    subject_type = models.CharField(_("what"), max_length=20, blank=True)
    subject_ref = models.CharField(_("which"), max_length=64, blank=True, help_text=_("An invoice's ETTN, an export's id."))
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["tenant", "at"], name="event_tenant_at"), models.Index(fields=["subject_type", "subject_ref"], name="event_subject")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user or self.api_key} {self.action} {self.subject_type} {self.subject_ref}"
