"""The portal's API keys and webhooks pages: for those who may configure the tenant."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants.api_keys import api_key_create, api_key_revoke
from tenants.models import Membership, Webhook
from tenants.portal_forms import EVENT_LABELS, ApiKeyForm, WebhookForm
from tenants.roles import Permission
from tenants.selectors import api_key_of, api_keys_of, memberships_of, webhook_of
from tenants.views import membership_or_404
from tenants.webhooks import webhook_create, webhook_delete, webhook_ping, webhook_set_enabled, webhooks_of


ONCE_SECONDS = 24 * 3600  # how long a form's one-time token is remembered


def _configurer(request, identifier: str) -> Membership:
    membership = membership_or_404(request, identifier)
    if not membership.can(Permission.CONFIGURE):
        raise PermissionDenied
    return membership


def _page(request, membership: Membership, template: str, **context):
    context = {"membership": membership, "tenant": membership.tenant, "memberships": memberships_of(user=request.user),
               "once": secrets.token_urlsafe(16), **context}
    return render(request, template, context)


def _sent_again(request) -> bool:
    """Whether this valid POST repeats one that made a key or webhook already: a reload of the page that
    showed the secret sends the form's one-time token again, and must not make a second one. Claimed
    with an atomic add, so a double click makes one too."""
    token = request.POST.get("once", "")[:64]
    return bool(token) and not cache.add(_once_key(request, token), True, ONCE_SECONDS)


def _once_key(request, token: str) -> str:
    return f"portal:once:{request.user.pk}:{token}"


def _refused(request, form, exc: ValidationError, field: str | None = None) -> None:
    """The service refused what the form held: say why, and let the same form be sent again corrected."""
    cache.delete(_once_key(request, request.POST.get("once", "")[:64]))
    form.add_error(field, exc)


@login_required
def api_keys(request, identifier: str):
    """The tenant's keys; a new key's secret is shown on the answer to the POST that made it, and never again."""
    membership = _configurer(request, identifier)
    form, created = ApiKeyForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        if _sent_again(request):
            messages.info(request, _("That form was sent already: the key it made is listed here, and its secret is not shown again."))
            return redirect("portal:api-keys", identifier)
        try:
            created = api_key_create(
                tenant=membership.tenant, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(), created_by=request.user,
            )
        except ValidationError as exc:
            _refused(request, form, exc)
        else:
            form = ApiKeyForm()
    response = _page(request, membership, "portal/keys/api_keys.html", form=form, created=created,
                     keys=api_keys_of(tenant=membership.tenant), now=timezone.now())
    if created:
        add_never_cache_headers(response)  # the secret stays in no cache
    return response


@login_required
def api_key_revoke_page(request, identifier: str, key_id: int):
    """Asks first; revoking cannot be undone."""
    membership = _configurer(request, identifier)
    api_key = api_key_of(tenant=membership.tenant, key_id=key_id)
    if api_key is None:
        raise Http404
    if request.method == "POST":
        api_key_revoke(api_key=api_key)
        messages.success(request, _("The API key %(prefix)s… is revoked: calls with it are refused from now on.") % {"prefix": api_key.prefix})
        return redirect("portal:api-keys", identifier)
    return _page(request, membership, "portal/keys/revoke.html", api_key=api_key)


def _webhook_or_404(membership: Membership, webhook_id: int) -> Webhook:
    webhook = webhook_of(tenant=membership.tenant, webhook_id=webhook_id)
    if webhook is None:
        raise Http404
    return webhook


@login_required
def webhooks_page(request, identifier: str):
    """The tenant's webhooks; a new one's secret is shown on the answer to the POST that made it, and never again."""
    membership = _configurer(request, identifier)
    form, created = WebhookForm(request.POST or None), None
    if request.method == "POST" and form.is_valid():
        if _sent_again(request):
            messages.info(request, _("That form was sent already: the webhook it made is listed here, and its secret is not shown again."))
            return redirect("portal:webhooks", identifier)
        try:
            created = webhook_create(tenant=membership.tenant, created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _refused(request, form, exc, "url" if exc.code and exc.code.startswith("webhook_url") else None)
        else:
            form = WebhookForm()
    hooks = [(webhook, [EVENT_LABELS[event] for event in webhook.events]) for webhook in webhooks_of(tenant=membership.tenant)]
    response = _page(request, membership, "portal/webhooks/list.html", form=form, created=created, webhooks=hooks)
    if created:
        add_never_cache_headers(response)
    return response


@login_required
def webhook_page(request, identifier: str, webhook_id: int):
    """One webhook and its delivery log, the latest 100 events."""
    membership = _configurer(request, identifier)
    webhook = _webhook_or_404(membership, webhook_id)
    deliveries = webhook.deliveries.order_by("-created_at", "-id")[:100]
    log = [(delivery, EVENT_LABELS.get(delivery.event, delivery.event)) for delivery in deliveries]
    return _page(request, membership, "portal/webhooks/detail.html", webhook=webhook, deliveries=log,
                 events=[EVENT_LABELS[event] for event in webhook.events])


@require_POST
@login_required
def webhook_action(request, identifier: str, webhook_id: int, action: str):
    """Pause, enable or test a webhook; deleting asks first (its GET shows the question)."""
    membership = _configurer(request, identifier)
    webhook = _webhook_or_404(membership, webhook_id)
    if action in ("enable", "disable"):
        webhook_set_enabled(webhook=webhook, enabled=action == "enable")
        messages.success(request, _("The webhook is enabled.") if webhook.enabled else _("The webhook is paused: it is told nothing until it is enabled again."))
    elif action == "ping":
        try:
            with transaction.atomic():
                webhook_ping(webhook=webhook)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("A test event was sent; its delivery is in the log below."))
    else:
        raise Http404
    return redirect("portal:webhook", identifier, webhook.id)


@login_required
def webhook_delete_page(request, identifier: str, webhook_id: int):
    membership = _configurer(request, identifier)
    webhook = _webhook_or_404(membership, webhook_id)
    if request.method == "POST":
        webhook_delete(webhook=webhook)
        messages.success(request, _("The webhook %(url)s is deleted; what it was still owed is not sent.") % {"url": webhook.url})
        return redirect("portal:webhooks", identifier)
    return _page(request, membership, "portal/webhooks/delete.html", webhook=webhook)
