"""Packing checks each document once: an invoice validated whole when it was issued, then sealed, is
packed on its hash alone, and the envelope is checked for what it adds (its header, against GİB's
schema and GİB's rules and ours). A document changed since it was sealed, or a header that fails, is
refused at packing with nothing sent."""

import copy

import pytest
from django.utils import timezone

from directory.lookup import is_postbox
from directory.models import RegisteredAlias
from envelopes import sending
from envelopes.models import Envelope
from invoices.documents import invoice_xml
from invoices.models import Invoice
from invoices.services import invoice_issue
from invoices.status import Status
from invoices.steps import invoice_seal, invoice_validate
from schematron import validation
from tests.exchange_fixtures import equip, today_payload, trust

pytestmark = pytest.mark.django_db(transaction=True)
B_POSTBOX = "urn:mail:pk@b-gida.com.tr"


@pytest.fixture
def sealed(settings, tmp_path, gib_package, tenant_a, tenant_b, seal_a, test_root):
    """Three of A's invoices to B, validated and sealed, waiting to be packed."""
    trust(settings, tmp_path, test_root)
    equip(tenant_a, seal_a, test_root)
    invoices = [invoice_issue(tenant=tenant_a, data=today_payload()) for _ in range(3)]
    for invoice in invoices:
        assert invoice_validate(invoice_id=invoice.id).status == Status.VALID
        assert invoice_seal(invoice_id=invoice.id).status == Status.SEALED
    return list(Invoice.objects.filter(id__in=[i.id for i in invoices]).order_by("id"))


@pytest.fixture
def validations(monkeypatch) -> list[bytes]:
    """What packing validates whole: each call of the real validator, recorded."""
    seen = []

    def recorded(xml, **options):
        seen.append(xml)
        return validation.validate(xml, **options)

    monkeypatch.setattr(sending, "validate", recorded)
    return seen


def statuses(invoices) -> list[tuple[str, str]]:
    return [(i.status, i.status_changes.order_by("id").last().code) for i in Invoice.objects.filter(id__in=[i.id for i in invoices]).order_by("id")]


def test_sealed_invoices_are_packed_on_their_hashes_without_validating_them_again(sealed, tenant_a, validations):
    [envelope] = sending.envelopes_pack(tenant=tenant_a)
    assert validations == []
    assert envelope.invoices.count() == 3 and {i.status for i in envelope.invoices.all()} == {Status.QUEUED}


def test_a_document_changed_after_sealing_fails_alone_and_the_others_go(sealed, tenant_a, validations):
    changed = sealed[1]
    Invoice.objects.filter(id=changed.id).update(xml=invoice_xml(changed).replace(b"</Invoice>", b"<!-- -->\n</Invoice>"))

    [envelope] = sending.envelopes_pack(tenant=tenant_a)

    changed.refresh_from_db()
    assert (changed.status, changed.envelope_id) == (Status.FAILED, None)
    last = changed.status_changes.order_by("id").last()
    assert last.code == "changed" and changed.number in last.text
    assert sorted(envelope.invoices.values_list("id", flat=True)) == [sealed[0].id, sealed[2].id]
    assert validations == []


def test_an_invoice_sealed_before_hashes_were_kept_is_validated_whole_once(sealed, tenant_a, validations):
    Invoice.objects.filter(id=sealed[0].id).update(xml_sha256="")
    [envelope] = sending.envelopes_pack(tenant=tenant_a)
    assert validations == [invoice_xml(sealed[0])]
    assert envelope.invoices.count() == 3


def test_a_header_that_fails_our_rules_fails_the_invoices_it_was_made_for(sealed, tenant_a):
    # B closed its postbox after the invoices were routed to it: no active postbox (PK) of B's is named.
    RegisteredAlias.objects.filter(name=B_POSTBOX).update(deleted_at=timezone.now())

    assert sending.envelopes_pack(tenant=tenant_a) == []

    assert statuses(sealed) == [(Status.FAILED, "PLT-RECEIV")] * 3
    assert not Envelope.objects.filter(tenant=tenant_a).exists()


def test_the_header_check_is_gibs_envelope_check_without_the_documents(sealed, tenant_a):
    documents = {invoice.id: invoice_xml(invoice) for invoice in sealed}
    xml, skeleton = sending._envelope_parts(tenant_a, "urn:mail:gb@a-tekstil.com.tr", sealed, documents, "0B0C9A0B-1F2E-4D5C-8B7A-6F5E4D3C2B1A")
    assert validation.validate_envelope_header(skeleton).valid is False  # no lookup: no receiver is a postbox
    assert validation.validate_envelope_header(skeleton, postbox=is_postbox).valid
    assert validation.validate(xml, postbox=is_postbox).valid  # the whole envelope agrees
    broken = copy.deepcopy(skeleton)
    broken.find("{*}StandardBusinessDocumentHeader/{*}HeaderVersion").text = "9.9"  # GİB's HeaderCheck: 1.0 or 1.2
    header = validation.validate_envelope_header(broken, postbox=is_postbox)
    assert [issue.layer for issue in header.errors] == ["gib"]
    del broken.find("{*}StandardBusinessDocumentHeader")[0]  # no HeaderVersion: GİB's schema wants it first
    assert "xsd" in {issue.layer for issue in validation.validate_envelope_header(broken, postbox=is_postbox).errors}
