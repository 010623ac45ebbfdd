"""The usage ledger (kullandıkça öde): every credit movement is a row; a balance never goes below zero.

A balance that falls below the tenant's threshold (``CreditAccount.low_threshold``, else
``CREDITS_LOW_DEFAULT``) warns its owners once: the debit that crosses it claims the warning on the
account row it holds locked (``low_warned_at``), and the e-mail goes when that debit commits; credits
that bring the balance back to the threshold or above clear it, so the next crossing warns again.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrator.errors import DomainError
from tenants.models import CreditAccount, LedgerEntry, Tenant
from tenants.signals import credits_added

NOTE_MAX = LedgerEntry._meta.get_field("note").max_length


class InsufficientCredits(DomainError):
    code = "insufficient_credits"
    message = _("%(tenant)s has %(balance)d credits left and needs %(amount)d; buy credits to send documents.")


def credits_balance(*, tenant: Tenant) -> int:
    return CreditAccount.objects.filter(tenant=tenant).values_list("balance", flat=True).first() or 0


def credits_threshold(*, account: CreditAccount | None) -> int:
    if account is None or account.low_threshold is None:
        return settings.CREDITS_LOW_DEFAULT
    return account.low_threshold


def check_can_send(*, tenant: Tenant) -> None:
    """Raises InsufficientCredits for a tenant with no credit left: nothing it sends could go."""
    balance = credits_balance(tenant=tenant)
    if balance < 1:
        raise InsufficientCredits(tenant=tenant.display_name, balance=balance, amount=1)


@transaction.atomic
def credits_add(*, tenant: Tenant, amount: int, kind: str = LedgerEntry.Kind.TOPUP, note: str = "", by=None) -> LedgerEntry:
    """Add credits; what waited for them goes out once this commits (``tenants.signals.credits_added``)."""
    if amount <= 0:
        raise ValueError("credits_add takes a positive amount")
    account, _created = CreditAccount.objects.select_for_update().get_or_create(tenant=tenant)
    account.balance = F("balance") + amount
    account.save(update_fields=["balance"])
    account.refresh_from_db(fields=["balance"])
    if account.low_warned_at is not None and account.balance >= credits_threshold(account=account):
        CreditAccount.objects.filter(id=account.id).update(low_warned_at=None)
    entry = LedgerEntry.objects.create(tenant=tenant, kind=kind, amount=amount, balance_after=account.balance, note=note, created_by=by)
    credits_added.send(sender=CreditAccount, tenant=tenant)
    return entry


def credits_topup(*, tenant: Tenant, amount: int, note: str, by) -> LedgerEntry:
    """A top-up by the integrator's staff, with a note saying why (a payment, a package)."""
    if not getattr(by, "is_staff", False):
        raise PermissionDenied
    note = note.strip()
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationError(_("The amount must be a positive whole number of credits."), code="topup_amount")
    if not note:
        raise ValidationError(_("Say why the credits are added (a payment, a package)."), code="topup_note")
    if len(note) > NOTE_MAX:
        raise ValidationError(_("The note is at most %(limit)d characters."), code="topup_note_long", params={"limit": NOTE_MAX})
    return credits_add(tenant=tenant, amount=amount, note=note, by=by)


@transaction.atomic
def credits_set_threshold(*, tenant: Tenant, threshold: int | None) -> CreditAccount:
    """The balance below which the owners are warned; None for the platform's default."""
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0):
        raise ValidationError(_("The threshold must be a whole number of credits, zero or more."), code="threshold_invalid")
    account, _created = CreditAccount.objects.select_for_update().get_or_create(tenant=tenant)
    account.low_threshold = threshold
    if account.balance >= credits_threshold(account=account):
        account.low_warned_at = None
    account.save(update_fields=["low_threshold", "low_warned_at"])
    return account


def credits_debit(*, tenant: Tenant, reference: str, amount: int = 1) -> LedgerEntry:
    """Take *amount* credits for the document *reference*.

    Call it inside the transaction that sends the document: the conditional UPDATE takes credits
    only where enough remain and holds the row until commit, so concurrent debits queue and none
    drives the balance below zero; a rollback gives the credit back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("credits_debit must run inside the transaction that sends the document")
    taken = CreditAccount.objects.filter(tenant=tenant, balance__gte=amount).update(balance=F("balance") - amount)
    if not taken:
        raise InsufficientCredits(tenant=tenant.display_name, balance=credits_balance(tenant=tenant), amount=amount)
    account = CreditAccount.objects.get(tenant=tenant)
    _warn_when_low(account)
    return LedgerEntry.objects.create(
        tenant=tenant, kind=LedgerEntry.Kind.DEBIT, amount=-amount, balance_after=account.balance, reference=reference
    )


def _warn_when_low(account: CreditAccount) -> None:
    """The debit that takes the balance below the threshold claims the warning; it is sent on commit."""
    if account.low_warned_at is not None or account.balance >= credits_threshold(account=account):
        return
    if CreditAccount.objects.filter(id=account.id, low_warned_at__isnull=True).update(low_warned_at=timezone.now()):
        from tenants.tasks import credits_low_warn

        transaction.on_commit(lambda: credits_low_warn.delay(account.tenant_id))


def credits_standing(*, tenants) -> dict[int, tuple[int, int]]:
    """(balance, the threshold below which it is low) of many tenants at once, in one query."""
    found = {row[0]: row[1:] for row in CreditAccount.objects.filter(tenant__in=tenants).values_list("tenant_id", "balance", "low_threshold")}
    return {tenant.id: (found.get(tenant.id, (0, None))[0], _threshold(found.get(tenant.id, (0, None))[1])) for tenant in tenants}


def _threshold(value: int | None) -> int:
    return settings.CREDITS_LOW_DEFAULT if value is None else value
