"""Our compiled GİB schematron must fail exactly the asserts the ISO reference skeleton fails."""

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from schematron import engine, xsd
from schematron.parsing import parse_untrusted
from schematron.validation import detect_type, validate
from tests.clock import TODAY
from tests.gib_fixtures import GIB, SAMPLES, gib_package, gib_root  # noqa: F401
from tests.schematron_reference import ReferenceSchematron

NOT_WELL_FORMED = {"7_UYGULAMA_YANITI_IADE.xml"}  # shipped broken by GİB (PROVENANCE.md)


def _samples() -> list[Path]:
    found = []
    for path in sorted(SAMPLES.rglob("*.xml")):
        if path.name in NOT_WELL_FORMED:
            continue
        if etree.parse(str(path)).getroot().tag in xsd.SCHEMA_FOR_ROOT:
            found.append(path)
    return found


SAMPLE_FILES = _samples()


@pytest.fixture(scope="session")
def reference() -> ReferenceSchematron:
    return ReferenceSchematron(engine.processor(), GIB / "schematron" / "UBL-TR_Main_Schematron.xml")


def _key(context: str, test: str) -> tuple[str, str]:
    # The skeleton copies @test into an attribute value template, so "{3}" in a regex comes back as "3".
    return context, " ".join(test.replace("{", "").replace("}", "").split())


def _ours(path: Path, doc_type: str, package_root: Path) -> Counter:
    from schematron.package import active_package

    document = engine.parse(parse_untrusted(path.read_bytes()).text)
    failures = engine.gib_rules(active_package(), doc_type).run(document)
    return Counter(_key(f.info.context, f.info.test) for f in failures)


def _theirs(reference: ReferenceSchematron, path: Path, doc_type: str) -> Counter:
    return Counter(_key(context, test) for context, test, _ in reference.failed(path.read_bytes(), doc_type=doc_type))


def test_samples_cover_every_kind():
    folders = {path.parent.name for path in SAMPLE_FILES}
    assert {"efatura-paketi", "ubltr-1.2.1", "envelopes", "responses"} <= folders
    assert any("KULLANICI" in path.name for path in SAMPLE_FILES)  # envelopes with user accounts count


@pytest.mark.parametrize("doc_type", ["detected", "efatura", "earchive"])
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_same_failed_asserts_as_reference(path, doc_type, reference, gib_package):
    if doc_type == "detected":
        doc_type = detect_type(parse_untrusted(path.read_bytes()).tree)
    ours, theirs = _ours(path, doc_type, gib_package), _theirs(reference, path, doc_type)
    assert set(ours) == set(theirs)
    assert ours == theirs  # and as often (one per failing node)


def test_validate_reports_gib_failures_of_a_known_failing_sample(reference, gib_package):
    path = SAMPLES / "invoices" / "ubltr-1.2.1" / "TemelFaturaOrnegi.xml"
    report = validate(path.read_bytes())
    gib = [issue for issue in report.errors if issue.layer == "gib"]
    assert gib, "GİB's own sample fails GİB's rules; an empty result would mean nothing was checked"
    assert {issue.rule for issue in gib} == {"InvoiceIDCheck", "PartyIdentificationTCKNVKNCheck"}
    assert len(gib) == len(reference.failed(path.read_bytes(), doc_type="efatura"))
    assert all(issue.line and issue.xpath.startswith("/Invoice[1]") for issue in gib)


def test_earchive_type_is_detected_from_profile_id(gib_package):
    efatura = SAMPLES / "invoices" / "ubltr-1.2.1" / "YTB_Satıs_Efatura.xml"
    earchive = SAMPLES / "invoices" / "ubltr-1.2.1" / "YTB_Satıs_EArşiv.xml"
    assert validate(efatura.read_bytes()).doc_type == "efatura"
    assert validate(earchive.read_bytes()).doc_type == "earchive"
    forced = validate(earchive.read_bytes(), doc_type="efatura")
    assert "ProfileIDCheck" in {issue.rule for issue in forced.errors}


EMBEDDING = [path for path in SAMPLE_FILES if b"EmbeddedDocumentBinaryObject" in path.read_bytes()]


def test_most_samples_embed_their_design():
    assert len(EMBEDDING) >= 30


@pytest.mark.parametrize("path", EMBEDDING, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_rules_read_a_document_without_its_embedded_files_and_find_the_same(path, gib_package):
    """Saxon is given the document without the base64 of its design: no rule reads it, and every
    rule (GİB's and ours) must fail exactly where it fails on the whole document."""
    from schematron import validation
    from schematron.package import active_package

    data = path.read_bytes()
    parsed = parse_untrusted(data)
    today = TODAY
    doc_type = detect_type(parsed.tree)
    rules = [engine.gib_rules(active_package(), doc_type), engine.platform_rules()]
    read = validation._as_rules_read(parsed, rules)
    contents = [node.text.strip() for node in parsed.tree.iter("{*}EmbeddedDocumentBinaryObject") if (node.text or "").strip()]
    assert all(content not in read for content in contents)  # Saxon is not given them; the tree keeps them
    assert len(parsed.text) - len(read) >= sum(map(len, contents))
    assert read.count("EmbeddedDocumentBinaryObject") == data.count(b"EmbeddedDocumentBinaryObject")

    def issues(text: str) -> list:
        document = engine.parse(text)
        return (validation._gib_issues(parsed, active_package(), document, doc_type, today)
                + validation._platform_issues(parsed, document, today, None))

    whole = issues(parsed.text)
    assert issues(read) == whole
    assert [issue for issue in validate(data, today=today).errors if issue.layer in ("gib", "platform")] == whole


def test_rules_that_name_the_embedded_files_are_given_them(gib_package):
    from schematron import validation

    reading = engine.CompiledRules(
        '<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:output method="text"/>'
        '<xsl:template match="/"><xsl:value-of select="string-length(string(//*:EmbeddedDocumentBinaryObject[1]))"/>'
        '</xsl:template></xsl:stylesheet>', [], {})
    parsed = parse_untrusted(max(EMBEDDING, key=lambda path: path.stat().st_size).read_bytes())
    assert reading.reads_embedded and not engine.platform_rules().reads_embedded
    assert validation._as_rules_read(parsed, [engine.platform_rules(), reading]) is parsed.text
    assert len(validation._as_rules_read(parsed, [engine.platform_rules()])) < len(parsed.text) - 1000
