"""The usage ledger (kullandıkça öde): every credit movement is a row; a balance never goes below zero."""

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from integrator.errors import DomainError
from tenants.models import CreditAccount, LedgerEntry, Tenant


class InsufficientCredits(DomainError):
    code = "insufficient_credits"
    message = _("%(tenant)s has %(balance)d credits left and needs %(amount)d; buy credits to send documents.")


def credits_balance(*, tenant: Tenant) -> int:
    return CreditAccount.objects.filter(tenant=tenant).values_list("balance", flat=True).first() or 0


@transaction.atomic
def credits_add(*, tenant: Tenant, amount: int, kind: str = LedgerEntry.Kind.TOPUP, note: str = "", by=None) -> LedgerEntry:
    if amount <= 0:
        raise ValueError("credits_add takes a positive amount")
    account, _created = CreditAccount.objects.select_for_update().get_or_create(tenant=tenant)
    account.balance = F("balance") + amount
    account.save(update_fields=["balance"])
    account.refresh_from_db(fields=["balance"])
    return LedgerEntry.objects.create(tenant=tenant, kind=kind, amount=amount, balance_after=account.balance, note=note, created_by=by)


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
    balance = CreditAccount.objects.filter(tenant=tenant).values_list("balance", flat=True).get()
    return LedgerEntry.objects.create(
        tenant=tenant, kind=LedgerEntry.Kind.DEBIT, amount=-amount, balance_after=balance, reference=reference
    )


CREDITS_LOW = 100  # below this a tenant is shown as running low


def credits_low_below(*, tenant: Tenant) -> int:
    """The balance under which *tenant*'s credits are shown as running low."""
    return CREDITS_LOW


def credits_balances(*, tenants) -> dict[int, int]:
    """``credits_balance`` for many tenants at once, in one query."""
    found = dict(CreditAccount.objects.filter(tenant__in=tenants).values_list("tenant_id", "balance"))
    return {tenant.id: found.get(tenant.id, 0) for tenant in tenants}
