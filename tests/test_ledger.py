import pytest
from django.db import transaction

from tenants.ledger import InsufficientCredits, credits_add, credits_balance, credits_debit
from tenants.models import LedgerEntry
from tests.concurrency import run_concurrently


def _debit(tenant, reference="INV-1"):
    with transaction.atomic():
        return credits_debit(tenant=tenant, reference=reference)


def test_every_movement_is_a_ledger_row(tenant_a):
    credits_add(tenant=tenant_a, amount=3, note="paket")
    _debit(tenant_a, "AAA2026000000001")
    _debit(tenant_a, "AAA2026000000002")
    rows = list(LedgerEntry.objects.filter(tenant=tenant_a).order_by("id").values_list("kind", "amount", "balance_after", "reference"))
    assert rows == [("topup", 3, 3, ""), ("debit", -1, 2, "AAA2026000000001"), ("debit", -1, 1, "AAA2026000000002")]
    assert credits_balance(tenant=tenant_a) == 1


def test_no_credits_is_a_clear_error_and_changes_nothing(tenant_a):
    with pytest.raises(InsufficientCredits) as caught:
        _debit(tenant_a)
    assert caught.value.code == "insufficient_credits"
    assert "0" in str(caught.value) and tenant_a.title in str(caught.value)
    assert not LedgerEntry.objects.filter(tenant=tenant_a).exists()


def test_a_failed_send_gives_the_credit_back(tenant_a):
    credits_add(tenant=tenant_a, amount=1)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            credits_debit(tenant=tenant_a, reference="X")
            raise RuntimeError("sending failed")
    assert credits_balance(tenant=tenant_a) == 1
    assert LedgerEntry.objects.filter(tenant=tenant_a, kind="debit").count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_debit_only_happens_inside_a_transaction(tenant_a):
    credits_add(tenant=tenant_a, amount=1)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        credits_debit(tenant=tenant_a, reference="X")


def test_one_tenant_pays_for_its_own(tenant_a, tenant_b):
    credits_add(tenant=tenant_a, amount=5)
    with pytest.raises(InsufficientCredits):
        _debit(tenant_b)
    assert credits_balance(tenant=tenant_a) == 5


@pytest.mark.parametrize("amount", [0, -3])
def test_topups_are_positive(tenant_a, amount):
    with pytest.raises(ValueError):
        credits_add(tenant=tenant_a, amount=amount)


@pytest.mark.django_db(transaction=True)
def test_concurrent_debits_never_go_below_zero(tenant_a):
    credits_add(tenant=tenant_a, amount=7)
    results, errors = run_concurrently(lambda: _debit(tenant_a).balance_after, count=20)
    assert sorted(results) == list(range(7))
    assert len(errors) == 13 and all(isinstance(e, InsufficientCredits) for e in errors)
    assert credits_balance(tenant=tenant_a) == 0
    assert LedgerEntry.objects.filter(tenant=tenant_a, kind="debit").count() == 7
