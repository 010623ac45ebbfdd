"""The operators' admin. Every write goes through the services, as it does everywhere else."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from tenants.aliases import normalize_alias
from tenants.api_keys import api_key_create, api_key_revoke
from tenants.ledger import credits_add, credits_balance
from integrator.admin import ReadOnly
from tenants.audit import audit_summary
from tenants.models import Alias, ApiKey, AuditEntry, Invitation, LedgerEntry, Membership, NumberSeries, Tenant, Webhook, WebhookAttempt, WebhookDelivery
from tenants.services import alias_delete, check_alias
from tenants.webhooks import EVENTS, check_url, webhook_create, webhook_delete


class AliasForm(forms.ModelForm):
    class Meta:
        model = Alias
        fields = ["kind", "name", "branch"]

    def clean(self):
        data = super().clean()
        if self.instance._state.adding and data.get("name") and data.get("kind") and hasattr(self.instance, "tenant"):
            data["name"] = normalize_alias(data["name"])
            check_alias(tenant=self.instance.tenant, kind=data["kind"], name=data["name"])
        return data


class AliasInline(admin.TabularInline):
    model = Alias
    form = AliasForm
    extra = 0
    readonly_fields = ["created_at", "deleted_at"]
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False  # an alias never changes; retire it and add another


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class NumberSeriesInline(admin.TabularInline):
    model = NumberSeries
    extra = 0
    fields = ["prefix", "kind", "is_default", "created_at"]
    readonly_fields = ["created_at"]
    can_delete = False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["identifier", "display_name", "tax_office", "city", "efatura_registered", "is_active", "credits"]
    list_filter = ["efatura_registered", "is_active"]
    search_fields = ["identifier", "title", "first_name", "last_name"]
    inlines = [AliasInline, MembershipInline, NumberSeriesInline]

    @admin.display(description=_("credits"))
    def credits(self, tenant):
        return credits_balance(tenant=tenant)

    def has_delete_permission(self, request, obj=None):
        return False  # a tenant's documents are archived for ten years; deactivate instead


@admin.register(Alias)
class AliasAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "tenant", "branch", "created_at", "deleted_at"]
    list_filter = ["kind"]
    search_fields = ["name", "tenant__identifier", "tenant__title"]
    actions = ["retire"]

    def has_add_permission(self, request):
        return False  # add aliases from their tenant's page

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retire the selected aliases (kept with their deletion time)"))
    def retire(self, request, queryset):
        for alias in queryset.filter(deleted_at__isnull=True):
            alias_delete(alias=alias)


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple, label=_("scopes"))

    class Meta:
        model = ApiKey
        fields = ["tenant", "name", "scopes", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["prefix", "name", "tenant", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]
    search_fields = ["prefix", "name", "tenant__identifier"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["tenant", "name", "prefix", "scopes", "expires_at", "created_at", "created_by", "revoked_at", "last_used_at"]

    def get_fields(self, request, obj=None):
        return ["tenant", "name", "scopes", "expires_at"] if obj is None else self.get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        api_key, raw_key = api_key_create(
            tenant=data["tenant"], name=data["name"], scopes=data["scopes"], expires_at=data["expires_at"], created_by=request.user
        )
        obj.pk = api_key.pk
        messages.warning(request, _("The new key is %(key)s. Copy it now: it will not be shown again.") % {"key": raw_key})

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)


class TopUpForm(forms.ModelForm):
    amount = forms.IntegerField(min_value=1, label=_("amount"))

    class Meta:
        model = LedgerEntry
        fields = ["tenant", "amount", "note"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """The ledger: read-only history; "add" tops up a tenant's credits."""

    form = TopUpForm
    list_display = ["created_at", "tenant", "kind", "amount", "balance_after", "reference", "note"]
    list_filter = ["kind"]
    search_fields = ["tenant__identifier", "reference"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else [f.name for f in LedgerEntry._meta.fields]

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        entry = credits_add(tenant=data["tenant"], amount=data["amount"], note=data["note"], by=request.user)
        obj.pk = entry.pk


class WebhookForm(forms.ModelForm):
    url = forms.CharField(label=_("URL"), max_length=1000)  # checked by the service's check_url, scheme and all
    events = forms.MultipleChoiceField(
        choices=[(event, event) for event in EVENTS], widget=forms.CheckboxSelectMultiple, required=False, label=_("events"),
        help_text=_("None chosen: all of them."),
    )

    class Meta:
        model = Webhook
        fields = ["tenant", "url", "events"]

    def clean_url(self):
        check_url(self.cleaned_data["url"].strip())  # the service checks again; here its refusal shows on the form
        return self.cleaned_data["url"]


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """Webhooks are made by the service, which checks the URL and makes the secret; the secret is shown
    once, when it is made, and never listed."""

    form = WebhookForm
    list_display = ["url", "tenant", "events", "is_active", "enabled", "created_at"]
    list_filter = ["is_active", "enabled"]
    search_fields = ["url", "tenant__identifier", "tenant__title"]
    actions = ["deactivate"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            return super().get_form(request, obj, **kwargs)
        return forms.modelform_factory(Webhook, fields=[])  # every field is read-only: nothing to check

    def get_fields(self, request, obj=None):
        return ["tenant", "url", "events"] if obj is None else self.get_readonly_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["tenant", "url", "events", "is_active", "enabled", "created_at", "created_by"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the deliveries stay as its log

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        webhook, secret = webhook_create(tenant=data["tenant"], url=data["url"], events=data["events"], created_by=request.user)
        obj.pk = webhook.pk
        messages.warning(request, _("The webhook's secret is %(secret)s. Copy it now: it will not be shown again.") % {"secret": secret})

    @admin.action(description=_("Deactivate the selected webhooks"))
    def deactivate(self, request, queryset):
        for webhook in queryset.filter(is_active=True):
            webhook_delete(webhook=webhook)


class WebhookAttemptInline(ReadOnly, admin.TabularInline):
    model = WebhookAttempt
    fields = ["at", "status_code", "error", "duration_ms"]
    extra = 0


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "event", "webhook", "state", "attempts", "next_attempt_at", "last_status_code"]
    list_filter = ["state", "event"]
    search_fields = ["=event_id", "webhook__url", "=webhook__tenant__identifier"]
    list_select_related = ["webhook"]
    inlines = [WebhookAttemptInline]


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "delivery", "status_code", "error", "duration_ms"]
    search_fields = ["=delivery__event_id", "delivery__webhook__url"]
    list_select_related = ["delivery"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["email", "tenant", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email", "tenant__identifier", "tenant__title"]
    exclude = ["token_hash"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly, admin.ModelAdmin):
    """What people did in the portal, signing in and out among it: searched by person, tenant, action."""

    list_display = ["at", "user", "tenant", "action", "summary", "subject_type", "subject_ref", "status_code", "client_ip"]
    list_filter = ["action"]
    search_fields = ["user__username", "user__email", "tenant__identifier", "action", "subject_ref", "client_ip"]
    date_hierarchy = "at"

    @admin.display(description=_("summary"))
    def summary(self, entry):
        return audit_summary(entry)
