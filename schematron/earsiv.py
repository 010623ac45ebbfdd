"""Validating an e-Arşiv report (``eArsivRaporu``) as GİB does: against ``EArsiv.xsd`` and GİB's
``earsiv_schematron.xsl``, both from the installed package's ``earsiv/`` folder.

GİB ships the schematron already compiled, declared XSLT 1.0 but calling the XPath 2.0
``document-uri()``: it runs in Saxon, as the UBL rules do. Each failed assert writes its message as
text; no text means the report passed. Schema and stylesheet are compiled once per process and
package version."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree

from schematron import engine
from schematron.package import InstalledPackage, active_package
from schematron.parsing import DOCTYPE_MARKERS, syntax_error

NS = "http://earsiv.efatura.gov.tr"
SCHEMA = "EArsiv.xsd"
SCHEMATRON = "earsiv_schematron.xsl"


class EarsivPackageMissing(Exception):
    def __init__(self, path: Path) -> None:
        super().__init__(_("The installed GİB package has no e-Arşiv report schemas (%(path)s): install a package that has "
                           "EArsiv.xsd and earsiv_schematron.xsl.") % {"path": path})


@dataclass(frozen=True)
class ReportIssue:
    layer: str  # parse | xsd | gib
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.layer}{f':{self.line}' if self.line else ''}: {self.message}"


def earsiv_file(name: str, package: InstalledPackage | None = None) -> Path:
    package = package or active_package()
    path = package.earsiv_dir / name
    if not path.is_file():
        raise EarsivPackageMissing(path)
    return path


@cache
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)))


@cache
def _rules(path: Path):
    with engine._lock:
        return engine.processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def validate_report(xml: bytes) -> list[ReportIssue]:
    """Every way *xml* falls short of GİB's e-Arşiv report schema and rules; empty when it passes.

    A report may hold thousands of invoices: the schema is checked as the report is parsed (libxml2
    validates while it reads, identity constraints too), each of the root's children let go once
    read, so no tree of the whole report is held. GİB's schematron then runs on the whole report,
    or, when its rules are the ones GİB's package v1.1_6 ships (``PER_DOCUMENT_RULES``: one on the root,
    asking for at least one document, the others each about one ``fatura``), on each document alone
    reduced to what those rules read of it (``_as_the_rules_read``), in a report of its own with the
    root and the ``baslik``. Documents the rules read alike get the same messages, so each form is
    run once and its messages given to every document of that form, in the report's order: the same
    messages as the whole report's, with Saxon handed a few small reports where a day holds thousands."""
    package = active_package()
    if any(marker in xml for marker in DOCTYPE_MARKERS):
        return [ReportIssue("parse", _("a report has no DOCTYPE"))]
    rules = earsiv_file(SCHEMATRON, package)
    per_document = _per_document(rules)
    header, forms, messages, documents = b"", {}, [], 0
    parser = etree.iterparse(io.BytesIO(xml), events=("end",), schema=_schema(earsiv_file(SCHEMA, package)), resolve_entities=False,
                             no_network=True, load_dtd=False, remove_comments=False)
    try:
        for _event, element in parser:
            parent = element.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # the root, or inside one of its children
            if not header:
                header = etree.tostring(element)
            elif per_document:
                form = _as_the_rules_read(element)
                if form not in forms:
                    forms[form] = _schematron(rules, _report_of(header, [form]))
                messages += forms[form]
                documents += 1
            element.clear()
            while element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        found = exc.error_log.last_error if getattr(exc, "error_log", None) else None
        layer = "xsd" if found is not None and found.domain == etree.ErrorDomains.SCHEMASV else "parse"
        return [ReportIssue(layer, exc.msg if layer == "xsd" else syntax_error(exc), exc.lineno or None)]
    if not per_document:
        return [ReportIssue("gib", message) for message in _schematron(rules, xml)]
    if not documents:  # a report with no document at all: the root's rule speaks
        messages = _schematron(rules, _report_of(header, []))
    return [ReportIssue("gib", message) for message in messages]


# GİB's e-Arşiv schematron (package v1.1_6) as (rule context, test): the root's rule, and rules each
# about one fatura or what it holds. Another package's rules are run on the whole report.
PER_DOCUMENT_RULES = frozenset({
    ("earsiv:eArsivRaporu", "earsiv:fatura or earsiv:faturaIptal or earsiv:faturaItiraz or earsiv:mustahsilMakbuz or "
     "earsiv:mustahsilMakbuzIptal or earsiv:serbestMeslekMakbuz or earsiv:serbestMeslekMakbuzIptal or "
     "earsiv:serbestMeslekMakbuzItiraz or earsiv:mRapor or earsiv:ymRapor"),
    ("earsiv:eArsivRaporu/earsiv:fatura/earsiv:internetSatisBilgi",
     "earsiv:odemeSekli = 'KAPIDAODEME' or starts-with(earsiv:odemeSekli,'DIGER') or earsiv:odemeTarihi"),
    ("earsiv:eArsivRaporu/earsiv:fatura", "not(earsiv:ytbBilgileri) and (earsiv:faturaTip = 'YTBSATIS' or earsiv:faturaTip = "
     "'YTBISTISNA' or earsiv:faturaTip = 'YTBIADE')"),
})
_XSL = "http://www.w3.org/1999/XSL/Transform"
_FATURA, _TIP, _YTB, _SALE = (f"{{{NS}}}{name}" for name in ("fatura", "faturaTip", "ytbBilgileri", "internetSatisBilgi"))
_PAYMENT, _PAID = f"{{{NS}}}odemeSekli", f"{{{NS}}}odemeTarihi"


def _as_the_rules_read(document: etree._Element) -> bytes:
    """*document* as ``PER_DOCUMENT_RULES`` see it: its name and, of a ``fatura``, its ``faturaTip``
    (their value), its ``ytbBilgileri`` (whether there are any) and of each ``internetSatisBilgi``
    its ``odemeSekli`` (their value, one starting with DIGER as DIGER: the rule asks no more of it)
    and ``odemeTarihi`` (whether there are any). The rules read nothing else and their messages
    quote nothing, so Saxon is handed a few bytes where a ``fatura`` holds a kilobyte, and a day's
    documents come in the few forms GİB's schema allows (``faturaTip`` and ``odemeSekli`` are
    its enumerations)."""
    kept = etree.Element(document.tag, nsmap={None: NS})
    if document.tag == _FATURA:
        for child in document.iterchildren(_TIP, _YTB, _SALE):
            copy = etree.SubElement(kept, child.tag)
            if child.tag == _TIP:
                copy.text = child.xpath("string()")
            elif child.tag == _SALE:
                for part in child.iterchildren(_PAYMENT, _PAID):
                    etree.SubElement(copy, part.tag).text = _payment(part.xpath("string()")) if part.tag == _PAYMENT else None
    return etree.tostring(kept)


def _payment(value: str) -> str:
    return "DIGER" if value.startswith("DIGER") else value


@cache
def _per_document(path: Path) -> bool:
    stylesheet = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    rules = set()
    for template in stylesheet.iterfind(f"{{{_XSL}}}template[@mode='M1']"):
        tests = [" ".join(when.get("test", "").split()) for when in template.iter(f"{{{_XSL}}}when")]
        if tests:
            rules |= {(template.get("match"), test) for test in tests}
    return rules == PER_DOCUMENT_RULES


def _report_of(header: bytes, documents: list[bytes]) -> bytes:
    return b"".join([f'<eArsivRaporu xmlns="{NS}">'.encode(), header, *documents, b"</eArsivRaporu>"])


def _schematron(path: Path, xml: bytes) -> list[str]:
    executable = _rules(path)
    with engine._lock:
        document = engine.processor().parse_xml(xml_text=xml.decode("utf-8"))
        output = executable.transform_to_string(xdm_node=document) or ""
    if output.startswith("<?xml"):  # the stylesheet names no output method: XML's, with its declaration
        output = output.split("?>", 1)[1]
    return [" ".join(line.split()) for line in output.splitlines() if line.strip()]
