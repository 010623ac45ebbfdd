"""Layer 1: parsing untrusted XML safely.

No DTD is loaded, no entity is expanded, nothing is fetched from the network or the file system,
and a document that carries a DOCTYPE at all is refused: e-documents never need one, and every
entity trick (billion laughs, XXE) starts with one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from lxml import etree

# Checked before parsing so an entity bomb never reaches the parser (UTF-8/ASCII and UTF-16 spellings);
# the cost is refusing "<!DOCTYPE" inside a comment or CDATA section too.
DOCTYPE_MARKERS = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


class UnsafeOrBroken(Exception):
    """The bytes are not a document we will look at; ``line`` when the parser knows it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Parsed:
    tree: etree._ElementTree
    text: str  # the document as text, for Saxon


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def _parse(xml_bytes: bytes) -> etree._ElementTree:
    try:
        return etree.ElementTree(etree.fromstring(xml_bytes, _parser()))
    except etree.XMLSyntaxError as exc:
        raise UnsafeOrBroken(f"not well-formed XML: {exc.msg}", exc.lineno) from None
    except (ValueError, LookupError, UnicodeError) as exc:
        # lxml raises these for unknown or contradictory encoding declarations.
        raise UnsafeOrBroken(f"cannot read the document's encoding: {exc}") from None


def _as_text(tree: etree._ElementTree, xml_bytes: bytes) -> str:
    # Decoding UTF-8 directly is cheap; other encodings are re-serialised so Saxon sees Unicode text.
    if (tree.docinfo.encoding or "").upper() == "UTF-8":
        try:
            return xml_bytes.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    return etree.tostring(tree, encoding="unicode")


def parse_untrusted(xml_bytes: bytes) -> Parsed:
    """Parse or raise UnsafeOrBroken; never lets an lxml exception escape."""
    limit = settings.UBL_VALIDATION_MAX_BYTES
    if len(xml_bytes) > limit:
        raise UnsafeOrBroken(f"document is {len(xml_bytes)} bytes; the limit is {limit}")
    if not xml_bytes or xml_bytes.isspace():  # isspace() stops at the first character; strip() copies
        raise UnsafeOrBroken("document is empty")
    if any(marker in xml_bytes for marker in DOCTYPE_MARKERS):
        raise UnsafeOrBroken("documents with a DOCTYPE declaration are refused")
    tree = _parse(xml_bytes)
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeOrBroken("documents with a DOCTYPE declaration are refused")
    return Parsed(tree=tree, text=_as_text(tree, xml_bytes))
