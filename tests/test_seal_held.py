"""A seal that cannot be used holds the invoice and tells a person why; registering a usable seal lets
it go on. What may pass by itself (a TSA away, a token not present) is still tried again.

Real seals from the tests' PKI (PKCS#12 and SoftHSM2), the local TSA for e-Arşiv, and for the whole
way the local GİB hub on the live server. Tasks are called as the worker calls them: a retry shows as
celery's Retry, no retry as a plain return.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from celery.exceptions import Retry
from django.db import transaction
from django.utils import timezone

from gibhub.registry import hub_register
from invoices import steps
from invoices.documents import invoice_xml
from invoices.models import Invoice, StatusChange
from invoices.services import IllegalTransition, invoice_issue, set_status
from invoices.status import Status
from pipeline.flow import invoice_submit
from pipeline.sweeper import sweep
from pipeline.tasks import invoice_seal as seal_task
from signing import pki, vault
from signing.models import Seal
from signing.services import keys_close, seal_add_pkcs11, seal_import_pkcs12
from tenants.ledger import credits_add
from tenants.models import NumberSeries
from tenants.numbering import series_create
from tests.concurrency import run_concurrently
from tests.exchange_fixtures import A_ALIASES, B_ALIASES, CREDITS, eager, equip, poll_all, today_payload, trust
from tests.invoice_payloads import PERSON

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _setup(gib_package, settings, local_tsa, tmp_path):
    """GİB's package to validate with; the local TSA for e-Arşiv seals; keys opened afresh each test."""
    roots = tmp_path / "tsa-roots.pem"
    roots.write_bytes(pki.pem(local_tsa.root.certificate))
    settings.TSA_URL, settings.TSA_TRUST_ROOTS = local_tsa.url, str(roots)
    keys_close()
    yield
    keys_close()


def valid_invoice(tenant, profile: str = "EARSIVFATURA") -> Invoice:
    """An invoice of *tenant*, validated and waiting for its seal (e-Arşiv by default: sealed, it is
    KEPT, and nothing goes to GİB)."""
    data = today_payload(profile, customer=PERSON) if profile == "EARSIVFATURA" else today_payload(profile)
    if not NumberSeries.objects.filter(tenant=tenant, kind=NumberSeries.Kind.EARSIV).exists():
        series_create(tenant=tenant, prefix="EA" + tenant.display_name[0], kind=NumberSeries.Kind.EARSIV, is_default=True)
    invoice = invoice_issue(tenant=tenant, data=data)
    assert steps.invoice_validate(invoice_id=invoice.id).status == Status.VALID
    return invoice


def register(tenant, issued: pki.Issued, root: pki.Issued, *, name: str = "mali mühür", password: bytes = b"pw") -> Seal:
    return seal_import_pkcs12(tenant=tenant, name=name, data=pki.to_pkcs12(issued, password, chain=[root.certificate]), password=password)


def last_change(invoice: Invoice) -> StatusChange:
    return invoice.status_changes.order_by("id").last()


def seal_by_the_worker(invoice: Invoice) -> Invoice:
    """The task, as a worker runs it: no retry (it returns) or Retry raised."""
    seal_task(invoice.id)
    invoice.refresh_from_db()
    return invoice


@contextmanager
def only_queued():
    """Tasks enqueued are queued, not run: what a registration enqueues shows in the status alone."""
    with eager(False):
        yield


# --- held, with the reason ------------------------------------------------------------------------------


def test_without_a_seal_the_invoice_is_held_with_the_reason_and_not_retried(tenant_a):
    invoice = valid_invoice(tenant_a)

    invoice = seal_by_the_worker(invoice)  # returns: no Retry

    assert invoice.status == Status.HELD and invoice.get_status_display() == "Waiting for a usable seal"
    change = last_change(invoice)
    assert (change.from_status, change.to_status) == (Status.VALID, Status.HELD)
    assert change.text == f"{tenant_a.display_name} has no active seal, and has not authorised the integrator to seal for it."
    assert b"ds:Signature" not in invoice_xml(invoice)


def test_an_expired_seal_holds_the_invoice_saying_when_it_expired(tenant_a, test_root):
    long_ago = timezone.now() - dt.timedelta(days=400)
    expired = pki.seal(test_root, identifier=tenant_a.identifier, title=tenant_a.title, now=long_ago, days=30)
    seal_import_pkcs12(tenant=tenant_a, name="eski", data=pki.to_pkcs12(expired, b"pw"), password=b"pw", now=long_ago + dt.timedelta(days=2))
    invoice = valid_invoice(tenant_a)

    invoice = seal_by_the_worker(invoice)

    expiry = expired.certificate.not_valid_after_utc.date().isoformat()
    assert invoice.status == Status.HELD
    assert last_change(invoice).text == f"The seal's certificate expired on {expiry}; renew the seal at Kamu SM."


def test_a_seal_that_no_longer_opens_holds_the_invoice(tenant_a, seal_a, test_root):
    # The stored password no longer opens the stored file (as after a bad restore): a person must register it again.
    seal = register(tenant_a, seal_a, test_root)
    Seal.objects.filter(pk=seal.pk).update(encrypted_secret=vault.seal_secret(b"not the password"))
    invoice = valid_invoice(tenant_a)

    assert seal_by_the_worker(invoice).status == Status.HELD
    assert "password is wrong" in last_change(invoice).text


def test_a_token_pin_that_is_wrong_holds_the_invoice(tenant_a, softhsm, settings):
    settings.PKCS11_MODULE = softhsm.module
    seal = seal_add_pkcs11(tenant=tenant_a, name="hsm", token_label=softhsm.token, key_label="seal", pin=softhsm.pin)
    Seal.objects.filter(pk=seal.pk).update(encrypted_secret=vault.seal_secret(b"0000"))  # the PIN changed on the card
    invoice = valid_invoice(tenant_a)

    assert seal_by_the_worker(invoice).status == Status.HELD
    assert f"The PIN for token “{softhsm.token}” is wrong" in last_change(invoice).text


# --- what may pass by itself is tried again -----------------------------------------------------------


def test_a_tsa_that_does_not_answer_is_tried_again_and_holds_nothing(tenant_a, seal_a, test_root, settings):
    register(tenant_a, seal_a, test_root)
    settings.TSA_URL = "http://127.0.0.1:9/"  # discard: nothing listens
    invoice = valid_invoice(tenant_a)

    with pytest.raises(Retry):
        seal_by_the_worker(invoice)

    invoice.refresh_from_db()
    assert invoice.status == Status.VALID
    assert not invoice.status_changes.filter(to_status=Status.HELD).exists()


def test_a_token_not_present_is_tried_again_and_holds_nothing(tenant_a, softhsm, settings):
    settings.PKCS11_MODULE = softhsm.module
    seal = seal_add_pkcs11(tenant=tenant_a, name="hsm", token_label=softhsm.token, key_label="seal", pin=softhsm.pin)
    Seal.objects.filter(pk=seal.pk).update(token_label="unplugged")  # as a network HSM that is away
    invoice = valid_invoice(tenant_a)

    with pytest.raises(Retry):
        seal_by_the_worker(invoice)

    invoice.refresh_from_db()
    assert invoice.status == Status.VALID


# --- a usable seal lets held invoices go on -----------------------------------------------------------


def test_registering_a_seal_releases_the_tenants_held_invoices_when_it_commits(tenant_a, tenant_b, seal_a, test_root):
    held = [seal_by_the_worker(valid_invoice(tenant_a)) for _ in range(2)]
    others = seal_by_the_worker(valid_invoice(tenant_b))
    assert {invoice.status for invoice in [*held, others]} == {Status.HELD}

    with eager():
        with transaction.atomic():
            seal = register(tenant_a, seal_a, test_root)
            in_transaction = [Invoice.objects.get(id=invoice.id).status for invoice in held]
        # Committed: each released invoice was enqueued and sealed (e-Arşiv: KEPT).

    assert in_transaction == [Status.VALID, Status.VALID]  # released, not yet sealed: that waits for the commit
    for invoice in held:
        invoice.refresh_from_db()
        assert invoice.status == Status.KEPT and b"SignatureTimeStamp" in invoice_xml(invoice)
        moves = list(invoice.status_changes.order_by("id").values_list("to_status", "text"))
        assert moves[-4:-2] == [(Status.HELD, moves[-4][1]), (Status.VALID, f"A usable seal was registered: {seal.name}.")]
        assert [status for status, _text in moves[-2:]] == [Status.SEALED, Status.KEPT]
    others.refresh_from_db()
    assert others.status == Status.HELD  # B's seal is still missing


def test_a_registration_that_rolls_back_releases_nothing(tenant_a, seal_a, test_root):
    invoice = seal_by_the_worker(valid_invoice(tenant_a))

    with only_queued(), pytest.raises(RuntimeError), transaction.atomic():
        register(tenant_a, seal_a, test_root)
        raise RuntimeError("the caller's transaction fails after the registration")

    invoice.refresh_from_db()
    assert invoice.status == Status.HELD and not Seal.objects.exists()


def test_the_integrators_seal_releases_only_tenants_who_authorised_it_and_have_none_of_their_own(
    tenant_a, tenant_b, test_root, seal_a
):
    tenant_b.sealed_by_integrator = True
    tenant_b.save()
    of_b = seal_by_the_worker(valid_invoice(tenant_b))
    of_a = seal_by_the_worker(valid_invoice(tenant_a))  # A has not authorised the integrator
    integrator = pki.seal(test_root, identifier="9000068418", title="Entegratör A.Ş.")

    with only_queued():
        seal_import_pkcs12(tenant=None, name="entegrator", data=pki.to_pkcs12(integrator, b"pw"), password=b"pw")

    of_a.refresh_from_db()
    of_b.refresh_from_db()
    assert (of_a.status, of_b.status) == (Status.HELD, Status.VALID)


def test_a_seal_registered_while_sealing_failed_is_not_missed(tenant_a, seal_a, test_root):
    # The race: sealing found no seal; before it could record HELD, a seal was registered (and found
    # nothing held to release). Holding sees the new seal and tries again at once instead.
    invoice = valid_invoice(tenant_a)
    with only_queued():
        register(tenant_a, seal_a, test_root)

    assert [i.status for i in steps._hold([invoice], tried=None, reason="no seal")] == [Status.VALID]  # to be sealed again at once

    invoice.refresh_from_db()
    assert invoice.status == Status.VALID
    assert not invoice.status_changes.filter(to_status=Status.HELD).exists()


def test_sealing_while_a_seal_is_registered_leaves_nothing_held(tenant_a, seal_a, test_root):
    # Six sealings find no seal while the seal is being registered, all at once: whichever way each
    # one and the registration interleave, none may stay held once the seal is there.
    invoices = [valid_invoice(tenant_a) for _ in range(6)]
    jobs = [lambda invoice=invoice: seal_task(invoice.id) for invoice in invoices]
    jobs.append(lambda: register(tenant_a, seal_a, test_root))
    queue = list(jobs)

    with eager():
        _results, errors = run_concurrently(lambda: queue.pop()(), len(jobs))

    assert errors == []
    assert sorted(Invoice.objects.filter(id__in=[i.id for i in invoices]).values_list("status", flat=True)) == [Status.KEPT] * 6


def test_held_goes_only_back_to_valid(tenant_a):
    invoice = seal_by_the_worker(valid_invoice(tenant_a))
    for target in (Status.SEALED, Status.QUEUED, Status.KEPT):
        with pytest.raises(IllegalTransition):
            set_status(invoice=invoice, to=target)
    assert set_status(invoice=invoice, to=Status.VALID).status == Status.VALID


# --- the sweeper leaves held invoices to the person ---------------------------------------------------


def test_the_sweeper_leaves_held_invoices_alone(tenant_a, settings):
    held = seal_by_the_worker(valid_invoice(tenant_a))
    stuck = valid_invoice(tenant_a)  # VALID, its task lost: the sweeper's business
    later = timezone.now() + dt.timedelta(seconds=settings.PIPELINE_SWEEP_AFTER + 1)

    with only_queued():
        swept = sweep(now=later)

    assert swept["seal"] == [stuck.id]  # the stuck one only
    held.refresh_from_db()
    stuck.refresh_from_db()
    assert held.status == Status.HELD and held.updated_at < later  # not touched, not enqueued
    assert stuck.updated_at == later


# --- the whole way: held, a seal registered, the invoice reaches GİB ---------------------------------


@pytest.fixture
def hub_without_as_seal(settings, live_server, test_root, seal_b, tenant_a, tenant_b, tmp_path, monkeypatch):
    """A and B registered at the local hub, both with credits; only B has a seal."""
    trust(settings, tmp_path, test_root)
    # The live server's request threads close their database connections (none outlives the test).
    monkeypatch.setitem(settings.DATABASES["default"], "CONN_MAX_AGE", 0)
    settings.GIB_SERVICE_URL = f"{live_server.url}/gibhub/services/EFatura"
    settings.GIB_HUB_DELIVERY_ATTEMPTS, settings.GIB_HUB_RETRY_DELAY = 2, 0
    endpoint = f"{live_server.url}/gib/services/EFatura"
    hub_register(identifier=tenant_a.identifier, title=tenant_a.title, aliases=A_ALIASES, endpoint=endpoint)
    hub_register(identifier=tenant_b.identifier, title=tenant_b.title, aliases=B_ALIASES, endpoint=endpoint)
    credits_add(tenant=tenant_a, amount=CREDITS)
    equip(tenant_b, seal_b, test_root)
    with eager():
        yield


def test_an_efatura_invoice_held_for_its_seal_reaches_the_receiver_once_the_seal_is_registered(
    hub_without_as_seal, tenant_a, tenant_b, seal_a, test_root
):
    invoice = invoice_submit(tenant=tenant_a, data=today_payload("TICARIFATURA"))
    invoice.refresh_from_db()
    assert invoice.status == Status.HELD and invoice.envelope_id is None

    register(tenant_a, seal_a, test_root)  # its commit enqueues the sealing: sealed, packed, sent
    poll_all()

    invoice.refresh_from_db()
    assert (invoice.status, invoice.gib_code) == (Status.DELIVERED, 1300)
    assert Invoice.objects.filter(tenant=tenant_b, direction=Invoice.Direction.INCOMING, uuid=invoice.uuid).exists()
