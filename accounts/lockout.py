"""Failed logins and the lock they lead to (django-axes, configured in the settings): whose address
a login comes from, the page a locked-out person sees, and the log line of each lock."""

import logging

from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Max, Q
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

from envelopes.access import PushRefused, client_address as forwarded_address

logger = logging.getLogger(__name__)


def client_address(request) -> str | None:
    """The address failures are counted against: the connecting one, or the client a trusted proxy
    (``GIB_PUSH_TRUSTED_PROXIES``) names, as for GİB's pushes. What cannot be read counts against
    the connecting address: a forged header never frees anyone from the count."""
    try:
        address = forwarded_address(meta=request.META)
    except PushRefused:
        return request.META.get("REMOTE_ADDR") or None
    return str(address) if address is not None else None


def locked_until(*, username: str, address: str | None):
    """When the lock on *username* or *address* ends: the last counted failure, plus the lockout."""
    lockout = settings.AXES_COOLOFF_TIME
    last = AccessAttempt.objects.filter(
        Q(username=username) | Q(ip_address=address), attempt_time__gte=timezone.now() - lockout
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + lockout


def lockout_response(request, original_response=None, credentials=None):
    """The login page's answer while locked (429): until when, in the person's language."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    until = locked_until(username=username, address=getattr(request, "axes_ip_address", None))
    return render(request, "registration/locked.html", {"until": until, "username": username}, status=429)


@receiver(user_locked_out)
def _log_lock(sender, request, username, ip_address, **kwargs):
    logger.warning(
        "login locked: username=%r address=%s after %d failures, until %s",
        username, ip_address, settings.LOGIN_FAILURES_ALLOWED,
        locked_until(username=username or "", address=ip_address).isoformat(),
    )
