"""Codes the gateway answers on purpose, so that every branch of the SMS transports can be driven over
HTTP: each is used up one message at a time, in the order they were given."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from integrator.errors import DomainError
from smsgateway import codes
from smsgateway.models import ForcedCode, Provider


class ForceInvalid(DomainError):
    code = "smsgateway_force_invalid"
    message = _("Cannot force %(code)s: %(reason)s")


def check_force(*, provider: str, code: str, times: int) -> str:
    """*code* as *provider* writes it, if the gateway can answer it *times* times."""
    if provider not in codes.PROVIDERS:
        raise ForceInvalid(code=code, reason=_("there is no provider %(provider)s.") % {"provider": provider})
    if times < 1:
        raise ForceInvalid(code=code, reason=_("it must be used at least once."))
    code = codes.normalize(provider, code)
    if code not in codes.forcible(provider):
        raise ForceInvalid(code=code, reason=_("%(provider)s answers one of %(codes)s.") % {
            "provider": Provider(provider).label, "codes": ", ".join(codes.forcible(provider))})
    return code


def gateway_force(*, provider: str, code: str, times: int = 1) -> ForcedCode:
    """Answer *code* to the next *times* messages to *provider*'s API."""
    code = check_force(provider=provider, code=code, times=times)
    return ForcedCode.objects.create(provider=provider, code=code, remaining=times)


def gateway_clear_forced(*, provider: str | None = None) -> int:
    """Forget the forced codes not yet used up (*provider*'s only, when given); how many were left."""
    waiting = ForcedCode.objects.filter(remaining__gt=0)
    if provider:
        waiting = waiting.filter(provider=provider)
    return waiting.update(remaining=0)


def claim_forced(*, provider: str) -> str | None:
    """Use up the oldest forced code for *provider*; None: none is left.

    Safe with many server threads: a use is claimed by a conditional update, and only a claim that
    changed a row counts.
    """
    for forced in ForcedCode.objects.filter(provider=provider, remaining__gt=0).order_by("created_at", "id"):
        if ForcedCode.objects.filter(pk=forced.pk, remaining__gt=0).update(remaining=F("remaining") - 1):
            return forced.code
    return None
