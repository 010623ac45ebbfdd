import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.status import Status
from tenants.models import NumberSeries, Tenant


class Invoice(models.Model):
    """One invoice of a tenant, outgoing or incoming. Its UBL-TR XML is the document; the columns
    beside it are what lists, filters and totals need."""

    class Direction(models.TextChoices):
        OUTGOING = "out", _("Outgoing")
        INCOMING = "in", _("Incoming")

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("tenant"))
    uuid = models.UUIDField(_("ETTN"), default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("invoice number"), max_length=16)
    series = models.ForeignKey(NumberSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, default=Direction.OUTGOING)
    profile = models.CharField(_("profile"), max_length=30)
    type_code = models.CharField(_("type"), max_length=30)
    issue_date = models.DateField(_("issue date"))
    currency = models.CharField(_("currency"), max_length=3)
    customer_identifier = models.CharField(_("customer VKN/TCKN"), max_length=11, db_index=True)
    customer_name = models.CharField(_("customer"), max_length=250)
    tax_amount = models.DecimalField(_("tax"), max_digits=18, decimal_places=2)
    payable_amount = models.DecimalField(_("payable amount"), max_digits=18, decimal_places=2)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ISSUED)
    payload = models.JSONField(_("payload"), null=True, blank=True, encoder=DjangoJSONEncoder)
    xml = models.BinaryField(_("UBL-TR XML"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "direction", "number"], name="invoice_number_unique_per_tenant"),
        ]
        indexes = [models.Index(fields=["tenant", "status"]), models.Index(fields=["tenant", "issue_date"])]

    def __str__(self):
        return f"{self.number} ({self.get_status_display()})"


class StatusChange(models.Model):
    """Every move of an invoice from one state to another, with its cause (a GİB code, a validation)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    code = models.CharField(max_length=10, blank=True)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
