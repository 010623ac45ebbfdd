from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RegisteredUser(models.Model):
    """A taxpayer on GİB's registered-user list (kayıtlı kullanıcı listesi).

    GİB's copy is the truth: rows are written only by ``directory.importing.userlist_import``, which
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
        db_table = "envelopes_registereduser"  # where the list has always been
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
    # No constraint in the database either: the list's import is the only writer, under a lock on both
    # tables, and it inserts aliases by joining them to their users and removes only users left with
    # none, so it makes no alias without its user. Checked by the database, the check of every alias
    # at commit was a sixth of importing a million users.
    user = models.ForeignKey(
        RegisteredUser, on_delete=models.CASCADE, related_name="aliases", db_index=False, db_constraint=False, verbose_name=_("user")
    )
    document_type = models.CharField(_("document type"), max_length=20)  # Invoice, DespatchAdvice
    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices)
    name = models.CharField(_("alias"), max_length=255)
    created_at = models.DateTimeField(_("created at"))
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        db_table = "envelopes_registeredalias"
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
        db_table = "envelopes_userlistimport"
        verbose_name = _("user-list import")
        verbose_name_plural = _("user-list imports")
        ordering = ["-started_at"]

    def __str__(self):
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M} {self.status}"
