"""Our compiled GİB schematron must fail exactly the asserts the ISO reference skeleton fails."""

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from schematron import engine, xsd
from schematron.parsing import parse_untrusted
from schematron.validation import detect_type, validate
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
