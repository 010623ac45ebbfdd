import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.aliases import validate_alias
from tenants.designs import validate_xslt
from tenants.identifiers import validate_tax_identifier
from tenants.roles import ROLE_PERMISSIONS, Permission, Role


class Tenant(models.Model):
    """A taxpayer (mükellef) that issues and receives invoices through the platform."""

    identifier = models.CharField(_("VKN/TCKN"), max_length=11, unique=True, validators=[validate_tax_identifier])
    title = models.CharField(_("title"), max_length=250, blank=True, help_text=_("Company title; required with a VKN."))
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    tax_office = models.CharField(_("tax office"), max_length=100)
    street = models.CharField(_("street address"), max_length=250, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    country = models.CharField(_("country"), max_length=100, default="Türkiye")
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    efatura_registered = models.BooleanField(
        _("registered e-Fatura user"), default=True, help_text=_("Unset for a taxpayer that issues e-Arşiv invoices only.")
    )
    display_xslt = models.TextField(
        _("invoice design (XSLT)"),
        blank=True,
        validators=[validate_xslt],
        help_text=_("Embedded in every invoice; empty for the platform's default design."),
    )
    sealed_by_integrator = models.BooleanField(
        _("sealed by the integrator"),
        default=False,
        help_text=_("The taxpayer has authorised the integrator to seal its documents with the integrator's seal."),
    )
    owners_must_use_two_factor = models.BooleanField(
        _("owners must use two-factor verification"),
        default=False,
        help_text=_("An owner without an authenticator app set up is sent to set one up before this taxpayer's pages."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["title", "last_name", "first_name"]

    def __str__(self):
        return f"{self.display_name} ({self.identifier})"

    def clean(self):
        if self.is_person and not (self.first_name and self.last_name):
            raise ValidationError(_("A taxpayer with a TCKN needs a first and a last name."), code="person_name")
        if not self.is_person and not self.title:
            raise ValidationError(_("A taxpayer with a VKN needs a title."), code="company_title")

    @property
    def is_person(self) -> bool:
        return len(self.identifier) == 11

    @property
    def display_name(self) -> str:
        return self.title or f"{self.first_name} {self.last_name}".strip()


class Alias(models.Model):
    """A GİB label of a tenant. A deleted alias is kept, with its deletion time, never removed."""

    class Kind(models.TextChoices):
        GB = "GB", _("Sender unit (GB)")
        PK = "PK", _("Postbox (PK)")

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="aliases", verbose_name=_("tenant"))
    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices)
    name = models.CharField(_("alias"), max_length=255, validators=[validate_alias])
    branch = models.CharField(_("branch"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        ordering = ["kind", "name"]
        constraints = [
            # An alias routes envelopes: while it is in use it belongs to one tenant, in one role.
            models.UniqueConstraint(fields=["name"], condition=models.Q(deleted_at__isnull=True), name="alias_active_name_unique"),
        ]

    def __str__(self):
        return f"{self.kind} {self.name}"

    @property
    def is_active(self) -> bool:
        return self.deleted_at is None


class Membership(models.Model):
    """Ties a person to a tenant with a role. One accountant may serve many tenants."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("tenant"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_user_tenant_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="membership_role_known"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.tenant.identifier}: {self.role}"

    def can(self, permission: str) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    @property
    def can_export(self) -> bool:  # for the templates, which cannot pass an argument
        return self.can(Permission.EXPORT)

    @property
    def can_issue(self) -> bool:
        return self.can(Permission.ISSUE)

    @property
    def can_configure(self) -> bool:
        return self.can(Permission.CONFIGURE)

    @property
    def can_manage_members(self) -> bool:
        return self.can(Permission.MANAGE_MEMBERS)


class ApiKey(models.Model):
    """A tenant's key for the REST API. Only its SHA-256 hash is stored; the prefix stays visible
    so a person can tell keys apart."""

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        SEND = "send", _("Send")
        RESPOND = "respond", _("Respond")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys", verbose_name=_("tenant"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.prefix}… ({self.name})"

    def is_usable(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)


class NumberSeries(models.Model):
    """Invoice IDs of one prefix: ``PPPYYYYNNNNNNNNN``, the sequence restarting each year."""

    class Kind(models.TextChoices):
        EFATURA = "efatura", _("e-Fatura")
        EARSIV = "earsiv", _("e-Arşiv")

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="number_series", verbose_name=_("tenant"))
    prefix = models.CharField(
        _("prefix"),
        max_length=3,
        validators=[RegexValidator(r"^[A-Z0-9]{3}$", _("A prefix is three capital letters or digits, such as ABC."))],
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    is_default = models.BooleanField(_("default for its kind"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        ordering = ["prefix"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "prefix"], name="series_tenant_prefix_unique"),
            models.UniqueConstraint(fields=["tenant", "kind"], condition=models.Q(is_default=True), name="series_one_default_per_kind"),
        ]

    def __str__(self):
        return f"{self.prefix} ({self.get_kind_display()})"


class NumberCounter(models.Model):
    """The last number taken in a series for one year."""

    series = models.ForeignKey(NumberSeries, on_delete=models.PROTECT, related_name="counters")
    year = models.PositiveSmallIntegerField(validators=[MinValueValidator(2000)])
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="counter_series_year_unique")]


class CreditAccount(models.Model):
    """A tenant's pay-per-use credit balance (kullandıkça öde). Changed only by the ledger services."""

    tenant = models.OneToOneField(Tenant, on_delete=models.PROTECT, related_name="credit_account")
    balance = models.PositiveIntegerField(default=0)
    low_threshold = models.PositiveIntegerField(
        _("low-balance threshold"), null=True, blank=True, help_text=_("Owners are warned when the balance falls below it; empty for the platform's default.")
    )
    # Set when the balance fell below the threshold and the owners were told; cleared when it is back above.
    low_warned_at = models.DateTimeField(_("low balance warned at"), null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(balance__gte=0), name="credit_balance_not_negative")]


class LedgerEntry(models.Model):
    """One movement of a tenant's credits; the ledger is the history of the balance."""

    class Kind(models.TextChoices):
        TOPUP = "topup", _("Top-up")
        DEBIT = "debit", _("Document sent")
        REFUND = "refund", _("Refund")
        ADJUSTMENT = "adjustment", _("Adjustment")

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("tenant"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount = models.IntegerField(_("amount"), help_text=_("Credits added (positive) or taken (negative)."))
    balance_after = models.PositiveIntegerField(_("balance after"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=250, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]


class Webhook(models.Model):
    """A URL of a tenant's that is told, by a signed POST, what happens to the tenant's invoices.
    The secret signs every delivery; the platform makes it and shows it once (``tenants.webhooks``)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("tenant"))
    url = models.URLField(_("URL"), max_length=1000)
    secret = models.CharField(_("secret"), max_length=100, editable=False)
    events = models.JSONField(_("events"), default=list, blank=True, help_text=_("The events sent; empty for all of them."))
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Unset once the webhook is deleted."))
    # Paused by a person: told nothing new, and what it is owed waits until it is enabled again.
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.url

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events


class WebhookDelivery(models.Model):
    """One event for one webhook, posted until the receiver answers 2xx or the attempts run out.
    While pending, ``next_attempt_at`` is when it is due; a worker claims it by moving that forward."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook"))
    event = models.CharField(_("event"), max_length=50)
    # Sent in the body and the Webhook-Id header: a receiver told twice knows it is the same event.
    event_id = models.UUIDField(_("event ID"), unique=True, default=uuid.uuid4, editable=False)
    payload = models.JSONField(_("payload"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            # beat's scan for due deliveries: only pending ones are ever looked for
            models.Index(fields=["next_attempt_at"], condition=models.Q(state="pending"), name="webhook_delivery_due"),
        ]

    def __str__(self):
        return f"{self.event} {self.event_id}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: what the receiver answered, or why there was no answer."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["at", "id"]


class Invitation(models.Model):
    """An owner's invitation of a person, by e-mail, to a tenant with a role. Only the SHA-256 of the
    link's token is kept. At most one is open (neither accepted nor withdrawn) per address and tenant:
    inviting the address again withdraws the open one (``replaced``) and makes a new link."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("tenant"))
    email = models.EmailField(_("e-mail"))
    name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    language = models.CharField(_("language"), max_length=8, default="tr")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("invited by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("accepted by"))
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    replaced = models.BooleanField(_("replaced by a newer invitation"), default=False)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "email"], condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                                    name="invitation_one_open_per_address"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="invitation_role_known"),
        ]

    def __str__(self):
        return f"{self.email} @ {self.tenant.identifier}: {self.role}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None

    def is_pending(self, at=None) -> bool:
        return self.is_open and self.expires_at > (at or timezone.now())


class AuditEntry(models.Model):
    """One thing a person did in the portal that changes something, or a sign-in, sign-out or failed
    sign-in: who, in which tenant (none for signing in), what (``action``, worded where it is shown,
    from ``params``), on which object, when, from which address, what the page answered and whether
    it refused. Written
    by ``tenants.audit`` only, never changed. Reading and downloading documents is ``archive.Event``'s."""

    at = models.DateTimeField(_("at"), default=timezone.now)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("person"))
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="audit_entries",
                               verbose_name=_("tenant"))
    action = models.CharField(_("action"), max_length=60)
    params = models.JSONField(_("details"), default=dict, blank=True)
    subject_type = models.CharField(_("object"), max_length=30, blank=True)
    subject_ref = models.CharField(_("object reference"), max_length=64, blank=True)
    path = models.CharField(_("address on the portal"), max_length=500, blank=True)
    status_code = models.PositiveSmallIntegerField(_("answer"), null=True, blank=True)
    refused = models.BooleanField(_("refused"), default=False, help_text=_("The page refused it: a 4xx or 5xx, or an error said and nothing done."))
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["tenant", "-id"], name="audit_tenant_newest"),
                   models.Index(fields=["user", "-id"], name="audit_user_newest")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action}"
