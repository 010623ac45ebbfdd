"""SBDH envelopes: what we build passes GİB's envelope XSD and schematron; GİB's samples read back."""

from pathlib import Path

import pytest
from lxml import etree

from directory.lookup import is_postbox
from envelopes import sbdh
from schematron.validation import validate
from signing.verify import verify
from tests.clock import NOW, TODAY, istanbul
from tests.envelope_helpers import A_ANSWERS, A_TO_B, ENVELOPE_ID, sealed_invoices, sealed_response
from tests.envelope_helpers import envelope, invoices  # noqa: F401  (fixtures)
from tests.gib import GIB

SAMPLES = GIB / "samples/envelopes"
NS = {"sh": sbdh.SH, "ef": sbdh.EF}
GB, PK = "urn:mail:defaultgb@gib.gov.tr", "urn:mail:defaultpk@gib.gov.tr"
# file: (type, InstanceIdentifier, sender alias and VKN, receiver alias and VKN, element type, count), read off the files
SAMPLE_HEADERS = {
    "1_SISTEM_YANITI_MERKEZ.xml": ("SYSTEMENVELOPE", "c8330dd2-a6df-4335-9ec7-3c62a73a35ca", "GIB", "3900383669", GB, "9999999999", "APPLICATIONRESPONSE", 1),
    "1_SISTEM_YANITI_POSTA_KUTUSU.xml": ("SYSTEMENVELOPE", "159159CF-4E2E-4868-BA42-CD0459DA824F", PK, "9999999999", GB, "9999999999", "APPLICATIONRESPONSE", 1),
    "1_TEMEL_FATURA_ZARF.xml": ("SENDERENVELOPE", "e002da78-223f-438c-addb-16badeb047b5", GB, "9999999999", PK, "9999999999", "INVOICE", 1),
    "2_TICARI_FATURA_ZARF.xml": ("SENDERENVELOPE", "ffb7e412-83b5-4e49-ba41-6605fdec43de", GB, "9999999999", PK, "9999999999", "INVOICE", 1),
    "2_UYGULAMA_YANITI_KABUL_ZARF.xml": ("POSTBOXENVELOPE", "f17a9858-6dfe-41a6-a264-3ef6fee4f557", PK, "9999999999", GB, "9999999999", "APPLICATIONRESPONSE", 1),
    "3_TICARI_FATURA_ZARF.xml": ("SENDERENVELOPE", "a6acaa5b-e392-4338-a996-0d2d80ede66f", GB, "9999999999", PK, "9999999999", "INVOICE", 1),
    "3_UYGULAMA_YANITI_RED_ZARF.xml": ("POSTBOXENVELOPE", "b3ded83b-0575-49f7-9a63-8e1f461b55c3", PK, "9999999999", GB, "9999999999", "APPLICATIONRESPONSE", 1),
    "4_KULLANICI_ACMA_ZARF.xml": ("USERENVELOPE", "08656bf3-4f41-499d-a907-da36b07741ae", "usergb", "9999999999", "GIB", "3900383669", "PROCESSUSERACCOUNT", 1),
    "5_KULLANICI_SILME_ZARF.xml": ("USERENVELOPE", "b3fc29fa-e7bb-4d58-8823-288b1b96051d", "usergb", "9999999999", "GIB", "3900383669", "CANCELUSERACCOUNT", 1),
    "6_TEMEL_FATURA_KDV_SIFIR_ZARF.xml": ("SENDERENVELOPE", "c3e45107-c95f-4b9a-a631-2b485e16f6c6", GB, "9999999999", PK, "9999999999", "INVOICE", 1),
    "7_TEMEL_FATURA_IADE_ZARF.xml": ("SENDERENVELOPE", "17715c8a-17a0-41fc-8244-850828f5ad52", GB, "9999999999", PK, "9999999999", "INVOICE", 1),
    "7_TICARI_FATURA_ZARF.xml": ("SENDERENVELOPE", "c2860863-a6ba-49fa-bead-da952a2f3bc8", GB, "9999999999", PK, "9999999999", "INVOICE", 1),
    "7_UYGULAMA_YANITI_IADE_ZARF.xml": ("POSTBOXENVELOPE", "5055d368-ca9e-4636-a22b-3b6d1dfd0166", PK, "9999999999", GB, "9999999999", "APPLICATIONRESPONSE", 1),
    "8_FATURA_SAKLAMA_KULLANICI_ACMA_ZARF.xml": ("USERENVELOPE", "5d6b37f5-58d5-4fe3-ae60-31f026eb0670", "archive", "9999999999", "GIB", "3900383669", "PROCESSUSERACCOUNT", 1),
    "9_FATURA_SAKLAMA_KULLANICI_SILME_ZARF.xml": ("USERENVELOPE", "c6169d7e-36ac-4bce-85fa-7f1255c8bcf9", "archive", "9999999999", "GIB", "3900383669", "CANCELUSERACCOUNT", 1),
}
BUILDERS = {"SENDERENVELOPE": sbdh.sender_envelope, "POSTBOXENVELOPE": sbdh.postbox_envelope}


def errors(report) -> list:
    return [(e.layer, e.rule, e.message_tr, e.xpath) for e in report.errors]



# --- building -----------------------------------------------------------------------------------------


def test_a_sender_envelope_of_sealed_invoices_passes_gibs_envelope_xsd_and_schematron(gib_package, envelope):
    report = validate(envelope, today=TODAY, postbox=is_postbox)
    assert report.valid, errors(report)


def test_a_postbox_envelope_of_a_sealed_kabul_passes(gib_package, seal_a, test_root):
    responses = [sealed_response(seal_a, test_root, code, uuid=uuid) for code, uuid in
                 (("KABUL", "c9ad1370-3581-11de-b418-0800200c9a66"), ("RED", "d1a9b2c3-3581-11de-b418-0800200c9a66"))]
    xml = sbdh.postbox_envelope(**A_ANSWERS, documents=responses, uuid=ENVELOPE_ID, created=NOW)
    report = validate(xml, today=TODAY)
    assert report.valid, errors(report)
    assert sbdh.parse_envelope(xml).element_type == "APPLICATIONRESPONSE"


def system_answer(code: int = 1200) -> bytes:
    # A's postbox answers an envelope B sent it.
    response = sbdh.system_response(
        sender_identifier="1234567890", sender_name="A Tekstil A.Ş.", receiver_identifier="4840847211",
        envelope="e002da78-223f-438c-addb-16badeb047b5", envelope_date=TODAY, code=code,
        description="BASARIYLA ISLENDI", uuid="74472467-65e3-4e52-ac9f-ef367e8967fc", issued=NOW,
    )
    return sbdh.system_envelope(**A_ANSWERS, document=response, uuid=ENVELOPE_ID, created=NOW)


def test_a_system_envelope_carries_one_system_response_shaped_as_gibs(gib_package):
    xml = system_answer()
    report = validate(xml, today=TODAY)
    assert report.valid, errors(report)
    response = etree.fromstring(sbdh.parse_envelope(xml).documents[0])
    ns = {"cac": sbdh.CAC, "cbc": sbdh.CBC}
    assert response.findtext("cac:DocumentResponse/cac:Response/cbc:ResponseCode", namespaces=ns) == "S_APR"
    assert response.findtext("cac:DocumentResponse/cac:DocumentReference/cbc:ID", namespaces=ns) == "e002da78-223f-438c-addb-16badeb047b5"
    assert response.findtext("cac:DocumentResponse/cac:LineResponse/cac:Response/cbc:ResponseCode", namespaces=ns) == "1200"


def test_a_system_response_with_a_code_gib_does_not_list_fails_gibs_rules(gib_package):
    report = validate(system_answer(code=1300), today=TODAY)  # 1300 is the center's, not a system response's
    assert "AppResponseCodeCheck" in {e.rule for e in report.errors}


def test_the_header_is_gibs(envelope):
    root = etree.fromstring(envelope)
    header = root.find("sh:StandardBusinessDocumentHeader", NS)
    assert "PackageProxy_1_2.xsd" in root.get(f"{{{sbdh.XSI}}}schemaLocation")
    sender = header.find("sh:Sender", NS)
    assert sender.findtext("sh:Identifier", namespaces=NS) == "urn:mail:gb@a-tekstil.com.tr"
    assert [(c.findtext("sh:ContactTypeIdentifier", namespaces=NS), c.findtext("sh:Contact", namespaces=NS))
            for c in sender.findall("sh:ContactInformation", NS)] == [("UNVAN", "A Tekstil A.Ş."), ("VKN_TCKN", "1234567890")]
    identification = header.find("sh:DocumentIdentification", NS)
    assert [(etree.QName(e).localname, e.text) for e in identification] == [
        ("Standard", "UBL-TR"), ("TypeVersion", "1.2"), ("InstanceIdentifier", ENVELOPE_ID),
        ("Type", "SENDERENVELOPE"), ("CreationDateAndTime", f"{istanbul(NOW):%Y-%m-%dT%H:%M:%S}"),  # Istanbul time, as GİB writes it
    ]
    assert [(e.tag, e.text) for e in root.find("ef:Package/Elements", NS)][:2] == [("ElementType", "INVOICE"), ("ElementCount", "3")]


def test_what_we_build_reads_back(envelope, invoices):
    read = sbdh.parse_envelope(envelope)
    assert (read.uuid, read.type, read.element_type, read.element_count) == (ENVELOPE_ID, "SENDERENVELOPE", "INVOICE", 3)
    assert read.parties() == A_TO_B
    assert read.created == NOW
    assert [etree.tostring(etree.fromstring(d), method="c14n") for d in read.documents] == [
        etree.tostring(etree.fromstring(i), method="c14n") for i in invoices
    ]


def test_sealed_invoices_verify_after_build_and_parse(envelope, test_root):
    for document in sbdh.parse_envelope(envelope).documents:
        report = verify(document, roots=[test_root.certificate])
        assert report.valid, report.failed


def test_a_new_envelope_gets_a_new_uuid(invoices):
    first, second = (sbdh.parse_envelope(sbdh.sender_envelope(**A_TO_B, documents=invoices[:1])).uuid for _ in range(2))
    assert first != second and len(first) == 36


# --- what cannot go into an envelope ------------------------------------------------------------------


def test_a_sender_envelope_carries_invoices_only(seal_a, test_root):
    with pytest.raises(sbdh.NotEmbeddable, match="ApplicationResponse, not Invoice"):
        sbdh.sender_envelope(**A_TO_B, documents=[sealed_response(seal_a, test_root)])


def test_a_postbox_envelope_carries_kabul_red_not_system_responses(gib_package):
    response = etree.fromstring(sbdh.parse_envelope(system_answer()).documents[0])
    with pytest.raises(sbdh.NotEmbeddable, match="'S_APR', not one of KABUL, RED"):
        sbdh.postbox_envelope(**A_ANSWERS, documents=[etree.tostring(response)])


@pytest.mark.parametrize("count", [0, 101])
def test_an_envelope_holds_1_to_100_invoices(invoices, count):
    with pytest.raises(sbdh.EnvelopeCount, match=f"not {count}"):
        sbdh.sender_envelope(**A_TO_B, documents=(invoices * 34)[:count])


def test_two_seals_with_one_id_are_refused_before_gib_refuses_them(tenant_a, tenant_b, seal_a, test_root):
    # xs:ID values must be unique in the whole envelope (the builder puts the invoice number in them).
    twins = sealed_invoices(tenant_a, seal_a, test_root, 2, seal_id="Signature")
    with pytest.raises(sbdh.DuplicateIds, match="'Signature' is document 1's too") as caught:
        sbdh.sender_envelope(**A_TO_B, documents=twins)
    assert caught.value.gib_code == 1160


@pytest.mark.parametrize("xml, words", [
    (b"<?xml-stylesheet href='x.xslt'?><Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>", "outside its root"),
    (b"<!DOCTYPE Invoice [<!ENTITY a 'a'>]><Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>", "DOCTYPE"),
    (b"<Invoice", "not well-formed"),
])
def test_documents_that_would_not_survive_the_envelope_are_refused(xml, words):
    with pytest.raises(sbdh.NotEmbeddable, match=words):
        sbdh.sender_envelope(**A_TO_B, documents=[xml])


def test_a_naive_creation_time_is_refused(invoices):
    with pytest.raises(ValueError, match="aware"):
        sbdh.sender_envelope(**A_TO_B, documents=invoices[:1], created=NOW.replace(tzinfo=None))


# --- GİB's samples ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SAMPLE_HEADERS))
def test_gibs_sample_envelopes_parse(name):
    read = sbdh.parse_envelope((SAMPLES / name).read_bytes())
    expected = SAMPLE_HEADERS[name]
    got = (read.type, read.uuid, read.sender_alias, read.sender_identifier, read.receiver_alias,
           read.receiver_identifier, read.element_type, read.element_count)
    assert got == expected
    assert read.created.tzinfo is not None and read.created.year == 2013


def test_every_sample_is_in_the_table():
    assert sorted(p.name for p in SAMPLES.glob("*.xml")) == sorted(SAMPLE_HEADERS)


def rebuild(read: sbdh.Envelope) -> bytes:
    common = {**read.parties(), "uuid": read.uuid, "created": read.created}
    if read.type == "SYSTEMENVELOPE":
        return sbdh.system_envelope(**common, document=read.documents[0])
    return BUILDERS[read.type](**common, documents=read.documents)


@pytest.mark.parametrize("name", sorted(n for n, h in SAMPLE_HEADERS.items() if h[0] != "USERENVELOPE"))
def test_gibs_samples_rebuild_to_what_they_hold(name):
    read = sbdh.parse_envelope((SAMPLES / name).read_bytes())
    again = sbdh.parse_envelope(rebuild(read))
    assert again == sbdh.Envelope(**{**read.__dict__, "uuid": str(sbdh.envelope_uuid(read.uuid))})


def c14n(element) -> bytes:
    return etree.tostring(element, method="c14n")


# 2_TICARI_FATURA is left out: GİB's enveloped copy names another xsi:schemaLocation than its file alone.
@pytest.mark.parametrize("name", ["1_TEMEL_FATURA", "3_TICARI_FATURA", "6_TEMEL_FATURA_KDV_SIFIR", "7_TEMEL_FATURA_IADE", "7_TICARI_FATURA"])
def test_a_document_read_from_a_sample_is_gibs_document_alone(name):
    # GİB's package ships each enveloped invoice on its own too: what we read out must be that document,
    # canonically, so without the envelope's sh/ef namespaces (a plain lxml tostring would carry them).
    document = sbdh.parse_envelope((SAMPLES / f"{name}_ZARF.xml").read_bytes()).documents[0]
    alone = Path(GIB / "samples/invoices/efatura-paketi" / f"{name}.xml").read_bytes()
    assert c14n(etree.fromstring(document)) == c14n(etree.fromstring(alone))


@pytest.mark.parametrize("xml, words", [
    (b"not xml", "not well-formed"),
    (b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>", "DOCTYPE"),
    (b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>", "not sh:StandardBusinessDocument"),
])
def test_what_is_not_an_envelope_is_said(xml, words):
    with pytest.raises(sbdh.NotAnEnvelope, match=words) as caught:
        sbdh.parse_envelope(xml)
    assert caught.value.gib_code == 1140


def test_a_count_that_does_not_match_the_list_is_refused():
    xml = (SAMPLES / "1_TEMEL_FATURA_ZARF.xml").read_bytes().replace(b"<ElementCount>1<", b"<ElementCount>2<")
    with pytest.raises(sbdh.NotAnEnvelope, match="ElementCount"):
        sbdh.parse_envelope(xml)
