"""The 8 days to answer a TICARIFATURA: after them, an unanswered invoice counts as accepted."""

import datetime as dt

from django.utils import timezone

from envelopes.answers import LAPSED, answers_lapse
from invoices.models import Invoice
from invoices.services import invoice_issue
from invoices.status import Status
from tests.invoice_payloads import payload


def received(tenant, profile: str, days_ago: float) -> Invoice:
    """An invoice in *tenant*'s inbox, received *days_ago*."""
    invoice = invoice_issue(tenant=tenant, data=payload(profile))
    Invoice.objects.filter(id=invoice.id).update(
        direction=Invoice.Direction.INCOMING, status=Status.RECEIVED, received_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return invoice


def test_an_unanswered_ticarifatura_counts_as_accepted_after_8_days_and_not_before(tenant_a):
    late, early, temel = received(tenant_a, "TICARIFATURA", 8.01), received(tenant_a, "TICARIFATURA", 7.9), received(tenant_a, "TEMELFATURA", 30)
    assert answers_lapse() == 1
    statuses = dict(Invoice.objects.values_list("id", "status"))
    assert (statuses[late.id], statuses[early.id], statuses[temel.id]) == (Status.ACCEPTED, Status.RECEIVED, Status.RECEIVED)
    assert late.status_changes.last().text == LAPSED
    assert answers_lapse() == 0  # once
