"""The local GİB hub's tables: its registry of users and aliases, the envelopes it received with their
status history and delivery attempts, the documents it registered, and the codes it is told to force."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.models import RegisteredUser


class HubUser(models.Model):
    """A taxpayer registered at the hub, as GİB's user list shows one."""

    Type, AccountType = RegisteredUser.Type, RegisteredUser.AccountType  # GİB's list has one vocabulary

    identifier = models.CharField(_("VKN/TCKN"), max_length=11, unique=True)
    title = models.CharField(_("title"), max_length=250)
    type = models.CharField(_("type"), max_length=4, choices=Type.choices, default=Type.OZEL)
    account_type = models.CharField(_("account type"), max_length=20, choices=AccountType.choices, default=AccountType.OZELENTEGRASYON)
    first_created_at = models.DateTimeField(_("first created at"), default=timezone.now)
    # GİB lets a special integrator seal its users' documents with its own seal, on their authorisation.
    integrator = models.CharField(
        _("integrator VKN"), max_length=11, blank=True,
        help_text=_("The special integrator that may seal this user's documents with its own seal; blank: none."),
    )

    class Meta:
        verbose_name = _("hub user")
        verbose_name_plural = _("hub users")
        ordering = ["identifier"]

    def __str__(self):
        return f"{self.title} ({self.identifier})"


class HubAlias(models.Model):
    """A GB or PK alias of a hub user, and the integrator endpoint the hub forwards its envelopes to."""

    class Kind(models.TextChoices):
        GB = "GB", _("Sender unit (GB)")
        PK = "PK", _("Postbox (PK)")

    user = models.ForeignKey(HubUser, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices)
    name = models.CharField(_("alias"), max_length=255)
    document_type = models.CharField(_("document type"), max_length=20, default="Invoice")
    endpoint = models.URLField(_("endpoint"), max_length=500, blank=True,
                               help_text=_("The EFaturaService URL of the integrator serving this alias."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("hub alias")
        verbose_name_plural = _("hub aliases")
        ordering = ["user", "kind", "created_at"]
        # GİB: an alias names one user while it is active; a deleted name may be taken again.
        constraints = [models.UniqueConstraint(fields=["name"], condition=Q(deleted_at__isnull=True), name="hubalias_active_name_unique")]

    def __str__(self):
        return f"{self.kind} {self.name}"


class HubEnvelope(models.Model):
    """An envelope received through sendDocument: the zip as it came, what its header says, its status."""

    uuid = models.UUIDField(_("envelope UUID"), unique=True)
    file_name = models.CharField(_("file name"), max_length=100)
    data = models.BinaryField(_("zip"))
    md5 = models.CharField(_("MD5"), max_length=32)
    type = models.CharField(_("type"), max_length=20, blank=True)
    sender_alias = models.CharField(_("sender alias"), max_length=255, blank=True)
    sender_identifier = models.CharField(_("sender VKN/TCKN"), max_length=11, blank=True)
    receiver_alias = models.CharField(_("receiver alias"), max_length=255, blank=True)
    receiver_identifier = models.CharField(_("receiver VKN/TCKN"), max_length=11, blank=True)
    status = models.PositiveIntegerField(_("status"))
    status_at = models.DateTimeField(_("status since"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # The work a task still owes the envelope (processing it, or its next delivery try) is due at
    # ``due_at`` (empty: none); a worker claims it until ``claimed_until`` (``gibhub.claims``).
    due_at = models.DateTimeField(_("work due at"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)

    class Meta:
        verbose_name = _("hub envelope")
        verbose_name_plural = _("hub envelopes")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["status", "delivered_at"], name="hubenvelope_status_delivered"),
                   models.Index(fields=["due_at"], name="hubenvelope_due")]

    def __str__(self):
        return f"{self.uuid} ({self.status})"


class HubStatusChange(models.Model):
    """One status an envelope took, with GİB's text for it and what caused it."""

    envelope = models.ForeignKey(HubEnvelope, on_delete=models.CASCADE, related_name="status_changes")
    code = models.PositiveIntegerField(_("code"))
    text = models.CharField(_("text"), max_length=250)
    note = models.TextField(_("cause"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["created_at", "id"]


class HubDeliveryAttempt(models.Model):
    """One try to hand an envelope to the receiver's integrator."""

    envelope = models.ForeignKey(HubEnvelope, on_delete=models.CASCADE, related_name="delivery_attempts")
    url = models.CharField(_("endpoint"), max_length=500, blank=True)
    ok = models.BooleanField(_("delivered"))
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["created_at", "id"]


class HubDocument(models.Model):
    """A document the hub has registered (by its UUID, lower-case): sent again, it earns 1163."""

    envelope = models.ForeignKey(HubEnvelope, on_delete=models.CASCADE, related_name="documents")
    uuid = models.CharField(_("UUID"), max_length=64, unique=True)
    element_type = models.CharField(_("element type"), max_length=30)

    class Meta:
        verbose_name = _("registered document")
        verbose_name_plural = _("registered documents")


class ForcedCode(models.Model):
    """A code the hub answers on purpose, *remaining* more times, for envelopes to *receiver_alias*
    (any when blank): a status code at processing, or a fault on a synchronous call."""

    class Operation(models.TextChoices):
        PROCESSING = "processing", _("processing (status code)")
        SEND = "sendDocument", _("sendDocument (fault)")
        QUERY = "getApplicationResponse", _("getApplicationResponse (fault)")
        EARSIV_SEND = "sendDocumentFile", _("e-Arşiv sendDocumentFile (fault)")
        EARSIV_STATUS = "earsivStatus", _("e-Arşiv report status (durumKodu)")

    code = models.PositiveIntegerField(_("code"))
    receiver_alias = models.CharField(_("receiver alias"), max_length=255, blank=True, help_text=_("Blank: any receiver."))
    operation = models.CharField(
        _("applies to"), max_length=30, choices=Operation.choices, blank=True,
        help_text=_("Blank: processing for a status code, getApplicationResponse for 2004, sendDocument for other faults."),
    )
    remaining = models.PositiveIntegerField(_("remaining"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("forced code")
        verbose_name_plural = _("forced codes")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.code} × {self.remaining} ({self.receiver_alias or '*'})"


class HubReport(models.Model):
    """An e-Arşiv report the hub took through EArsivWs.sendDocumentFile, with the durumKodu its checks
    gave; the first getBatchStatus answers 15 (still processing), the next ones that code."""

    number = models.CharField(_("report number (paketId)"), max_length=36, unique=True)
    file_name = models.CharField(_("file name"), max_length=100)
    data = models.BinaryField(_("zip"))
    taxpayer = models.CharField(_("mükellef VKN/TCKN"), max_length=11, blank=True)
    caller = models.CharField(_("WS-Security signer"), max_length=250, blank=True)
    code = models.PositiveIntegerField(_("durumKodu"))
    text = models.TextField(_("durumAciklama"), blank=True)
    polls = models.PositiveIntegerField(_("getBatchStatus calls"), default=0)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("hub e-Arşiv report")
        verbose_name_plural = _("hub e-Arşiv reports")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.number} {self.code}"
