"""Layer 2: GİB's XML schemas, loaded once per package version and process."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from lxml import etree

UBL_INVOICE = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
UBL_RESPONSE = "{urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2}ApplicationResponse"
ENVELOPE = "{http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader}StandardBusinessDocument"
HEADER = "{http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader}StandardBusinessDocumentHeader"

# Root element → schema file, relative to the package's xsd/ folder.
SCHEMA_FOR_ROOT = {
    UBL_INVOICE: "maindoc/UBL-Invoice-2.1.xsd",
    UBL_RESPONSE: "maindoc/UBL-ApplicationResponse-2.1.xsd",
    ENVELOPE: "Envelope/PackageProxy_1_2.xsd",
    HEADER: "Envelope/PackageProxy_1_2.xsd",  # an envelope's header alone: GİB declares it an element of its own
}
_lock = threading.Lock()
_compile_lock = threading.Lock()


XS = "{http://www.w3.org/2001/XMLSchema}"


def point_envelope_imports(xsd_root: Path) -> None:
    """GİB's Package_1_2.xsd imports UBL-*-2.1.xsd from its own folder, where GİB does not ship them:
    point such imports at maindoc/ in the installed copy, so the schema compiles from files alone.

    Done at install, and again (a no-op once done) before compiling, for packages installed earlier.
    A custom lxml resolver would do it in memory, but lxml swaps libxml2's process-wide entity loader
    around every parse: a parse in another thread during the compile silently dropped the import.
    """
    for path in sorted((xsd_root / "Envelope").glob("*.xsd")):
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
        changed = False
        for reference in tree.getroot().iter(f"{XS}import", f"{XS}include"):
            location = reference.get("schemaLocation", "")
            if location and not (path.parent / location).exists() and (xsd_root / "maindoc" / Path(location).name).is_file():
                reference.set("schemaLocation", f"../maindoc/{Path(location).name}")
                changed = True
        if changed:
            temporary = path.with_suffix(".xsd.tmp")
            tree.write(str(temporary), xml_declaration=True, encoding="UTF-8")
            temporary.replace(path)


@cache
def schema(xsd_root: Path, relative: str) -> etree.XMLSchema:
    """The compiled schema; cached, because compiling UBL's schemas takes a large fraction of a second."""
    with _compile_lock:
        point_envelope_imports(xsd_root)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)  # imports stay on disk
        return etree.XMLSchema(etree.parse(str(xsd_root / relative), parser))


def validate(tree: etree._ElementTree, xsd_root: Path) -> list[tuple[str, int | None, str, str]]:
    """(message, line, path, libxml2's error type) for each schema error; the root must be one of SCHEMA_FOR_ROOT."""
    compiled = schema(xsd_root, SCHEMA_FOR_ROOT[tree.getroot().tag])
    # XMLSchema keeps its error log on the object, so one validation at a time per schema.
    with _lock:
        if compiled.validate(tree):
            return []
        return [(entry.message, entry.line, entry.path, entry.type_name) for entry in compiled.error_log]
