"""Validation of UBL-TR documents in layers: parse → XML schema → GİB schematron → platform rules.

Every layer that can run does run (GİB reports schema and schematron errors together); only a
document that cannot be parsed, or whose root we do not know, stops after the first layer.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from django.utils import translation
from lxml import etree
from saxonche import PySaxonApiError

from schematron import engine, facts, messages, xsd
from schematron.package import InstalledPackage, active_package
from schematron.parsing import Parsed, UnsafeOrBroken, parse_untrusted, parsed_from

DOC_TYPES = ("efatura", "earchive")
ISTANBUL = ZoneInfo("Europe/Istanbul")
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


@dataclass(frozen=True)
class ValidationIssue:
    layer: str  # parse | xsd | gib | platform
    rule: str
    message_tr: str
    message_en: str
    xpath: str | None = None
    line: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        """The rule and its message in the active language (GİB writes Turkish only: ours is beside it)."""
        return f"{self.rule}: {localized(self.as_dict())}"


def localized(issue: dict) -> str:
    """The message of an issue (as ``ValidationIssue.as_dict`` keeps it) in the active language."""
    english = (translation.get_language() or "").startswith("en")
    return issue.get("message_en" if english else "message_tr", "")


@dataclass(frozen=True)
class Report:
    errors: list[ValidationIssue] = field(default_factory=list)
    doc_type: str | None = None

    @property
    def valid(self) -> bool:
        return not self.errors


def validate(
    xml_bytes: bytes, *, doc_type: str | None = None, today: date | None = None, platform: bool = True,
    postbox: facts.PostboxLookup | None = None, tree: etree._ElementTree | None = None,
) -> Report:
    """Validate one document; raises PackageNotInstalled when there is no GİB package to validate with.

    ``doc_type`` forces GİB's ``type`` parameter (efatura | earchive); by default it is earchive
    exactly when the invoice's ProfileID is EARSIVFATURA.  ``today`` is the day GİB's date rules and
ours judge by (default: Istanbul's, as GİB's);
    ``platform=False`` leaves our own rules out (for documents others issued: GİB's rules are theirs).
    ``postbox`` tells the platform rules whether a SENDERENVELOPE's receivers are postboxes on GİB's
    user list (``directory.lookup.is_postbox``); without it none is. ``tree`` is *xml_bytes* as the
    caller read it already with a safe parser (an envelope it received): it is not parsed again.
    """
    if doc_type is not None and doc_type not in DOC_TYPES:
        raise ValueError(f"doc_type must be one of {DOC_TYPES}, not {doc_type!r}")
    package = active_package()
    try:
        parsed = parse_untrusted(xml_bytes) if tree is None else parsed_from(tree, xml_bytes)
    except UnsafeOrBroken as exc:
        return Report([_parse_issue(exc)])
    if parsed.tree.getroot().tag not in xsd.SCHEMA_FOR_ROOT:
        return Report([_unknown_root(parsed.tree.getroot())])
    doc_type = doc_type or detect_type(parsed.tree)
    return Report(_layers(parsed, package, doc_type, today or datetime.now(ISTANBUL).date(), platform, postbox), doc_type)


def validate_envelope_header(skeleton: etree._Element, *, today: date | None = None,
                             postbox: facts.PostboxLookup | None = None) -> Report:
    """What an envelope adds to documents that were checked already: the envelope as built without
    them (its header, then ef:Package up to an empty ElementList), its header against GİB's schema,
    the whole of it against GİB's rules and ours (``postbox`` as for ``validate``).

    GİB's rules count the documents in ElementList; here it holds none, so they are counted as none
    (ElementCount 0). How many documents an envelope holds, and which may travel together, is the
    packer's to keep (``envelopes.sbdh``, ``envelopes.packing``), and that they are the documents
    checked is told by their hashes (``envelopes.sending``).
    """
    package = active_package()
    counted = copy.deepcopy(skeleton)
    for count in counted.iterfind("{*}Package/Elements/ElementCount"):
        count.text = "0"
    parsed = parse_untrusted(etree.tostring(counted, xml_declaration=True, encoding="UTF-8"))
    header = parsed.tree.getroot().find(xsd.HEADER)
    if header is None:
        return Report([_unknown_root(parsed.tree.getroot())])
    issues = _schema_issues(Parsed(etree.ElementTree(copy.deepcopy(header)), ""), package)
    try:
        document = engine.parse(parsed.text)
    except PySaxonApiError as exc:
        return Report(issues + [_engine_issue("gib", exc)], "efatura")
    day = today or datetime.now(ISTANBUL).date()
    issues += _gib_issues(parsed, package, document, "efatura", day)
    issues += _platform_issues(parsed, document, day, postbox)
    return Report(issues, "efatura")


def detect_type(tree: etree._ElementTree) -> str:
    """GİB's rule (Açıklamalar.txt): e-Arşiv invoices are checked with type=earchive."""
    profile = tree.getroot().findtext(f"{{{CBC}}}ProfileID") or ""
    return "earchive" if profile.strip() == "EARSIVFATURA" else "efatura"


def _layers(parsed: Parsed, package: InstalledPackage, doc_type: str, today: date, platform: bool,
            postbox: facts.PostboxLookup | None) -> list[ValidationIssue]:
    issues = _schema_issues(parsed, package)
    try:
        rules = [engine.gib_rules(package, doc_type), *([engine.platform_rules()] if platform else [])]
    except PySaxonApiError:
        rules = None  # rules that do not compile are reported where they run, on the whole document
    try:
        document = engine.parse(parsed.text if rules is None else _as_rules_read(parsed, rules))
    except PySaxonApiError as exc:
        return issues + [_engine_issue("gib", exc)]
    issues += _gib_issues(parsed, package, document, doc_type, today)
    if platform:
        issues += _platform_issues(parsed, document, today, postbox)
    return issues


# --- layer 1 ------------------------------------------------------------------------------------


def _parse_issue(error: UnsafeOrBroken) -> ValidationIssue:
    with translation.override("tr"):
        message_tr = f"Belge okunamadı: {error}"
    with translation.override("en"):
        message_en = f"Document rejected: {error}"
    return ValidationIssue("parse", "XML", message_tr, message_en, None, error.line)


def _unknown_root(root: etree._Element) -> ValidationIssue:
    name = etree.QName(root)
    message_en = f"unknown document type: root element {{{name.namespace or ''}}}{name.localname} is not an Invoice, ApplicationResponse or envelope"
    message_tr = f"Bilinmeyen belge türü: kök eleman {name.localname} (Invoice, ApplicationResponse veya zarf bekleniyor)"
    return ValidationIssue("parse", "ROOT", message_tr, message_en, f"/{root.prefix + ':' if root.prefix else ''}{name.localname}[1]", root.sourceline)


# --- layer 2 ------------------------------------------------------------------------------------


# libxml2's schema errors in Turkish, by their type (its own messages are English); the element
# they are about is named by its path. A type not listed is named by itself.
SCHEMA_ERRORS_TR = {
    "SCHEMAV_ELEMENT_CONTENT": "öğe burada beklenmiyor ya da beklenen bir öğe eksik",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_4": "öğe burada beklenmiyor ya da beklenen bir öğe eksik",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_3": "bu öğe metin içeremez",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_1": "bu öznitelik burada kullanılamaz",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_2": "bu öznitelik burada kullanılamaz",
    "SCHEMAV_CVC_COMPLEX_TYPE_4": "zorunlu bir öznitelik eksik",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": "değer, türünün biçimine uymuyor",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_3": "değer, türünün biçimine uymuyor",
    "SCHEMAV_CVC_ENUMERATION_VALID": "değer, izin verilen değerlerden biri değil",
    "SCHEMAV_CVC_PATTERN_VALID": "değer, beklenen kalıba uymuyor",
    "SCHEMAV_CVC_LENGTH_VALID": "değerin uzunluğu beklenenden farklı",
    "SCHEMAV_CVC_MINLENGTH_VALID": "değer izin verilenden kısa",
    "SCHEMAV_CVC_MAXLENGTH_VALID": "değer izin verilenden uzun",
    "SCHEMAV_CVC_TOTALDIGITS_VALID": "değerde izin verilenden çok basamak var",
    "SCHEMAV_CVC_FRACTIONDIGITS_VALID": "değerde izin verilenden çok ondalık basamak var",
    "SCHEMAV_CVC_TYPE_3_1_1": "bu öğenin öznitelikleri türüne uymuyor",
    "SCHEMAV_CVC_TYPE_3_1_2": "bu öğe alt öğe içeremez",
    "SCHEMAV_CVC_ELT_1": "kök öğe şemada tanımlı değil",
    "SCHEMAV_CVC_ATTRIBUTE_3": "öznitelik değeri türüne uymuyor",
    "SCHEMAV_CVC_IDC": "bir anahtar ya da tekillik kısıtı karşılanmıyor",
}


def _schema_issues(parsed: Parsed, package: InstalledPackage) -> list[ValidationIssue]:
    return [
        ValidationIssue("xsd", "XSD", _schema_error_tr(path, kind), message, path, line)
        for message, line, path, kind in xsd.validate(parsed.tree, package.xsd_root)
    ]


def _schema_error_tr(path: str | None, kind: str) -> str:
    where = (path or "").rsplit("/", 1)[-1] or "belge"
    wording = SCHEMA_ERRORS_TR.get(kind) or f"şemaya uymuyor ({kind})"
    return f"XML şema hatası: {where}: {wording}"


# --- layers 3 and 4 -------------------------------------------------------------------------------


def _as_rules_read(parsed: Parsed, rules: list[engine.CompiledRules]) -> str:
    """The document for Saxon: without the content of its embedded files (the design's XSLT, an
    attachment) when no rule names ``EmbeddedDocumentBinaryObject``, as none of GİB's does. The
    elements and their attributes stay, so every rule sees the same nodes at the same paths.

    A sealed invoice is about 28 KB, of which the base64 of its design is 22 KB: Saxon parses it in
    0.42 ms, and in 0.23 ms without (validate() in 1.58 ms instead of 1.71).
    """
    if any(compiled.reads_embedded for compiled in rules):
        return parsed.text
    embedded = [(node, node.text) for node in parsed.tree.iter(f"{{*}}{engine.EMBEDDED}") if node.text]
    if not embedded:
        return parsed.text
    try:
        for node, _text in embedded:
            node.text = ""
        return etree.tostring(parsed.tree, encoding="unicode")
    finally:
        for node, text in embedded:
            node.text = text


def _engine_issue(layer: str, error: Exception) -> ValidationIssue:
    # A rule that cannot be evaluated (e.g. a cast of garbage) must not pass silently.
    text = " ".join(str(error).split())[:500]
    return ValidationIssue(layer, "ENGINE", f"Kurallar değerlendirilemedi: {text}", f"rules could not be evaluated: {text}")


def _rule_issues(layer: str, parsed: Parsed, run, english) -> list[ValidationIssue]:
    """Run compiled rules; each failed assert becomes an issue, located in the source."""
    try:
        failures = run()
    except PySaxonApiError as exc:
        return [_engine_issue(layer, exc)]
    return [
        ValidationIssue(layer, f.info.rule, f.message, english(f), f.xpath, line_of(parsed.tree, f.xpath))
        for f in failures
    ]


def _gib_issues(parsed: Parsed, package: InstalledPackage, document, doc_type: str, today: date) -> list[ValidationIssue]:
    return _rule_issues(
        "gib",
        parsed,
        lambda: engine.gib_rules(package, doc_type).run(document, **{engine.TODAY: today.isoformat()}),
        lambda f: messages.english(f.info, f.values),
    )


def _platform_issues(parsed: Parsed, document, today: date, postbox: facts.PostboxLookup | None) -> list[ValidationIssue]:
    # Passed on every run, even empty: a parameter stays set, and another document's facts must not count.
    known = engine.parse(facts.postboxes(parsed.tree, postbox))
    return _rule_issues(
        "platform",
        parsed,
        lambda: engine.platform_rules().run(document, today=today.isoformat(), postboxes=known),
        lambda f: f.diagnostics or f"Platform rule {f.info.rule} failed: {f.info.test}",
    )


def _step(element: etree._Element, step: str) -> etree._Element | None:
    name, _, index = step.rstrip("]").partition("[")
    prefix, _, local = name.rpartition(":")
    # "{*}local" lets lxml skip the other children without building a QName for each of them.
    same = (c for c in element.iterchildren(f"{{*}}{local}") if (c.prefix or "") == prefix)
    return next(islice(same, int(index or 1) - 1, None), None)


def line_of(tree: etree._ElementTree, xpath: str) -> int | None:
    """Source line of a path from the compiled rules (``/p:name[n]/...``, optional ``/@attr``)."""
    steps = [s for s in xpath.split("/") if s and not s.startswith("@")]
    if not steps:
        return None
    element = tree.getroot()
    for step in steps[1:]:
        element = _step(element, step)
        if element is None:
            return None
    return element.sourceline
