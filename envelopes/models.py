from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RegisteredUser(models.Model):
    """A taxpayer on GİB's registered-user list (kayıtlı kullanıcı listesi).

    GİB's copy is the truth: rows are written only by ``envelopes.userlist.userlist_import``, which
    replaces them with each list in one transaction, and never edited here.
    """

    class Type(models.TextChoices):
        OZEL = "OZEL", _("private")
        KAMU = "KAMU", _("public body")

    class AccountType(models.TextChoices):
        GIBPORTAL = "GIBPORTAL", _("GİB portal")
        ENTEGRASYON = "ENTEGRASYON", _("direct integration")
        OZELENTEGRASYON = "OZELENTEGRASYON", _("private integrator")

    # Kept as GİB writes them (no check constraint): an unexpected value must not stop an import.
    identifier = models.CharField(_("VKN/TCKN"), max_length=11)
    title = models.TextField(_("title"), blank=True)
    type = models.CharField(_("type"), max_length=20, blank=True, choices=Type.choices)
    account_type = models.CharField(_("account type"), max_length=20, blank=True, choices=AccountType.choices)
    first_created_at = models.DateTimeField(_("first created at"))

    class Meta:
        verbose_name = _("registered user")
        verbose_name_plural = _("registered users")
        # A constraint rather than unique=True: on PostgreSQL that would add a second (LIKE) index,
        # which every import would maintain for a million rows and no lookup would use.
        constraints = [models.UniqueConstraint(fields=["identifier"], name="reguser_identifier_unique")]

    def __str__(self):
        return f"{self.title} ({self.identifier})"


class RegisteredAlias(models.Model):
    """One alias of a registered user, for one document type, in one role (GB or PK).

    GİB lists deleted aliases too, with their deletion time: an alias is active while it has none
    (or one still in the future).
    """

    class Kind(models.TextChoices):
        GB = "GB", _("Sender unit (GB)")
        PK = "PK", _("Postbox (PK)")

    # The composite index below serves the foreign key as well, so the column gets no index of its own.
    user = models.ForeignKey(
        RegisteredUser, on_delete=models.CASCADE, related_name="aliases", db_index=False, verbose_name=_("user")
    )
    document_type = models.CharField(_("document type"), max_length=20)  # Invoice, DespatchAdvice
    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices)
    name = models.CharField(_("alias"), max_length=255)
    created_at = models.DateTimeField(_("created at"))
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("registered alias")
        verbose_name_plural = _("registered aliases")
        indexes = [models.Index(fields=["user", "kind", "document_type"], name="regalias_user_kind_doc")]

    def __str__(self):
        return f"{self.kind} {self.name}"


class UserListImport(models.Model):
    """One run of ``userlist_import``: written when it starts and again when it ends, outside the
    transaction that replaces the list, so a failed run is recorded with its error."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("list"), max_length=2, choices=RegisteredAlias.Kind.choices)
    source = models.CharField(_("source"), max_length=500)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    users = models.PositiveIntegerField(_("users"), default=0)
    aliases = models.PositiveIntegerField(_("aliases"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0, help_text=_("Users without an identifier."))
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("user-list import")
        verbose_name_plural = _("user-list imports")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


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
    data = models.BinaryField(_("zip"))
    md5 = models.CharField(_("MD5"), max_length=32)
    code = models.PositiveSmallIntegerField(_("GİB status code"), null=True, blank=True)
    text = models.TextField(_("status text"), blank=True)
    attention = models.TextField(_("needs attention"), blank=True, help_text=_("Why a person must look, if one must."))
    answers = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="answered_by",
        verbose_name=_("answers"), help_text=_("For a system response: the envelope it answers."),
    )
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
