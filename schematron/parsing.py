"""Layer 1: parsing untrusted XML safely.

No DTD is loaded, no entity is expanded, nothing is fetched from the network or the file system,
and a document that carries a DOCTYPE at all is refused: e-documents never need one, and every
entity trick (billion laughs, XXE) starts with one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from lxml import etree

# Checked before parsing so an entity bomb never reaches the parser (UTF-8/ASCII and UTF-16 spellings);
# the cost is refusing "<!DOCTYPE" inside a comment or CDATA section too.
DECLARED_ENCODING = re.compile(rb"""encoding\s*=\s*["']([^"']{1,40})""")
DOCTYPE_MARKERS = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


class UnsafeOrBroken(Exception):
    """The bytes are not a document we will look at: a ``code``, the values that say why, and
    ``line`` when the parser knows it. Its text is worded in the active language when it is read."""

    MESSAGES = {
        "too_large": _("the document is %(size)s bytes; the limit is %(limit)s"),
        "empty": _("the document is empty"),
        "doctype": _("documents with a DOCTYPE declaration are refused"),
        "malformed": _("it is not well-formed XML (%(error)s)"),
        "encoding": _("its character encoding cannot be read (%(encoding)s)"),
    }

    def __init__(self, code: str, line: int | None = None, **values) -> None:
        self.code, self.line, self.values = code, line, values
        super().__init__(code)

    def __str__(self) -> str:
        values = {name: str(value) for name, value in self.values.items()}
        return str(self.MESSAGES[self.code]) % values if values else str(self.MESSAGES[self.code])


# libxml2's words for what is wrong, by its error code; an error not listed here is named by its code.
_SYNTAX = {
    "ERR_DOCUMENT_EMPTY": _("no element stands where the document should start"),
    "ERR_DOCUMENT_END": _("there is more after the root element"),
    "ERR_TAG_NAME_MISMATCH": _("an end tag does not match its start tag"),
    "ERR_TAG_NOT_FINISHED": _("an element is not closed"),
    "ERR_GT_REQUIRED": _("a tag is not closed with >"),
    "ERR_LT_IN_ATTRIBUTE": _("an attribute value holds <"),
    "ERR_ATTRIBUTE_NOT_STARTED": _("an attribute value is not quoted"),
    "ERR_ATTRIBUTE_WITHOUT_VALUE": _("an attribute has no value"),
    "ERR_ATTRIBUTE_REDEFINED": _("an attribute is given twice"),
    "ERR_NAME_REQUIRED": _("a name is missing where one must be"),
    "ERR_DOCUMENT_START": _("the document does not start with an element"),
    "ERR_INVALID_CHAR": _("it holds a character XML does not allow"),
    "ERR_INVALID_ENCODING": _("its bytes are not in the encoding it declares"),
    "ERR_UNDECLARED_ENTITY": _("it uses an undeclared entity"),
    "ERR_UNSUPPORTED_ENCODING": _("it declares an encoding that is not supported"),
    "NS_ERR_UNDEFINED_NAMESPACE": _("a namespace prefix is not declared"),
    "ERR_RESERVED_XML_NAME": _("an XML declaration stands where it may not"),
    "ERR_RESOURCE_LIMIT": _("its entities expand beyond the parser's limits (an amplification attack)"),
    "ERR_ENTITY_LOOP": _("an entity refers to itself (an amplification attack)"),
    "ERR_ENTITY_AMPLIFICATION": _("its entities expand beyond the parser's limits (an amplification attack)"),
}


_ERROR_NAMES = {getattr(etree.ErrorTypes, name): name for name in dir(etree.ErrorTypes) if name.isupper()}  # libxml2's, by code


def syntax_error(exc: etree.XMLSyntaxError) -> str:
    """What libxml2 found, in the active language, with where it found it."""
    name = _ERROR_NAMES.get(exc.code, f"libxml2 {exc.code}")
    words = _SYNTAX.get(name)
    line, column = exc.position if exc.position else (exc.lineno, None)
    text = str(words) if words else _("libxml2 error %(name)s") % {"name": name}
    if line:
        text += ", " + (_("line %(line)s, column %(column)s") % {"line": line, "column": column} if column else _("line %(line)s") % {"line": line})
    return text


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
        raise UnsafeOrBroken("malformed", exc.lineno, error=_Lazy(syntax_error, exc)) from None
    except (ValueError, LookupError, UnicodeError):
        # lxml raises these for unknown or contradictory encoding declarations.
        raise UnsafeOrBroken("encoding", encoding=_declared_encoding(xml_bytes)) from None


class _Lazy:
    """A value worded when it is shown, in the language active then."""

    def __init__(self, word, *args) -> None:
        self.word, self.args = word, args

    def __str__(self) -> str:
        return self.word(*self.args)


def _declared_encoding(xml_bytes: bytes) -> str:
    found = DECLARED_ENCODING.search(xml_bytes[:200])
    return found[1].decode("ascii", "replace") if found else "?"


def _as_text(tree: etree._ElementTree, xml_bytes: bytes) -> str:
    # Decoding UTF-8 directly is cheap; other encodings are re-serialised so Saxon sees Unicode text.
    if (tree.docinfo.encoding or "").upper() == "UTF-8":
        try:
            return xml_bytes.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    return etree.tostring(tree, encoding="unicode")


def parsed_from(tree: etree._ElementTree, xml_bytes: bytes) -> Parsed:
    """*xml_bytes* as a caller's safe parser (no DTD, no entities, no network) read it into *tree*,
    held to what ``parse_untrusted`` holds a document to, so the document is not parsed again."""
    limit = settings.UBL_VALIDATION_MAX_BYTES
    if len(xml_bytes) > limit:
        raise UnsafeOrBroken("too_large", size=len(xml_bytes), limit=limit)
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeOrBroken("doctype")
    return Parsed(tree=tree, text=_as_text(tree, xml_bytes))


def parse_untrusted(xml_bytes: bytes) -> Parsed:
    """Parse or raise UnsafeOrBroken; never lets an lxml exception escape."""
    limit = settings.UBL_VALIDATION_MAX_BYTES
    if len(xml_bytes) > limit:
        raise UnsafeOrBroken("too_large", size=len(xml_bytes), limit=limit)
    if not xml_bytes or xml_bytes.isspace():  # isspace() stops at the first character; strip() copies
        raise UnsafeOrBroken("empty")
    if any(marker in xml_bytes for marker in DOCTYPE_MARKERS):
        raise UnsafeOrBroken("doctype")
    return parsed_from(_parse(xml_bytes), xml_bytes)
