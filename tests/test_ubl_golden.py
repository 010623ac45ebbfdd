"""Golden files: each profile and type, built with a fixed ETTN and date, compared with the expected
tree in tests/golden/. After a deliberate change of the builder, regenerate them with
``UPDATE_GOLDEN=1 make test`` and read the diff before committing it."""

import base64
import os
from pathlib import Path

import pytest
from lxml import etree

from invoices.payload import InvoicePayloadSerializer, payload_to_invoice
from invoices.services import tenant_party
from schematron.validation import validate
from tests.clock import GOLDEN_DAY
from tests.invoice_payloads import CASES
from ubl import build, totals
from ubl.build import DEFAULT_XSLT

GOLDEN = Path(__file__).with_name("golden")
BLOB = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}EmbeddedDocumentBinaryObject"


def built(tenant, case: str) -> etree._Element:
    serializer = InvoicePayloadSerializer(data={**CASES[case], "issue_date": GOLDEN_DAY.isoformat()})  # the golden files' day
    assert serializer.is_valid(), serializer.errors
    document = payload_to_invoice(serializer.validated_data, supplier=tenant_party(tenant))
    document.id = "EAA2026000000042" if document.profile == "EARSIVFATURA" else "AAA2026000000042"
    document.uuid = "3F2504E0-4F89-41D3-9A0C-0305E82C3301"
    return build.build_invoice(build.with_amount_in_words(totals.compute(document)))


def canonical(root: etree._Element) -> bytes:
    root = etree.fromstring(etree.tostring(root))
    blob = root.find(f".//{BLOB}")
    assert base64.b64decode(blob.text) == DEFAULT_XSLT.read_bytes()
    blob.text = "(default.xslt)"  # the design is checked above; keep the golden files readable
    etree.indent(root)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_built_invoice_matches_its_golden_file(tenant_a, case):
    actual = canonical(built(tenant_a, case))
    path = GOLDEN / f"{case}.xml"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_bytes(actual)
    assert actual.decode() == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_built_invoice_passes_all_four_layers(tenant_a, gib_package, case):
    root = built(tenant_a, case)
    report = validate(build.to_bytes(root), today=GOLDEN_DAY)
    assert report.valid, [(e.layer, e.rule, e.message_tr) for e in report.errors]
    assert report.doc_type == ("earchive" if CASES[case]["profile"] == "EARSIVFATURA" else "efatura")


def test_the_platform_rules_catch_totals_that_do_not_add_up(tenant_a, gib_package):
    root = built(tenant_a, "ticari_satis")
    root.find(".//{*}LegalMonetaryTotal/{*}PayableAmount").text = "1.00"
    report = validate(build.to_bytes(root), today=GOLDEN_DAY)
    assert [(e.layer, e.rule) for e in report.errors] == [("platform", "PLT-TOTAL-PAYABLE")]
