"""Codes the hub answers on purpose, so that every branch of the platform's envelope state machine can
be driven over HTTP: a status code (11xx–13xx) replaces an envelope's processing, a fault (2xxx)
answers a synchronous call. Each is used up one envelope (or call) at a time; system envelopes, the
hub's own plumbing, are never forced."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from gibhub.models import ForcedCode
from integrator.errors import DomainError
from tenants.aliases import normalize_alias

Operation = ForcedCode.Operation
QUERY_FAULTS = (2004,)  # ZARF ID BULUNAMADI answers getApplicationResponse; the other faults sendDocument


class ForceInvalid(DomainError):
    code = "gibhub_force_invalid"
    message = _("Cannot force %(code)s: %(reason)s")


def default_operation(code: int) -> str:
    if code >= 2000:
        return Operation.QUERY if code in QUERY_FAULTS else Operation.SEND
    return Operation.PROCESSING


def check_force(*, code: int, times: int, operation: str) -> None:
    if times < 1:
        raise ForceInvalid(code=code, reason=_("it must be used at least once."))
    if operation == Operation.PROCESSING and not 1100 <= code <= 1999:
        # 1000 is the synchronous answer of every accepted envelope: there is nothing to force.
        raise ForceInvalid(code=code, reason=_("a status code is between 1100 and 1999."))
    if operation != Operation.PROCESSING and not 2000 <= code <= 2999:
        raise ForceInvalid(code=code, reason=_("a fault code is between 2000 and 2999."))


def hub_force(*, code: int, receiver_alias: str = "", times: int = 1, operation: str | None = None) -> ForcedCode:
    """Answer *code* for the next *times* envelopes to *receiver_alias* (any receiver when blank).

    By default a status code applies at processing, fault 2004 to getApplicationResponse and any
    other fault to sendDocument; *operation* says otherwise.
    """
    operation = operation or default_operation(code)
    check_force(code=code, times=times, operation=operation)
    alias = normalize_alias(receiver_alias) if receiver_alias.strip() else ""
    return ForcedCode.objects.create(code=code, receiver_alias=alias, operation=operation, remaining=times)


def claim_forced(*, operation: str, receiver_alias: str) -> int | None:
    """Use up one forced code for this call, one naming the receiver before one for any; None: none.

    Safe with many workers: a use is claimed by a conditional update, and only a claim that changed
    a row counts.
    """
    alias = normalize_alias(receiver_alias) if receiver_alias else ""
    candidates = ForcedCode.objects.filter(operation=operation, remaining__gt=0, receiver_alias__in={alias, ""})
    for forced in sorted(candidates, key=lambda f: (f.receiver_alias == "", f.created_at, f.pk)):
        if ForcedCode.objects.filter(pk=forced.pk, remaining__gt=0).update(remaining=F("remaining") - 1):
            return forced.code
    return None
