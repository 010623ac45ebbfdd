"""A return invoice (IADE) prepared from an invoice received: a draft of the form that names the
invoice returned, goes to its supplier with its lines, and passes GİB's rules; nothing is issued
until a person issues it."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from invoices.models import Invoice, SavedDraft
from invoices.services import invoice_issue
from invoices.status import Status
from tests.clock import TODAY
from tests.factories import make_user
from tests.invoice_payloads import payload
from tests.test_portal_invoices import english


def _received(tenant_a, tenant_b, *, profile="TEMELFATURA", type_="SATIS", answer="") -> Invoice:
    """A's invoice to B, as B's inbox holds it."""
    sent = invoice_issue(tenant=tenant_a, data=payload(profile))  # the row's type is what decides
    return Invoice.objects.create(
        tenant=tenant_b, direction=Invoice.Direction.INCOMING, number=sent.number, profile=profile, type_code=type_,
        issue_date=sent.issue_date, currency="TRY", supplier_identifier=tenant_a.identifier, supplier_name=tenant_a.title,
        customer_identifier=tenant_b.identifier, customer_name=tenant_b.title, payable_amount=sent.payable_amount,
        tax_amount=sent.tax_amount, status=Status.RECEIVED, xml=bytes(sent.xml), answer=answer,
    )


def _return(client, tenant, invoice):
    return client.post(reverse("portal:invoice-return", args=[tenant.identifier, invoice.uuid]))


def test_a_return_is_prepared_as_a_draft_that_names_the_invoice_and_passes_gibs_rules(client_b, tenant_a, tenant_b, gib_package):
    received = _received(tenant_a, tenant_b)
    page = english(client_b).get(reverse("portal:invoice", args=[tenant_b.identifier, "in", received.uuid])).content.decode()
    assert "Prepare a return invoice (IADE)" in page
    answer = _return(client_b, tenant_b, received)
    draft = SavedDraft.objects.get(tenant=tenant_b)
    assert answer["Location"] == reverse("portal:invoice-new", args=[tenant_b.identifier]) + f"?draft={draft.id}"
    prepared = draft.payload
    assert (prepared["profile"], prepared["type"], prepared["returns"]) == (
        "TEMELFATURA", "IADE", [{"id": received.number, "issue_date": received.issue_date.isoformat()}])
    assert prepared["customer"]["vkn"] == tenant_a.identifier and prepared["customer"]["name"] == tenant_a.title
    sold = payload()["lines"]
    assert [(line["name"], *map(Decimal, (line["quantity"], line["unit_price"], line["kdv_rate"]))) for line in prepared["lines"]] == [
        (line["name"], *map(Decimal, (line["quantity"], line["unit_price"], line["kdv_rate"]))) for line in sold]
    checked = client_b.post(reverse("portal:invoice-new-check", args=[tenant_b.identifier]),
                            json.dumps({"payload": prepared | {"issue_date": TODAY.isoformat()}}), content_type="application/json")
    assert checked.status_code == 200 and checked.json()["errors"] == {} and checked.json()["issues"] == [], checked.json()
    assert not Invoice.objects.filter(tenant=tenant_b, direction=Invoice.Direction.OUTGOING).exists()  # a draft, not issued


@pytest.mark.parametrize("profile, type_, answer", [("TICARIFATURA", "SATIS", "RED"), ("TEMELFATURA", "TEVKIFAT", "")])
def test_a_refused_invoice_and_a_withholding_are_not_returned_this_way(client_b, tenant_a, tenant_b, gib_package, profile, type_, answer):
    received = _received(tenant_a, tenant_b, profile=profile, type_=type_, answer=answer)
    page = english(client_b).get(reverse("portal:invoice", args=[tenant_b.identifier, "in", received.uuid])).content.decode()
    assert "Prepare a return invoice" not in page
    answer = english(client_b).post(reverse("portal:invoice-return", args=[tenant_b.identifier, received.uuid]), follow=True)
    assert "cannot be returned with an IADE invoice" in answer.content.decode() and not SavedDraft.objects.exists()


def test_a_viewer_is_refused_and_another_tenant_finds_nothing(client, tenant_a, tenant_b, gib_package):
    received = _received(tenant_a, tenant_b)
    client.force_login(make_user(tenant=tenant_b, role="viewer"))
    assert _return(client, tenant_b, received).status_code == 403
    client.force_login(make_user(tenant=tenant_a, role="owner"))
    assert _return(client, tenant_a, received).status_code == 404
    assert not SavedDraft.objects.exists()
