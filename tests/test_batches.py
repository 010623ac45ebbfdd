"""A step takes the tenant's invoices waiting for it in one batch: the same outcome as one by one, in
a number of statements that does not grow with the batch, and on PostgreSQL two workers' batches
never share an invoice."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive.services import archive_verify
from invoices import steps
from invoices.models import Invoice
from invoices.services import invoice_issue
from invoices.status import Status
from integrator.celery import app as celery_app
from pipeline.flow import invoice_submit
from pipeline.models import Queued
from pipeline.tasks import invoice_validate as validate_task
from signing.services import keys_close
from tests.concurrency import run_concurrently
from tests.exchange_fixtures import eager, equip, today_payload, trust

pytestmark = pytest.mark.django_db(transaction=True)
PROFILES = ["TEMELFATURA", "TICARIFATURA"]


@pytest.fixture(autouse=True)
def _sealed(gib_package, tenant_a, seal_a, test_root, settings, tmp_path):
    trust(settings, tmp_path, test_root)
    equip(tenant_a, seal_a, test_root)
    keys_close()
    yield
    keys_close()


def issued(tenant, count: int) -> list[Invoice]:
    return [invoice_issue(tenant=tenant, data=today_payload(PROFILES[i % 2])) for i in range(count)]


def statements(step, invoice: Invoice) -> tuple[list[Invoice], int]:
    with CaptureQueriesContext(connection) as queries:
        moved = step(invoice_id=invoice.id)
    return moved, len(queries.captured_queries)


def test_a_batch_validates_and_seals_every_waiting_invoice_in_as_many_statements_as_one_of_five(tenant_a, tenant_b):
    few, many = issued(tenant_a, 5), issued(tenant_a, 20)
    others = issued(tenant_b, 2)  # another tenant's wait for their own batch

    first, few_validating = statements(steps.invoices_validate, few[0])
    assert {invoice.id for invoice in first} == {invoice.id for invoice in few + many}  # the asked first, then the oldest
    assert first[0].id == few[0].id
    moved, _ = statements(steps.invoices_validate, few[0])
    assert moved == []  # run again, nothing is done twice

    more = issued(tenant_a, 5)
    _, five_validating = statements(steps.invoices_validate, more[0])
    assert five_validating == few_validating  # 25 invoices or 5: the same statements

    sealed, twenty_five_sealing = statements(steps.invoices_seal, few[0])
    assert len(sealed) == 30 and {i.status for i in sealed} == {Status.SEALED}
    batch = Invoice.objects.filter(tenant=tenant_a)
    assert set(batch.values_list("status", flat=True)) == {Status.SEALED}
    assert all(i.document.kind == "invoice_sealed" and i.xml_sha256 == i.document.sha256 for i in batch.select_related("document"))
    assert all([c.to_status for c in i.status_changes.all()] == ["issued", "valid", "sealed"] for i in batch)
    assert set(Invoice.objects.filter(id__in=[o.id for o in others]).values_list("status", flat=True)) == {Status.ISSUED}
    assert archive_verify(tenant=tenant_a).clean

    late = issued(tenant_a, 3)
    steps.invoices_validate(invoice_id=late[0].id)
    _, three_sealing = statements(steps.invoices_seal, late[0])
    assert three_sealing == twenty_five_sealing
    assert archive_verify(tenant=tenant_a).clean  # each batch's rows chained in order, after the one before


def test_a_batch_takes_at_most_its_size_and_the_task_passes_the_valid_on(tenant_a, settings):
    settings.PIPELINE_BATCH = 4
    waiting = issued(tenant_a, 6)
    steps.invoices_validate(invoice_id=waiting[5].id)
    valid = set(Invoice.objects.filter(status=Status.VALID).values_list("id", flat=True))
    assert len(valid) == 4 and waiting[5].id in valid  # the asked one, and the three oldest
    assert valid - {waiting[5].id} == {w.id for w in waiting[:3]}


def messages_in(queue: str) -> int:
    """Messages waiting in the broker's *queue*, whichever broker the settings name."""
    with celery_app.connection_for_write() as connection_, connection_.channel() as channel:
        return channel.queue_declare(queue=queue, passive=True).message_count


def test_invoices_issued_while_their_tenants_validation_is_queued_go_in_its_batch_with_no_task_of_their_own(tenant_a, tenant_b):
    with eager(False):  # tasks are queued; none runs but the one called here
        before = messages_in("validate")
        first = [invoice_submit(tenant=tenant_a, data=today_payload(PROFILES[i % 2])) for i in range(3)]
        invoice_submit(tenant=tenant_b, data=today_payload())
        assert messages_in("validate") - before == 2  # one for each tenant
        assert sorted(Queued.objects.values_list("tenant_id", flat=True)) == sorted([tenant_a.id, tenant_b.id])

        validate_task(first[0].id)  # A's queued task, as a worker runs it
        assert set(Invoice.objects.filter(id__in=[i.id for i in first]).values_list("status", flat=True)) == {Status.VALID}
        assert list(Queued.objects.values_list("tenant_id", flat=True)) == [tenant_b.id]

        later = invoice_submit(tenant=tenant_a, data=today_payload())  # A's task has started: this one queues another
        assert messages_in("validate") - before == 3
        assert Queued.objects.filter(tenant=tenant_a).count() == 1
        validate_task(later.id)
    later.refresh_from_db()
    assert later.status == Status.VALID and not Queued.objects.filter(tenant=tenant_a).exists()


def test_a_queued_validation_whose_task_was_lost_is_forgotten_by_the_sweeper(tenant_a, settings):
    import datetime as dt

    from django.utils import timezone

    from pipeline.sweeper import sweep

    with eager(False):
        invoice = invoice_submit(tenant=tenant_a, data=today_payload())
    later = timezone.now() + dt.timedelta(seconds=settings.PIPELINE_SWEEP_AFTER + 1)
    assert sweep(now=later)["validate"] == [invoice.id]  # enqueued again, as any stuck invoice
    assert not Queued.objects.exists()  # and the tenant's next invoice queues its own task


def test_one_invoice_s_step_moves_it_alone(tenant_a):
    one, other = issued(tenant_a, 2)
    assert steps.invoice_validate(invoice_id=one.id).status == Status.VALID
    other.refresh_from_db()
    assert other.status == Status.ISSUED
    assert steps.invoice_validate(invoice_id=one.id) is None  # not ISSUED any more: nothing to do


@pytest.mark.postgres
def test_two_workers_batches_validate_each_invoice_once(tenant_a):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    waiting = issued(tenant_a, 24)
    asks = [waiting[0].id, waiting[-1].id]
    _results, errors = run_concurrently(lambda: validate_task.run(asks.pop()), 2)
    assert errors == []
    batch = Invoice.objects.filter(tenant=tenant_a)
    assert set(batch.values_list("status", flat=True)) == {Status.VALID}
    assert all([c.to_status for c in i.status_changes.all()] == ["issued", "valid"] for i in batch)  # each validated once
    assert archive_verify(tenant=tenant_a).clean


def test_an_envelope_received_is_stored_in_as_many_statements_whatever_it_holds(tenant_a, tenant_b):
    from envelopes import sending
    from envelopes.documents import envelope_zip
    from envelopes.gib.soap import SendDocument
    from envelopes.receiving import envelope_receive

    def pushed(count: int) -> tuple[list[Invoice], int]:
        waiting = issued(tenant_a, count)
        steps.invoices_validate(invoice_id=waiting[0].id)
        steps.invoices_seal(invoice_id=waiting[0].id)
        (envelope,) = sending.envelopes_pack(tenant=tenant_a)
        with CaptureQueriesContext(connection) as queries:
            envelope_receive(request=SendDocument(envelope.file_name, envelope_zip(envelope), envelope.md5))
        return waiting, len(queries.captured_queries)

    few, few_statements = pushed(2)
    many, many_statements = pushed(9)
    assert many_statements == few_statements
    inbox = Invoice.objects.filter(tenant=tenant_b, direction=Invoice.Direction.INCOMING).select_related("document")
    assert sorted(str(i.uuid).lower() for i in inbox) == sorted(str(i.uuid).lower() for i in few + many)
    assert all(i.status == Status.RECEIVED and i.document.kind == "invoice_received" and i.taxes.exists() for i in inbox)
    assert archive_verify(tenant=tenant_b).clean
