from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Envelope(models.Model):
    """One envelope (zarf) of a tenant, as sent to GİB or as GİB pushed it to us, with its zip.

    Outgoing envelopes are polled until GİB's code is final; ``next_poll_at`` is also the claim: a
    poller takes an envelope by moving it forward with a conditional update, so many workers never
    poll the same envelope at once.
    """

    class Direction(models.TextChoices):
        OUTGOING = "out", _("Outgoing")
        INCOMING = "in", _("Incoming")

    class Type(models.TextChoices):
        SENDER = "SENDERENVELOPE", _("invoices")
        POSTBOX = "POSTBOXENVELOPE", _("application responses")
        SYSTEM = "SYSTEMENVELOPE", _("system response")

    class State(models.TextChoices):
        PACKED = "packed", _("packed, not sent yet")
        SENDING = "sending", _("being handed to GİB")
        SENT = "sent", _("sent, GİB is processing it")
        DONE = "done", _("final")
        RECEIVED = "received", _("received")
        REFUSED = "refused", _("refused")

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="envelopes", verbose_name=_("tenant"))
    uuid = models.UUIDField(_("envelope ID"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    sender_alias = models.CharField(_("sender alias"), max_length=255)
    receiver_alias = models.CharField(_("receiver alias"), max_length=255)
    party_identifier = models.CharField(_("VKN/TCKN of the other party"), max_length=11, blank=True)
    file_name = models.CharField(_("file name"), max_length=60)
    data = models.BinaryField(_("zip"), null=True, blank=True, help_text=_("Only until it is sent: then the archive holds it (document)."))
    document = models.ForeignKey(
        "archive.Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("archived zip"),
        help_text=_("The zip as sent (archived before it goes) or as received."),
    )
    md5 = models.CharField(_("MD5"), max_length=32)
    code = models.PositiveSmallIntegerField(_("GİB status code"), null=True, blank=True)
    text = models.TextField(_("status text"), blank=True)
    attention = models.TextField(_("needs attention"), blank=True, help_text=_("Why a person must look, if one must."))
    answers = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="answered_by",
        verbose_name=_("answers"), help_text=_("For a system response: the envelope it answers."),
    )
    waits_for_credits = models.BooleanField(_("waits for credits"), default=False, help_text=_("Packed, not sent: the tenant had too few credits."))
    send_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    polls = models.PositiveIntegerField(_("polls"), default=0)
    next_poll_at = models.DateTimeField(_("next poll at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("envelope")
        verbose_name_plural = _("envelopes")
        ordering = ["-created_at"]
        constraints = [
            # The same envelope is outgoing for its sender and incoming for its receiver when both are tenants.
            models.UniqueConstraint(fields=["uuid", "direction"], name="envelope_uuid_unique_per_direction"),
        ]
        indexes = [models.Index(fields=["state", "next_poll_at"], name="envelope_due")]

    def __str__(self):
        return f"{self.type} {self.uuid} ({self.code or self.get_state_display()})"


class EnvelopeStateChange(models.Model):
    """Every move of an envelope from one state to another (``envelopes.states.TRANSITIONS``), with
    what moved it and when."""

    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="state_changes")
    from_state = models.CharField(_("from"), max_length=10, choices=Envelope.State.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=10, choices=Envelope.State.choices)
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("envelope state change")
        verbose_name_plural = _("envelope state changes")


class EnvelopeStatus(models.Model):
    """Every status an envelope had: GİB's code and text, where it came from, and when."""

    class Source(models.TextChoices):
        SEND = "send", _("sendDocument")
        POLL = "poll", _("getApplicationResponse")
        PUSH = "push", _("system response pushed to us")
        PLATFORM = "platform", _("the platform")

    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="statuses")
    code = models.PositiveSmallIntegerField(_("code"), null=True, blank=True)
    text = models.TextField(_("text"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("envelope status")
        verbose_name_plural = _("envelope statuses")
