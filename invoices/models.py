import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory import routing
from invoices.search import search_text
from invoices.status import Status
from tenants.models import NumberSeries, Tenant


class Invoice(models.Model):
    """One invoice of a tenant, outgoing or incoming. Its UBL-TR XML is the document; the columns
    beside it are what lists, filters and totals need."""

    class Direction(models.TextChoices):
        OUTGOING = "out", _("Outgoing")
        INCOMING = "in", _("Incoming")

    class Channel(models.TextChoices):
        EFATURA = routing.CHANNEL_EFATURA, _("e-Fatura")
        EARSIV = routing.CHANNEL_EARSIV, _("e-Arşiv")

    class Routing(models.TextChoices):
        EARSIV_ASKED = routing.EARSIV_ASKED, _("e-Arşiv was asked for")
        ALIAS_GIVEN = routing.ALIAS_GIVEN, _("a registered e-Fatura user; the postbox the sender named")
        DEFAULT_ALIAS = routing.DEFAULT_ALIAS, _("a registered e-Fatura user; its main postbox")
        NOT_REGISTERED = routing.NOT_REGISTERED, _("not on GİB's registered-user list: e-Arşiv")

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("tenant"))
    # Unique per tenant and direction, not globally: when both parties are our tenants, the sender's
    # outgoing invoice and the receiver's incoming one are the same document with the same ETTN.
    uuid = models.UUIDField(_("ETTN"), default=uuid.uuid4, editable=False)
    number = models.CharField(_("invoice number"), max_length=16)
    series = models.ForeignKey(NumberSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices, default=Direction.OUTGOING)
    profile = models.CharField(_("profile"), max_length=30)
    type_code = models.CharField(_("type"), max_length=30)
    issue_date = models.DateField(_("issue date"))
    currency = models.CharField(_("currency"), max_length=3)
    supplier_identifier = models.CharField(_("supplier VKN/TCKN"), max_length=11, blank=True)
    supplier_name = models.CharField(_("supplier"), max_length=250, blank=True)
    customer_identifier = models.CharField(_("customer VKN/TCKN"), max_length=11, db_index=True)
    customer_name = models.CharField(_("customer"), max_length=250)
    tax_amount = models.DecimalField(_("tax"), max_digits=18, decimal_places=2)
    payable_amount = models.DecimalField(_("payable amount"), max_digits=18, decimal_places=2)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ISSUED)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    routing_reason = models.CharField(_("routing reason"), max_length=30, choices=Routing.choices, blank=True)
    receiver_alias = models.CharField(_("receiver alias"), max_length=255, blank=True)
    sender_alias = models.CharField(_("sender alias"), max_length=255, blank=True)
    envelope = models.ForeignKey(
        "envelopes.Envelope", on_delete=models.PROTECT, null=True, blank=True, related_name="invoices", verbose_name=_("envelope")
    )
    gib_code = models.PositiveSmallIntegerField(_("GİB status code"), null=True, blank=True)
    sends = models.PositiveSmallIntegerField(_("envelopes sent"), default=0)
    never_resend = models.BooleanField(_("never resend"), default=False, help_text=_("GİB already holds it (1163)."))
    errors = models.JSONField(_("validation errors"), default=list, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=10, blank=True, help_text=_("KABUL or RED, from the receiver."))
    answer_reason = models.TextField(_("answer reason"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer_uuid = models.UUIDField(_("answer ETTN"), null=True, blank=True)
    answer_xml = models.BinaryField(_("answer (UBL-TR)"), null=True, blank=True)
    answer_document = models.ForeignKey(
        "archive.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("archived answer"),
    )
    payload = models.JSONField(_("payload"), null=True, blank=True, encoder=DjangoJSONEncoder)
    xml = models.BinaryField(_("UBL-TR XML"), null=True, blank=True,
                             help_text=_("Only a draft's, until it is valid: then the archive holds it (document)."))
    xml_sha256 = models.CharField(
        _("SHA-256 of the XML"), max_length=64, blank=True,
        help_text=_("Of the document as built, then as sealed: the packer sends only the document it names."),
    )
    document = models.ForeignKey(
        "archive.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("archived document"),
        help_text=_("The current one: as built once it passed validation, then as sealed."),
    )
    search_text = models.TextField(
        _("search text"), blank=True, editable=False,
        help_text=_("The number, ETTN and other party, folded as Turkish folds them (invoices.search)."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-number"]
        constraints = [
            # Our numbers are unique per tenant; incoming ones are the suppliers', who may share a number.
            models.UniqueConstraint(fields=["tenant", "number"], condition=models.Q(direction="out"), name="invoice_number_unique_per_tenant"),
            models.UniqueConstraint(fields=["uuid", "direction", "tenant"], name="invoice_uuid_unique_per_tenant"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"]),
            models.Index(fields=["tenant", "issue_date"]),
            models.Index(fields=["tenant", "direction", "issue_date", "id"], name="invoice_list_by_date"),  # the lists' keyset
            models.Index(fields=["tenant", "direction", "received_at", "id"], name="invoice_inbox_by_receipt"),
            models.Index(fields=["tenant", "payable_amount"], name="invoice_amount"),  # the search's amount range
            models.Index(fields=["status", "updated_at"]),  # the sweeper's scan for stuck invoices
        ]

    def __str__(self):
        return f"{self.number} ({self.get_status_display()})"

    # The columns the search text is made of; it follows them like ``updated_at`` follows every save.
    SEARCHED = frozenset({"number", "uuid", "direction", "customer_identifier", "customer_name", "supplier_identifier", "supplier_name"})

    def save(self, *args, update_fields=None, **kwargs):
        if update_fields is None or self.SEARCHED.intersection(update_fields):
            self.search_text = self.searchable()
            update_fields = None if update_fields is None else {*update_fields, "search_text"}
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def counterparty(self) -> tuple[str, str]:
        """(VKN/TCKN, name) of the other party: the customer of an outgoing invoice, the supplier of an incoming one."""
        if self.direction == self.Direction.OUTGOING:
            return self.customer_identifier, self.customer_name
        return self.supplier_identifier, self.supplier_name

    def searchable(self) -> str:
        identifier, name = self.counterparty
        return search_text(number=self.number, uuid=self.uuid, identifier=identifier, name=name)


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


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` a tenant sent with an invoice: the same key and body give the same
    invoice again; the unique row is also what makes concurrent replays wait for the first."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text=_("SHA-256 of the request's content type, query and body."))
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="idempotency_key_unique_per_tenant")]


class SavedDraft(models.Model):
    """An invoice typed into the portal's form and kept to finish later: the API's payload as it
    stood, checked only when it is issued. Issuing it deletes it."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="saved_drafts", verbose_name=_("tenant"))
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    customer_name = models.CharField(_("customer"), max_length=250, blank=True)
    created_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("draft invoice")
        verbose_name_plural = _("draft invoices")


class InvoiceTax(models.Model):
    """One tax subtotal of an invoice as its document states it: a KDV (0015) or other tax per rate,
    or a withholding (tevkifat) per code and rate. Kept beside the invoice so reports sum them
    without reading documents."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="taxes")
    withholding = models.BooleanField(default=False)
    code = models.CharField(max_length=4)
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    taxable = models.DecimalField(max_digits=18, decimal_places=2)
    amount = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        ordering = ["id"]
