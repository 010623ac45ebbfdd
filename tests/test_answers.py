"""Answering a TICARIFATURA: within 8 days (after them, an unanswered invoice counts as accepted),
sealed with no row locked, recorded once."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from envelopes.models import Envelope
from invoices.answers import LAPSED, AnswerRefused, answers_lapse
from invoices.models import Invoice
from invoices.services import invoice_issue
from invoices.status import Status
from pipeline.flow import invoice_answer
from signing.services import document_seal
from tests.concurrency import run_concurrently
from tests.exchange_fixtures import equip
from tests.invoice_payloads import payload
from tests.test_portal_invoices import received_from


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


# --- answering: sealed with no row locked, recorded once -------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_answer_is_sealed_while_no_row_is_locked(tenant_a, tenant_b, seal_a, test_root, monkeypatch):
    equip(tenant_a, seal_a, test_root)
    invoice = received_from(tenant_b, tenant_a)
    seen = []

    def seal_and_look(**kwargs):
        def another_worker():  # its own connection: the row must be free to lock at once
            with transaction.atomic():
                return Invoice.objects.select_for_update(nowait=True).get(id=invoice.id).status

        results, errors = run_concurrently(another_worker, 1)
        seen.append((results, errors))
        return document_seal(**kwargs)

    monkeypatch.setattr("invoices.answers.document_seal", seal_and_look)
    invoice_answer(tenant=tenant_a, invoice_uuid=invoice.uuid, code="KABUL")
    assert seen == [([Status.RECEIVED], [])]
    assert Invoice.objects.get(id=invoice.id).status == Status.ACCEPTED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_two_answers_given_at_once_one_is_recorded_and_the_other_refused(tenant_a, tenant_b, seal_a, test_root):
    equip(tenant_a, seal_a, test_root)
    invoice = received_from(tenant_b, tenant_a)

    results, errors = run_concurrently(lambda: invoice_answer(tenant=tenant_a, invoice_uuid=invoice.uuid, code="KABUL"), 2)

    assert len(results) == 1 and [type(error) for error in errors] == [AnswerRefused]
    assert Envelope.objects.filter(tenant=tenant_a, type=Envelope.Type.POSTBOX).count() == 1
    answered = Invoice.objects.get(id=invoice.id)
    assert (answered.status, answered.answer) == (Status.ACCEPTED, "KABUL")
    assert answered.status_changes.filter(to_status=Status.ACCEPTED).count() == 1
