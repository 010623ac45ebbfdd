"""The e-Arşiv report of a tenant's Istanbul day, built from the archived documents: invoices of
several types (one sold on the internet), a cancellation and an objection, checked by independent
tools (xmllint against GİB's EArsiv.xsd, xmlsec1 on the seal) and by GİB's own schematron; each
thing reported once; the day is Istanbul's."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from lxml import etree

from archive.models import Document
from archive.services import document_bytes
from earsiv.building import NS
from earsiv.models import Item, Report
from earsiv.reporting import day_report, issued_on, pending, report_claim
from earsiv.services import invoice_cancel, istanbul_today, objection_record
from invoices.documents import invoice_xml
from invoices.models import Invoice
from invoices.status import Status
from invoices.steps import invoice_seal, invoice_validate
from schematron.earsiv import validate_report
from signing.verify import verify
from tests.clock import ISTANBUL, TODAY
from tests.delivery_fixtures import earsiv  # noqa: F401  (fixture)
from tests.earsiv_fixtures import INVOICES, auth, issue, xmllint_schema, xmlsec1_verify
from tests.exchange_fixtures import eager, today_payload
from tests.invoice_payloads import CUSTOMER, LINE, PERSON, SERVICE

pytestmark = pytest.mark.django_db(transaction=True)  # the pipeline enqueues its tasks when a transaction commits

E = {"e": NS, "ds": "http://www.w3.org/2000/09/xmldsig#", "xades": "http://uri.etsi.org/01903/v1.3.2#"}
SALE = {"website": "https://magaza.example.com.tr", "payment_method": "KREDIKARTI/BANKAKARTI", "payment_date": TODAY.isoformat(),
        "carrier": {"vkn": "4840847211", "name": "Hızlı Kargo A.Ş."}, "despatch_date": TODAY.isoformat()}
EXEMPT = {"kdv_rate": "0", "kdv_exemption_code": "351", "kdv_exemption_reason": "Diğer istisnalar"}


def a_day_of_invoices(client, key) -> dict[str, Invoice]:
    """Invoices of several types issued today, one cancelled, one objected to."""
    invoices = {
        "satis": issue(client, key, internet_sale=SALE),
        "tevkifat": issue(client, key, "TEVKIFAT", customer=CUSTOMER, lines=[{**SERVICE, "withholding": {"code": "606", "rate": "90"}}]),
        "istisna": issue(client, key, "ISTISNA", lines=[{**LINE, **EXEMPT}]),
    }
    invoices["iade"] = issue(client, key, "IADE", customer=CUSTOMER,
                             returns=[{"id": invoices["tevkifat"].number, "issue_date": TODAY.isoformat()}])
    return invoices


def test_a_day_with_several_types_a_cancellation_and_an_objection_makes_one_valid_signed_report(client, earsiv, tenant_a, test_root, tmp_path):
    invoices = a_day_of_invoices(client, earsiv)
    today = istanbul_today()
    invoice_cancel(tenant=tenant_a, uuid=invoices["istisna"].uuid, day=today, reason="Müşteri vazgeçti")
    objection_record(tenant=tenant_a, uuid=invoices["satis"].uuid, method="KEP", document_number="KEP-2026-1",
                     document_date=today, description="Tutar hatalı")

    (report,) = day_report(tenant=tenant_a, day=today)

    assert (report.state, report.invoices, report.cancellations, report.objections) == (Report.State.BUILT, 4, 1, 1)
    assert report.document.kind == Document.Kind.EARSIV_REPORT and report.document.subject_id == report.id
    signed = document_bytes(report.document)
    linted = xmllint_schema(signed, tmp_path)
    assert linted.returncode == 0, linted.stderr
    assert validate_report(signed) == []
    verified = xmlsec1_verify(signed, test_root, tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert "SignedInfo References (ok/all): 3/3" in verified.stderr
    ours = verify(signed, report_seal=True)
    assert ours.valid and ours.identifier == tenant_a.identifier and ours.timestamp_time is not None, ours.failed

    root = etree.fromstring(signed)
    assert root.find("e:baslik/ds:Signature", E) is not None  # enveloped, inside baslik
    assert root.find("e:baslik/ds:Signature/ds:Object/xades:QualifyingProperties/xades:UnsignedProperties"
                     "/xades:UnsignedSignatureProperties/xades:SignatureTimeStamp/xades:EncapsulatedTimeStamp", E) is not None
    assert root.findtext("e:baslik/e:raporNo", namespaces=E) == str(report.number).upper()
    assert root.findtext("e:baslik/e:mukellef/e:vkn", namespaces=E) == tenant_a.identifier
    assert root.findtext("e:baslik/e:donemBaslangicTarihi", namespaces=E) == today.isoformat()
    faturas = {f.findtext("e:faturaNo", namespaces=E): f for f in root.findall("e:fatura", E)}
    assert set(faturas) == {invoice.number for invoice in invoices.values()}
    assert {faturas[i.number].findtext("e:faturaTip", namespaces=E) for i in invoices.values()} == {"SATIS", "TEVKIFAT", "ISTISNA", "IADE"}
    for invoice in invoices.values():
        fatura = faturas[invoice.number]
        assert fatura.findtext("e:ozetDeger", namespaces=E) == hashlib.md5(invoice_xml(invoice)).hexdigest().upper()
        assert fatura.findtext("e:faturaUUID", namespaces=E) == str(invoice.uuid).upper()
        assert fatura.findtext("e:odenecekTutar", namespaces=E) == str(invoice.payable_amount)
    tevkifat = faturas[invoices["tevkifat"].number]
    assert tevkifat.findtext("e:vergiBilgisi/e:tevkifat/e:tevkifatKodu", namespaces=E) == "606"
    assert tevkifat.findtext("e:aliciBilgileri/e:tuzelKisi/e:vkn", namespaces=E) == CUSTOMER["vkn"]
    satis = faturas[invoices["satis"].number]
    assert satis.findtext("e:aliciBilgileri/e:gercekKisi/e:adiSoyadi", namespaces=E) == f"{PERSON['first_name']} {PERSON['last_name']}"
    sale = satis.find("e:internetSatisBilgi", E)
    assert (sale.findtext("e:webAdresi", namespaces=E), sale.findtext("e:odemeSekli", namespaces=E),
            sale.findtext("e:odemeTarihi", namespaces=E)) == (SALE["website"], SALE["payment_method"], TODAY.isoformat())
    assert sale.findtext("e:gonderiBilgileri/e:gonderiTasiyan/e:tuzelKisi/e:unvan", namespaces=E) == "Hızlı Kargo A.Ş."
    assert root.findtext("e:faturaIptal/e:faturaNo", namespaces=E) == invoices["istisna"].number
    assert root.findtext("e:faturaItiraz/e:itirazYontemi", namespaces=E) == "KEP"
    assert root.findtext("e:faturaItiraz/e:belgeNo", namespaces=E) == invoices["satis"].number

    # Reported once: the day has nothing left, and a second run reports nothing.
    assert pending(tenant=tenant_a, day=today) == []
    assert day_report(tenant=tenant_a, day=today) == []
    assert Item.objects.filter(active=True).count() == 6


def test_a_tampered_report_fails_xmlsec1_and_a_report_without_documents_fails_gibs_schematron(client, earsiv, tenant_a, test_root, tmp_path):
    issue(client, earsiv)
    (report,) = day_report(tenant=tenant_a, day=istanbul_today())
    signed = document_bytes(report.document)
    number = etree.fromstring(signed).findtext("e:fatura/e:faturaNo", namespaces=E)
    changed = signed.replace(f"<faturaNo>{number}</faturaNo>".encode(), f"<faturaNo>{number[:-1]}9</faturaNo>".encode())
    assert changed != signed and xmlsec1_verify(changed, test_root, tmp_path).returncode != 0

    root = etree.fromstring(signed)
    for fatura in root.findall("e:fatura", E):
        root.remove(fatura)
    emptied = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    empty = validate_report(emptied)  # the schema lets an empty choice pass; GİB's first rule does not
    assert [issue.layer for issue in empty] == ["gib"] and "faturaIptal" in empty[0].message
    wrong = validate_report(signed.replace(b"<faturaTip>SATIS</faturaTip>", b"<faturaTip>YTBSATIS</faturaTip>"))
    assert [issue.layer for issue in wrong] == ["gib"] and "ytbBilgileri" in wrong[0].message


def test_a_large_day_is_split_into_parts(client, earsiv, tenant_a, settings):
    settings.EARSIV_REPORT_PART_SIZE = 2
    numbers = {issue(client, earsiv).number for _ in range(3)}

    reports = day_report(tenant=tenant_a, day=istanbul_today())

    assert [(r.part, r.parts, r.invoices) for r in reports] == [(1, 2, 2), (2, 2, 1)]
    assert len({r.number for r in reports}) == 2
    found = set()
    for report in reports:
        root = etree.fromstring(document_bytes(report.document))
        assert root.findtext("e:baslik/e:bolumNo", namespaces=E) == str(report.part)
        found |= {f.findtext("e:faturaNo", namespaces=E) for f in root.findall("e:fatura", E)}
    assert found == numbers


def test_the_day_is_istanbuls_not_utcs(client, earsiv, tenant_a):
    """00:30 in Istanbul is 21:30 UTC of the day before; 23:59 in Istanbul is 20:59 UTC the same day."""
    after_midnight = dt.datetime.combine(TODAY, dt.time(0, 30), tzinfo=ISTANBUL)
    before_midnight = dt.datetime.combine(TODAY - dt.timedelta(days=1), dt.time(23, 59), tzinfo=ISTANBUL)
    assert after_midnight.astimezone(dt.UTC).date() == before_midnight.astimezone(dt.UTC).date()
    sealed = {}
    for name, moment in (("after", after_midnight), ("before", before_midnight)):
        with eager(False):
            body = {**today_payload("EARSIVFATURA", customer=PERSON), "issue_date": moment.date().isoformat()}
            response = client.post(INVOICES, json.dumps(body), content_type="application/json", **auth(earsiv))
        invoice = Invoice.objects.get(uuid=response.json()["uuid"], direction=Invoice.Direction.OUTGOING)
        invoice_validate(invoice_id=invoice.id)
        sealed[name] = invoice_seal(invoice_id=invoice.id, now=moment)
        assert sealed[name].status == Status.KEPT

    assert list(issued_on(tenant=tenant_a, day=TODAY)) == [sealed["after"]]
    assert list(issued_on(tenant=tenant_a, day=TODAY - dt.timedelta(days=1))) == [sealed["before"]]
    (report,) = report_claim(tenant=tenant_a, day=TODAY)
    assert [item.invoice_id for item in report.items.all()] == [sealed["after"].id]


def test_gibs_rules_give_the_same_messages_document_by_document_as_on_the_whole_report(client, earsiv, tenant_a, monkeypatch):
    import re

    from schematron import earsiv as rules

    for _ in range(6):
        issue(client, earsiv, internet_sale=SALE)
    (report,) = day_report(tenant=tenant_a, day=istanbul_today())
    signed = document_bytes(report.document)
    # GİB's second rule broken in the first and the fourth fatura (a card payment with no date), its third in the
    # second (YTB without ytbBilgileri); the fifth and sixth paid "DIGER - …" with no date, which the second rule lets pass.
    dates = iter(range(6))
    broken = re.sub(rb"<odemeTarihi>[^<]*</odemeTarihi>", lambda found: b"" if next(dates) in (0, 3, 4, 5) else found[0], signed)
    payments, other = iter(range(6)), {4: b"DIGER - Elden", 5: b"DIGER - Havale"}
    broken = re.sub(rb"<odemeSekli>[^<]*</odemeSekli>", lambda found: b"<odemeSekli>%s</odemeSekli>" % other[n] if (n := next(payments)) in other
                    else found[0], broken)
    types = iter(range(6))
    broken = re.sub(rb"<faturaTip>SATIS</faturaTip>", lambda found: b"<faturaTip>YTBSATIS</faturaTip>" if next(types) == 1 else found[0], broken)
    forms = []
    monkeypatch.setattr(rules, "_schematron", lambda path, xml, run=rules._schematron: forms.append(xml) or run(path, xml))
    one_by_one = rules.validate_report(broken)
    monkeypatch.setattr(rules, "_per_document", lambda path: False)
    whole = rules.validate_report(broken)

    assert [i.message for i in one_by_one] == [i.message for i in whole]
    assert len(whole) == 3 and {i.layer for i in whole} == {"gib"}
    assert ["ödeme tarihi" in i.message for i in whole] == [True, False, True] and "ytbBilgileri" in whole[1].message
    assert len(forms) == 1 + 4  # four forms (dated card, undated card, YTB, undated DIGER of either kind), each run once; then the whole
    monkeypatch.undo()
    assert rules.validate_report(signed) == []
