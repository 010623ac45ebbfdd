"""The exchange of tests/test_exchange.py with the tasks in a real Celery worker and the periodic ones
in a real beat, as production runs them: invoices from A reach 1300 at GİB's (the local hub's) and B's
inbox, B's answer reaches A; and a worker killed mid-flight loses nothing and doubles nothing."""

import time
from collections import Counter

import pytest
from django.db.models import Sum

from invoices.models import Invoice
from invoices.status import Status
from pipeline.flow import invoice_answer, invoice_submit
from tenants.ledger import credits_balance
from tenants.models import LedgerEntry
from tests.exchange_fixtures import CREDITS, today_payload
from tests.worker_fixtures import worker_exchange  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)
# The way of an outgoing e-Fatura, in order: the worker is killed once the first invoice reaches one
# of these, so the others are still in the step before it (or being led into it).
WAY = [Status.ISSUED, Status.VALID, Status.SEALED, Status.QUEUED, Status.SENT, Status.DELIVERED]
KILLED_IN = {"validate": Status.VALID, "seal": Status.SEALED, "pack": Status.QUEUED, "send": Status.SENT}


def outgoing(ids: list[int]):
    return Invoice.objects.filter(id__in=ids)


def incoming(tenant):
    return Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.INCOMING)


def delivered(ids: list[int]) -> bool:
    return outgoing(ids).filter(status=Status.DELIVERED, gib_code=1300).count() == len(ids)


def statuses(ids: list[int]) -> Counter:
    return Counter(f"{status}/{code}" for status, code in outgoing(ids).values_list("status", "gib_code"))


def submit(tenant, profiles: list[str]) -> list[int]:
    return [invoice_submit(tenant=tenant, data=today_payload(profile)).id for profile in profiles]


def test_six_invoices_reach_1300_and_b_s_acceptance_reaches_a(worker_exchange, tenant_a, tenant_b):
    ids = submit(tenant_a, ["TEMELFATURA", "TICARIFATURA"] * 3)
    took = worker_exchange.wait(lambda: delivered(ids), seconds=90, what="6 invoices DELIVERED at 1300", state=lambda: statuses(ids))
    print(f"\n6 invoices issued → 1300 in {took:.1f} s")

    sent = {invoice.uuid: invoice for invoice in outgoing(ids)}
    assert sorted(incoming(tenant_b).values_list("uuid", flat=True)) == sorted(sent)
    assert credits_balance(tenant=tenant_a) == CREDITS - 6

    ticari = next(invoice for invoice in sent.values() if invoice.profile == "TICARIFATURA")
    invoice_answer(tenant=tenant_b, invoice_uuid=ticari.uuid, code="KABUL")
    took = worker_exchange.wait(lambda: outgoing([ticari.id]).filter(status=Status.ACCEPTED).exists(), seconds=30,
                                what="A's invoice ACCEPTED", state=lambda: statuses([ticari.id]))
    print(f"B's KABUL reached A in {took:.1f} s")
    ticari.refresh_from_db()
    assert (ticari.answer, ticari.gib_code) == ("KABUL", 1300)


@pytest.mark.parametrize("step", KILLED_IN)
def test_a_worker_killed_in_any_step_loses_nothing_and_doubles_nothing(worker_exchange, tenant_a, tenant_b, step):
    started = time.monotonic()
    ids = submit(tenant_a, ["TEMELFATURA", "TICARIFATURA"] * 5)
    # Killed as the first invoice comes out of *step*: the others are in it, or queued behind, or
    # further on. (The hub's own half-done work is the hub sweeper's, tested in test_gibhub_sweeper.)
    at = WAY.index(KILLED_IN[step])
    reached, beyond = WAY[at:], WAY[at + 1:]
    worker_exchange.wait(lambda: outgoing(ids).filter(status__in=reached).exists(), seconds=30, every=0.02,
                         what=f"a first invoice {KILLED_IN[step]}", state=lambda: statuses(ids))
    worker_exchange.processes.kill_worker()
    at_kill = statuses(ids)
    assert outgoing(ids).exclude(status__in=beyond).exists(), f"the kill came too late to test anything: {at_kill}"

    worker_exchange.processes.start_worker()
    worker_exchange.wait(lambda: delivered(ids), seconds=90, what="10 invoices DELIVERED at 1300 after the kill",
                         state=lambda: statuses(ids))
    print(f"\nkilled in {step} at {dict(at_kill)}; all at 1300 {time.monotonic() - started:.1f} s after submitting")

    invoices = list(outgoing(ids))
    inbox = Counter(incoming(tenant_b).values_list("uuid", flat=True))
    assert inbox == Counter(invoice.uuid for invoice in invoices)  # each ETTN once in B's inbox
    assert all(invoice.sends == 1 for invoice in invoices)  # each packed into one envelope only
    debits = LedgerEntry.objects.filter(tenant=tenant_a, kind=LedgerEntry.Kind.DEBIT)
    per_envelope = Counter(str(invoice.envelope.uuid) for invoice in invoices)
    assert {entry.reference: -entry.amount for entry in debits} == per_envelope  # one debit per envelope, one credit per invoice
    assert debits.count() == len(per_envelope) and debits.aggregate(total=Sum("amount"))["total"] == -10
    assert credits_balance(tenant=tenant_a) == CREDITS - 10
