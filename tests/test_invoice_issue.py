import pytest
from django.core.exceptions import ValidationError
from lxml import etree

from invoices.documents import invoice_xml
from invoices.models import Invoice, StatusChange
from invoices.services import IllegalTransition, NoSeries, PayloadInvalid, ProfileNotAllowed, invoice_issue, set_status
from invoices.status import Status
from schematron.validation import validate
from tenants.models import NumberSeries
from tenants.numbering import series_create
from tenants.services import tenant_set_design
from tests.clock import TODAY, YEAR
from tests.invoice_payloads import CASES, payload
from ubl.build import DEFAULT_XSLT
from ubl.parse import embedded_xslt, parse_invoice


@pytest.fixture
def earsiv_series(tenant_a):
    return series_create(tenant=tenant_a, prefix="EAA", kind=NumberSeries.Kind.EARSIV, is_default=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_case_is_numbered_built_and_valid(tenant_a, earsiv_series, gib_package, case):
    invoice = invoice_issue(tenant=tenant_a, data=CASES[case])
    prefix = "EAA" if CASES[case]["profile"] == "EARSIVFATURA" else "AAA"
    assert invoice.number == f"{prefix}{YEAR}000000001" and invoice.status == Status.ISSUED
    report = validate(invoice_xml(invoice), today=TODAY)
    assert report.valid, [(e.layer, e.rule, e.message_tr) for e in report.errors]
    root = etree.fromstring(invoice_xml(invoice))
    parsed = parse_invoice(root)
    assert (parsed.id, parsed.uuid, parsed.totals.payable) == (invoice.number, str(invoice.uuid).upper(), invoice.payable_amount)
    assert parsed.notes[0].startswith("Yalnız: ")


def test_issuing_fills_the_columns_and_records_the_state(tenant_a):
    invoice = invoice_issue(tenant=tenant_a, data=payload())
    assert (invoice.profile, invoice.type_code, invoice.issue_date) == ("TICARIFATURA", "SATIS", TODAY)
    assert (invoice.customer_identifier, invoice.customer_name) == ("4840847211", "B Gıda Ltd. Şti.")
    assert (invoice.tax_amount, invoice.payable_amount) == (970.25, 5821.50)
    assert list(StatusChange.objects.filter(invoice=invoice).values_list("to_status", flat=True)) == ["issued"]


def test_numbers_follow_each_other(tenant_a):
    numbers = [invoice_issue(tenant=tenant_a, data=payload()).number for _ in range(3)]
    assert numbers == [f"AAA{YEAR}00000000{n}" for n in (1, 2, 3)]


def test_a_bad_payload_takes_no_number(tenant_a):
    with pytest.raises(PayloadInvalid) as caught:
        invoice_issue(tenant=tenant_a, data=payload(profile="NOPE"))
    assert "profile" in caught.value.errors
    assert invoice_issue(tenant=tenant_a, data=payload()).number == f"AAA{YEAR}000000001"


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_numbering_gives_the_number_back(tenant_a, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("invoices.services.build.build_invoice", explode)
    with pytest.raises(RuntimeError):
        invoice_issue(tenant=tenant_a, data=payload())
    monkeypatch.undo()
    assert not Invoice.objects.exists()
    assert invoice_issue(tenant=tenant_a, data=payload()).number == f"AAA{YEAR}000000001"


def test_a_named_series_is_used_and_an_unknown_one_refused(tenant_a):
    series_create(tenant=tenant_a, prefix="XYZ", kind=NumberSeries.Kind.EFATURA)
    assert invoice_issue(tenant=tenant_a, data=payload(series="XYZ")).number.startswith(f"XYZ{YEAR}")
    with pytest.raises(NoSeries):
        invoice_issue(tenant=tenant_a, data=payload(series="QQQ"))


def test_earsiv_without_a_series_says_so(tenant_a):
    with pytest.raises(NoSeries) as caught:
        invoice_issue(tenant=tenant_a, data=CASES["earsiv_satis"])
    assert "e-Arşiv" in str(caught.value)


def test_an_earsiv_only_tenant_cannot_issue_efatura(tenant_a):
    tenant_a.efatura_registered = False
    tenant_a.save()
    with pytest.raises(ProfileNotAllowed):
        invoice_issue(tenant=tenant_a, data=payload())


def test_states_move_only_as_the_table_allows(tenant_a):
    invoice = invoice_issue(tenant=tenant_a, data=payload())
    with pytest.raises(IllegalTransition):
        set_status(invoice=invoice, to=Status.SENT)
    set_status(invoice=invoice, to=Status.VALID, text="layers 1-4 passed")
    assert invoice.status_changes.last().text == "layers 1-4 passed"


def test_b_sees_none_of_a_invoices(tenant_a, tenant_b):
    invoice_issue(tenant=tenant_a, data=payload())
    assert not Invoice.objects.filter(tenant=tenant_b).exists()


def test_a_tenant_design_is_embedded_instead_of_the_default(tenant_a):
    design = '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:template match="/">A</xsl:template></xsl:stylesheet>'
    tenant_set_design(tenant=tenant_a, xslt=design)
    invoice = invoice_issue(tenant=tenant_a, data=payload())
    assert embedded_xslt(etree.fromstring(invoice_xml(invoice))) == design.encode()
    tenant_set_design(tenant=tenant_a, xslt="")
    invoice = invoice_issue(tenant=tenant_a, data=payload())
    assert embedded_xslt(etree.fromstring(invoice_xml(invoice))) == DEFAULT_XSLT.read_bytes()


@pytest.mark.parametrize("design, code", [("<xsl:stylesheet", "xslt_syntax"), ("<html/>", "xslt_root"), ('<!DOCTYPE xsl:stylesheet><xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>', "xslt_root"), ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "xslt_root")])
def test_a_bad_design_is_refused(tenant_a, design, code):
    with pytest.raises(ValidationError) as caught:
        tenant_set_design(tenant=tenant_a, xslt=design)
    assert caught.value.code == code


def test_the_admin_form_checks_the_design_too(tenant_a):
    tenant_a.display_xslt = "<html/>"
    with pytest.raises(ValidationError) as caught:
        tenant_a.full_clean()
    assert "display_xslt" in caught.value.message_dict
