"""Layer 2: GİB's XML schemas, loaded once per package version and process."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from lxml import etree

UBL_INVOICE = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
UBL_RESPONSE = "{urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2}ApplicationResponse"
ENVELOPE = "{http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader}StandardBusinessDocument"

# Root element → schema file, relative to the package's xsd/ folder.
SCHEMA_FOR_ROOT = {
    UBL_INVOICE: "maindoc/UBL-Invoice-2.1.xsd",
    UBL_RESPONSE: "maindoc/UBL-ApplicationResponse-2.1.xsd",
    ENVELOPE: "Envelope/PackageProxy_1_2.xsd",
}
_lock = threading.Lock()


class _MaindocResolver(etree.Resolver):
    """Package_1_2.xsd imports UBL-*-2.1.xsd from its own folder, where GİB does not ship them."""

    def __init__(self, xsd_root: Path) -> None:
        super().__init__()
        self.xsd_root = xsd_root

    def resolve(self, url, pubid, context):
        name = Path(url).name
        wanted = self.xsd_root / "maindoc" / name
        if Path(url).parent.name == "Envelope" and not Path(url).exists() and wanted.is_file():
            return self.resolve_filename(str(wanted), context)
        return None


def _schema_parser(xsd_root: Path) -> etree.XMLParser:
    # Schemas are ours/GİB's files on disk; imports stay on disk too (no_network).
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_MaindocResolver(xsd_root))
    return parser


@cache
def schema(xsd_root: Path, relative: str) -> etree.XMLSchema:
    """The compiled schema; cached, because compiling UBL's schemas takes a large fraction of a second."""
    tree = etree.parse(str(xsd_root / relative), _schema_parser(xsd_root))
    return etree.XMLSchema(tree)


def validate(tree: etree._ElementTree, xsd_root: Path) -> list[tuple[str, int | None, str]]:
    """(message, line, path) for each schema error; the root must be one of SCHEMA_FOR_ROOT."""
    compiled = schema(xsd_root, SCHEMA_FOR_ROOT[tree.getroot().tag])
    # XMLSchema keeps its error log on the object, so one validation at a time per schema.
    with _lock:
        if compiled.validate(tree):
            return []
        return [(entry.message, entry.line, entry.path) for entry in compiled.error_log]
