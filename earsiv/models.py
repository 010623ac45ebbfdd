"""What e-Arşiv adds to an invoice (its cancellation, a buyer's objections) and the reports that tell
GİB of them.

A cancelled invoice keeps its row, its status, its number and its archived documents: the
cancellation is a row of its own, one per invoice (the database refuses a second). Each report holds
what it tells as items; an item is *active* while its report is not failed, and at most one active
item exists for each invoice, cancellation and objection (a partial unique index), so nothing is in
two reports that may both succeed. A failed report's items are let go (inactive) in the transaction
that marks it failed, and the report built next takes them up."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Cancellation(models.Model):
    """An e-Arşiv invoice cancelled by its issuer (faturaIptal)."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant"))
    invoice = models.OneToOneField("invoices.Invoice", on_delete=models.PROTECT, related_name="cancellation", verbose_name=_("invoice"))
    day = models.DateField(_("cancellation date"))
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    created_by = models.CharField(_("by"), max_length=200, blank=True, help_text=_("The person or the API key."))

    class Meta:
        verbose_name = _("cancellation")
        verbose_name_plural = _("cancellations")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "created_at"], name="cancellation_tenant_at")]

    def __str__(self):
        return f"{self.invoice.number} {self.day}"


class Objection(models.Model):
    """A buyer's objection to an e-Arşiv invoice, made through KEP, a notary, a telegram or a
    registered letter (faturaItiraz)."""

    class Method(models.TextChoices):
        KEP = "KEP", _("KEP (registered e-mail)")
        NOTER = "NOTER", _("Notary")
        TELGRAF = "TELGRAF", _("Telegram")
        TAAHHUTLU_MEKTUP = "TAAHHUTLU_MEKTUP", _("Registered letter")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant"))
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, related_name="objections", verbose_name=_("invoice"))
    method = models.CharField(_("how it was made"), max_length=20, choices=Method.choices)
    document_number = models.CharField(_("objection document number"), max_length=100)
    document_date = models.DateField(_("objection document date"))
    description = models.CharField(_("description"), max_length=255)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    created_by = models.CharField(_("by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "created_at"], name="objection_tenant_at")]

    def __str__(self):
        return f"{self.invoice.number} {self.method} {self.document_number}"


class Report(models.Model):
    """One bölüm of a tenant's e-Arşiv report of an Istanbul day, as built, signed, archived, sent
    and answered. A failed report stays as it was; its correction is a new report (``corrects``)."""

    class State(models.TextChoices):
        BUILT = "built", _("Built and signed")
        SENT = "sent", _("Sent to GİB")
        PROCESSING = "processing", _("GİB is processing it")
        DONE = "done", _("Accepted by GİB")
        FAILED = "failed", _("Failed")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant"))
    day = models.DateField(_("day"), help_text=_("The Istanbul day it reports."))
    part = models.PositiveIntegerField(_("part (bölüm)"), default=1)
    parts = models.PositiveIntegerField(_("parts"), default=1)
    number = models.UUIDField(_("report number (raporNo)"), default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.BUILT)
    gib_code = models.CharField(_("GİB's code"), max_length=20, blank=True)
    gib_text = models.TextField(_("GİB's text"), blank=True)
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    polls = models.PositiveSmallIntegerField(_("polls"), default=0)
    invoices = models.PositiveIntegerField(_("invoices"), default=0)
    cancellations = models.PositiveIntegerField(_("cancellations"), default=0)
    objections = models.PositiveIntegerField(_("objections"), default=0)
    document = models.ForeignKey("archive.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("signed report"))
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections",
                                 verbose_name=_("corrects"))
    created_at = models.DateTimeField(_("built at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    flagged_at = models.DateTimeField(_("flagged at"), null=True, blank=True,
                                      help_text=_("When the tenant was told (webhook) that it failed for good or is late."))
    next_at = models.DateTimeField(_("next step at"), null=True, blank=True,
                                   help_text=_("When it is to be sent or polled next; a worker's claim moves it forward."))

    class Meta:
        verbose_name = _("e-Arşiv report")
        verbose_name_plural = _("e-Arşiv reports")
        ordering = ["-day", "part", "-id"]
        indexes = [models.Index(fields=["tenant", "day"], name="report_tenant_day"), models.Index(fields=["state", "next_at"], name="report_due")]

    def __str__(self):
        return f"{self.day} {self.part}/{self.parts} {self.get_state_display()}"

    @property
    def final(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)


class Item(models.Model):
    """One thing a report tells: an invoice issued (fatura), its cancellation (faturaIptal) or an
    objection to it (faturaItiraz)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("invoice")
        CANCELLATION = "cancellation", _("cancellation")
        OBJECTION = "objection", _("objection")

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="items")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, related_name="+")
    cancellation = models.ForeignKey(Cancellation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    objection = models.ForeignKey(Objection, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    active = models.BooleanField(default=True, help_text=_("Its report is not failed."))

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice"], condition=models.Q(kind="invoice", active=True), name="item_invoice_once"),
            models.UniqueConstraint(fields=["cancellation"], condition=models.Q(kind="cancellation", active=True), name="item_cancellation_once"),
            models.UniqueConstraint(fields=["objection"], condition=models.Q(kind="objection", active=True), name="item_objection_once"),
        ]
