"""Who gets e-Fatura: decided when an invoice is issued, from GİB's registered-user list."""

import pytest

from directory.routing import NotRegistered, UnknownPostbox
from invoices.documents import invoice_xml
from invoices.models import Invoice
from invoices.services import invoice_issue
from tenants.models import NumberSeries
from tenants.numbering import series_create
from tests.clock import YEAR
from tests.factories import register
from tests.invoice_payloads import CASES, CUSTOMER, payload

UNLISTED = {**CUSTOMER, "vkn": "3900383669", "name": "Liste Dışı A.Ş."}


@pytest.fixture
def earsiv_series(tenant_a):
    return series_create(tenant=tenant_a, prefix="EAA", kind=NumberSeries.Kind.EARSIV, is_default=True)


def test_a_registered_customer_gets_e_fatura_in_its_main_postbox(tenant_a):
    register("4840847211", "B Gıda Ltd. Şti.", gb="urn:mail:ikincigb@b-gida.com.tr", pk="urn:mail:ikincipk@b-gida.com.tr")
    invoice = invoice_issue(tenant=tenant_a, data=payload())
    assert (invoice.channel, invoice.profile, invoice.routing_reason) == ("efatura", "TICARIFATURA", Invoice.Routing.DEFAULT_ALIAS)
    # Both postboxes were opened on the same day: the name decides, the same way every time.
    assert invoice.receiver_alias == "urn:mail:ikincipk@b-gida.com.tr"
    assert invoice.number.startswith("AAA")


def test_the_postbox_the_sender_names_is_used_when_it_is_the_customers(tenant_a):
    register("4840847211", "B Gıda Ltd. Şti.", gb="urn:mail:ikincigb@b-gida.com.tr", pk="urn:mail:ikincipk@b-gida.com.tr")
    invoice = invoice_issue(tenant=tenant_a, data=payload(receiver_alias="urn:mail:pk@b-gida.com.tr"))
    assert (invoice.receiver_alias, invoice.routing_reason) == ("urn:mail:pk@b-gida.com.tr", Invoice.Routing.ALIAS_GIVEN)
    with pytest.raises(UnknownPostbox, match="urn:mail:gb@b-gida.com.tr is not an active postbox"):
        invoice_issue(tenant=tenant_a, data=payload(receiver_alias="urn:mail:gb@b-gida.com.tr"))  # a GB alias is no postbox


def test_a_customer_not_on_the_list_gets_e_arsiv_from_the_e_arsiv_series(tenant_a, earsiv_series):
    invoice = invoice_issue(tenant=tenant_a, data=payload("TEMELFATURA", customer=UNLISTED))
    assert (invoice.channel, invoice.profile, invoice.routing_reason) == ("earsiv", "EARSIVFATURA", Invoice.Routing.NOT_REGISTERED)
    assert invoice.number == f"EAA{YEAR}000000001" and invoice.receiver_alias == ""
    assert b"<cbc:ProfileID>EARSIVFATURA</cbc:ProfileID>" in invoice_xml(invoice)


def test_e_arsiv_asked_for_stays_e_arsiv(tenant_a, earsiv_series):
    invoice = invoice_issue(tenant=tenant_a, data=CASES["earsiv_satis"])
    assert (invoice.channel, invoice.routing_reason) == ("earsiv", Invoice.Routing.EARSIV_ASKED)


def test_profiles_only_registered_users_receive_are_refused_to_anyone_else(tenant_a):
    data = payload("KAMU", payment={"iban": "TR330006100519786457841326"}, customer=UNLISTED,
                   buyer={**CUSTOMER, "vkn": "9000068418", "name": "Ankara Büyükşehir Belediyesi"})
    with pytest.raises(NotRegistered, match="3900383669 is not on GİB's registered-user list"):
        invoice_issue(tenant=tenant_a, data=data)
    assert not Invoice.objects.exists()
