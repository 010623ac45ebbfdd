"""Validating an e-Arşiv report (``eArsivRaporu``) as GİB does: against ``EArsiv.xsd`` and GİB's
``earsiv_schematron.xsl``, both from the installed package's ``earsiv/`` folder.

GİB ships the schematron already compiled, declared XSLT 1.0 but calling the XPath 2.0
``document-uri()``: it runs in Saxon, as the UBL rules do. Each failed assert writes its message as
text; no text means the report passed. Schema and stylesheet are compiled once per process and
package version."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _
from lxml import etree

from schematron import engine
from schematron.package import InstalledPackage, active_package
from schematron.parsing import DOCTYPE_MARKERS, syntax_error

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
    """Every way *xml* falls short of GİB's e-Arşiv report schema and rules; empty when it passes."""
    package = active_package()
    if any(marker in xml for marker in DOCTYPE_MARKERS):
        return [ReportIssue("parse", _("a report has no DOCTYPE"))]
    try:  # a report of a busy day is larger than an invoice: bounded by its bölüm size, not UBL's limit
        tree = etree.ElementTree(etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)))
    except etree.XMLSyntaxError as exc:
        return [ReportIssue("parse", syntax_error(exc), exc.lineno)]
    schema = _schema(earsiv_file(SCHEMA, package))
    if not schema.validate(tree):
        return [ReportIssue("xsd", error.message, error.line) for error in schema.error_log]
    return [ReportIssue("gib", message) for message in _schematron(earsiv_file(SCHEMATRON, package), xml)]


def _schematron(path: Path, xml: bytes) -> list[str]:
    executable = _rules(path)
    with engine._lock:
        document = engine.processor().parse_xml(xml_text=xml.decode("utf-8"))
        output = executable.transform_to_string(xdm_node=document) or ""
    if output.startswith("<?xml"):  # the stylesheet names no output method: XML's, with its declaration
        output = output.split("?>", 1)[1]
    return [" ".join(line.split()) for line in output.splitlines() if line.strip()]
