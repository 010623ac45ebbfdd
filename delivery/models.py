from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.models import Invoice
from tenants.models import Tenant


class Preferences(models.Model):
    """How a tenant's e-Arşiv invoices reach their buyers: by e-mail, SMS, both or neither, from which
    name, and in which words. A tenant without a row has the defaults (``preferences_of``)."""

    class Channels(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")
        BOTH = "both", _("e-mail and SMS")
        NONE = "none", _("neither: the tenant delivers them itself")

    class Language(models.TextChoices):
        TURKISH = "tr", _("Turkish")
        ENGLISH = "en", _("English")

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="delivery_preferences", verbose_name=_("tenant"))
    channels = models.CharField(_("e-Arşiv invoices go out by"), max_length=5, choices=Channels.choices, default=Channels.BOTH)
    sender_name = models.CharField(_("sender name"), max_length=100, blank=True, help_text=_("The e-mail's From name; empty: the tenant's title."))
    reply_to = models.EmailField(_("reply-to address"), blank=True)
    sms_header = models.CharField(_("SMS header"), max_length=11, blank=True, help_text=_("The sender name registered with the SMS provider; empty: the platform's."))
    language = models.CharField(_("language of the messages"), max_length=2, choices=Language.choices, default=Language.TURKISH)
    email_text_tr = models.TextField(_("e-mail text (Turkish)"), blank=True, help_text=_("Empty: the platform's text."))
    email_text_en = models.TextField(_("e-mail text (English)"), blank=True, help_text=_("Empty: the platform's text."))
    sms_text_tr = models.CharField(_("SMS text (Turkish)"), max_length=300, blank=True, help_text=_("Empty: the platform's text."))
    sms_text_en = models.CharField(_("SMS text (English)"), max_length=300, blank=True, help_text=_("Empty: the platform's text."))

    class Meta:
        verbose_name = _("delivery preferences")
        verbose_name_plural = _("delivery preferences")

    def __str__(self):
        return f"{self.tenant}: {self.get_channels_display()}"

    def by_email(self) -> bool:
        return self.channels in (self.Channels.EMAIL, self.Channels.BOTH)

    def by_sms(self) -> bool:
        return self.channels in (self.Channels.SMS, self.Channels.BOTH)


class Link(models.Model):
    """The buyer's link to an outgoing invoice (``/e/<token>``): 256 random bits, not derived from
    anything about the invoice, shown without a login until revoked. One live link per invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="links", verbose_name=_("invoice"))
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("last opened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("buyer's link")
        verbose_name_plural = _("buyers' links")
        constraints = [models.UniqueConstraint(fields=["invoice"], condition=models.Q(revoked_at__isnull=True), name="link_one_live_per_invoice")]

    def __str__(self):
        return f"{self.invoice.number} ({'revoked' if self.revoked_at else 'live'})"


class Plan(models.Model):
    """An invoice whose deliveries were decided (perhaps none, by the tenant's preferences): the
    sweeper plans those a lost message left undecided, and nothing is planned twice."""

    invoice = models.OneToOneField(Invoice, on_delete=models.CASCADE, related_name="+", verbose_name=_("invoice"))
    created_at = models.DateTimeField(_("planned at"), default=timezone.now)


class Delivery(models.Model):
    """One invoice to one address by one channel: sent when planned (``AUTOMATIC``) or asked for by a
    person or an ERP (``REQUESTED``). Every try is an Attempt; a temporary failure is tried again with
    backoff (``next_attempt_at``), a permanent one ends it.

    A worker *claims* a delivery (PENDING → SENDING with ``claimed_at``, a conditional update), records
    the attempt as started, sends, then records the result. A worker killed after sending and before
    recording leaves an attempt without a result: it counts as sent-perhaps, and the delivery is tried
    once more at most (``uncertain``), so it is sent at most twice and recorded once."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("SMS")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("sending")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    class Origin(models.TextChoices):
        AUTOMATIC = "automatic", _("when sealed")
        REQUESTED = "requested", _("asked for")

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", verbose_name=_("tenant"))
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("invoice"))
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    address = models.CharField(_("to"), max_length=254, help_text=_("An e-mail address, or a mobile number as 5XXXXXXXXX."))
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices, default=Origin.AUTOMATIC)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("asked for by"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    uncertain = models.BooleanField(_("perhaps sent"), default=False,
                                    help_text=_("A worker stopped between sending and recording: tried once more at most."))
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    result = models.TextField(_("last result"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_due")]
        constraints = [
            # Planning twice (a task run again) makes no second automatic delivery to the same address.
            models.UniqueConstraint(fields=["invoice", "channel", "address"], condition=models.Q(origin="automatic"),
                                    name="delivery_automatic_once"),
        ]

    def __str__(self):
        return f"{self.invoice.number} → {self.address} ({self.get_state_display()})"


class Attempt(models.Model):
    """One try of a delivery: when, to whom, and what the other side answered (the SMTP reply, the SMS
    provider's code). A row without ``finished_at`` is a try whose worker stopped mid-way."""

    class Result(models.TextChoices):
        SENT = "sent", _("sent")
        TEMPORARY = "temporary", _("failed, to be tried again")
        PERMANENT = "permanent", _("failed for good")
        UNKNOWN = "unknown", _("unknown: the worker stopped")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries", verbose_name=_("delivery"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    address = models.CharField(_("to"), max_length=254)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, blank=True)
    code = models.CharField(_("code"), max_length=40, blank=True)
    reply = models.TextField(_("reply"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["started_at", "id"]
