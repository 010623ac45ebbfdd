"""Messages of failed GİB rules: GİB's Turkish text and our English one, filled with the same values."""

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from schematron import compiler, engine, messages, package
from schematron.compiler import COMPILER_VERSION, NS, AssertInfo
from schematron.package import active_package
from schematron.parsing import parse_untrusted
from schematron.validation import detect_type, validate
from tests.gib_fixtures import GIB, SAMPLES, gib_package, gib_root  # noqa: F401
from tests.schematron_reference import ReferenceSchematron
from tests.test_validation_conformance import SAMPLE_FILES

SCHEMATRON_FILES = ("UBL-TR_Main_Schematron.xml", "UBL-TR_Common_Schematron.xml", "UBL-TR_Codelist.xml")
TICARI = SAMPLES / "invoices" / "ubltr-1.2.1" / "TicariFaturaOrnegi.xml"
WITH_VALUES = SAMPLES / "invoices" / "efatura-paketi" / "7_TICARI_FATURA.xml"  # UBL 2.0, TR1.0, currencyID TRL


def _placeholders(text: str) -> Counter:
    return Counter(re.findall(r"\{\d+\}", text))


def _gib_templates(folder: Path) -> list[tuple[str, str]]:
    """(rule id, template) of every assert and report in GİB's schematron files, used or not."""
    found = []
    for name in SCHEMATRON_FILES:
        root = etree.parse(str(folder / name)).getroot()
        for check in root.xpath(".//sch:assert | .//sch:report", namespaces=NS):
            rule = check.getparent().get("id") or check.getparent().get("context")
            found.append((rule, compiler.normalize_space(compiler.message_template(check, []))))
    return found


def _gib(report) -> list:
    return [issue for issue in report.errors if issue.layer == "gib"]


def test_every_gib_assert_has_an_english_text(gib_package):
    templates = _gib_templates(active_package().path / "schematron")
    assert len(templates) > 250  # all of GİB's asserts were found, not an empty walk
    missing = [(rule, text) for rule, text in templates if messages.catalog_key(text) not in messages.english_templates()]
    assert missing == []


def test_every_compiled_assert_has_an_english_text(gib_package):
    asserts = engine.gib_rules(active_package(), "efatura").asserts
    assert all(info.message for info in asserts)
    assert {info.rule for info in asserts if messages.catalog_key(info.message) not in messages.english_templates()} == set()


def test_english_placeholders_match_turkish():
    catalog = json.loads(messages.CATALOG.read_text(encoding="utf-8"))
    mismatched = {tr: en for tr, en in catalog.items() if set(_placeholders(tr)) != set(_placeholders(en))}
    assert mismatched == {}
    assert all(en.strip() for en in catalog.values())


def test_values_fill_both_languages_in_a_real_sample(gib_package):
    # GİB's own sample still written for UBL 2.0 / TR1.0 with the old lira (TRL).
    issues = _gib(validate(WITH_VALUES.read_bytes()))
    by_rule = {issue.rule: issue for issue in issues}
    assert by_rule["UBLVersionIDCheck"].message_tr == "Geçersiz cbc:UBLVersionID elemanı değeri : '2.0'. cbc:UBLVersionID değeri '2.1' olmalıdır."
    assert by_rule["UBLVersionIDCheck"].message_en == "Invalid cbc:UBLVersionID value '2.0'. cbc:UBLVersionID must be '2.1'."
    assert by_rule["CustomizationIDCheck"].message_en == "Invalid cbc:CustomizationID value 'TR1.0'. cbc:CustomizationID must be 'TR1.2' or 'TR1.2.1'."
    currencies = [issue for issue in issues if issue.rule == "GeneralCurrencyIDCheck"]
    assert len(currencies) == 30
    assert {issue.message_en for issue in currencies} == {"Invalid currencyID attribute 'TRL'. See the code list for valid values."}
    assert all(issue.xpath.endswith("/@currencyID") and issue.line for issue in currencies)


def test_element_names_and_several_values(gib_package):
    altered = TICARI.read_bytes().replace(b"<cbc:ProfileID>TICARIFATURA<", b"<cbc:ProfileID>ENERJI<")
    altered = re.sub(rb"<cbc:UUID>[^<]*<", b"<cbc:UUID>not-a-uuid<", altered, count=1)
    by_rule = {issue.rule: issue for issue in _gib(validate(altered))}
    assert by_rule["InvoiceTypeCodeCheck"].message_en == (
        "Invalid cbc:ProfileID and cbc:InvoiceTypeCode values: 'ENERJI and SATIS'. "
        "When cbc:ProfileID is ENERJI, cbc:InvoiceTypeCode must be SARJ or SARJANLIK."
    )
    assert "'ENERJI ve SATIS'" in by_rule["InvoiceTypeCodeCheck"].message_tr
    assert by_rule["UUIDCheck"].message_en == "Invalid value of element cbc:UUID. cbc:UUID must be a UUID."
    assert by_rule["UUIDCheck"].message_tr == "Geçersiz cbc:UUID elemanı değeri. cbc:UUID elemanı UUID formatında olmalıdır."


def test_text_without_translation_falls_back_to_english_naming_the_rule():
    info = AssertInfo("NewRuleCheck", "inv:Invoice", "cbc:X", "assert", "invoice", "Yeni kural: '{0}' geçersiz.", "")
    text = messages.english(info, ("42",))
    assert text == "GİB rule NewRuleCheck failed (no English text for it yet). GİB's message: Yeni kural: '42' geçersiz."


def test_translation_survives_whitespace_changes_in_gibs_text():
    info = AssertInfo("R", "c", "t", "assert", "p", "Geçersiz currencyID niteliği :\n\t'{0}'.  Geçerli değerler için kod listesine bakınız.", "")
    assert messages.english(info, ("TRL",)) == "Invalid currencyID attribute 'TRL'. See the code list for valid values."


@pytest.fixture(scope="module")
def reference() -> ReferenceSchematron:
    return ReferenceSchematron(engine.processor(), GIB / "schematron" / "UBL-TR_Main_Schematron.xml")


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_turkish_text_is_what_the_reference_skeleton_writes(path, reference, gib_package):
    doc_type = detect_type(parse_untrusted(path.read_bytes()).tree)
    document = engine.parse(parse_untrusted(path.read_bytes()).text)
    ours = engine.gib_rules(active_package(), doc_type).run(document)
    theirs = reference.messages(path.read_bytes(), doc_type=doc_type)
    normal = lambda text: " ".join(text.split())  # noqa: E731
    assert Counter(normal(f.message) for f in ours) == Counter(normal(text) for _, _, text in theirs)


# --- packages compiled by an earlier compiler ----------------------------------------------------


def _as_if_installed_by_an_older_version(package_root: Path, target_root: Path) -> Path:
    """A copy of the installed package whose only compiled output is in the old layout and format."""
    shutil.copytree(package_root, target_root)
    version = json.loads((target_root / "registry.json").read_text())["active"]
    compiled = target_root / version / "compiled"
    shutil.rmtree(compiled)
    compiled.mkdir()
    (compiled / "gib.xsl").write_text("<old/>")
    (compiled / "gib.json").write_text(json.dumps([{"rule": "R", "context": "c", "test": "t", "kind": "assert", "pattern": "p"}]))
    return compiled


def test_package_compiled_by_an_older_compiler_is_recompiled(settings, tmp_path, gib_package):
    compiled = _as_if_installed_by_an_older_version(gib_package, tmp_path / "root")
    settings.GIB_PACKAGES_ROOT = tmp_path / "root"
    issues = _gib(validate(WITH_VALUES.read_bytes()))
    assert "Invalid cbc:UBLVersionID value '2.0'. cbc:UBLVersionID must be '2.1'." in {issue.message_en for issue in issues}
    assert (compiled / COMPILER_VERSION / "gib.xsl").is_file()  # kept, so the next process does not compile again
    assert (compiled / "gib.xsl").read_text() == "<old/>"  # the older version's output is left as it was


def test_read_only_package_is_compiled_in_memory(settings, tmp_path, gib_package, monkeypatch):
    compiled = _as_if_installed_by_an_older_version(gib_package, tmp_path / "root")
    settings.GIB_PACKAGES_ROOT = tmp_path / "root"

    def read_only(*args):
        raise PermissionError(13, "Permission denied", str(compiled))

    monkeypatch.setattr(package, "_store_compiled", read_only)
    issues = _gib(validate(WITH_VALUES.read_bytes()))
    assert "Invalid cbc:UBLVersionID value '2.0'. cbc:UBLVersionID must be '2.1'." in {issue.message_en for issue in issues}
    assert not (compiled / COMPILER_VERSION).exists()
