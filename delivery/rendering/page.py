"""The page: an invoice's HTML through its design, made safe to lay out, with the platform's part.

The design is the XSLT embedded in the document; when it has none that can be used (none, empty, not
base64, not compiling), GİB's ``general.xslt`` from the installed package; else the platform's
``ubl/default.xslt``. It is compiled and run under ``invoices.display``'s rules (DENY_ALL, no includes
or imports, size limits). A design that fails while it runs is refused: it is not silently replaced.

What the platform adds, whatever the design does:

- **The karekod** (``delivery.karekod``), drawn on the server: GİB's design draws it with JavaScript
  into ``<div id="qrcode">``, which never runs here. The image goes into that box when the page has
  one, else floats at the top right of the first page, the design's content flowing around it.
- **The phrases integrators print**, in a block at the end, each only when it applies and the page
  does not say it already: "e-Arşiv izni kapsamında elektronik ortamda iletilmiştir." on an e-Arşiv
  invoice; "Bu satış internet üzerinden yapılmıştır." with the sale's details (the convention is in
  ``ubl.build``); "İrsaliye yerine geçer." when a note says so. They are the invoice's, so in Turkish
  whatever the reader's language.
- **Nothing that runs or reaches out**: scripts, frames, objects, links, ``<base>`` and ``<meta>`` are
  removed, and ``<a rel=attachment>`` loses its ``rel`` (weasyprint would embed the file).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from lxml import etree
from lxml import html as lxml_html

from delivery.karekod import karekod_image, karekod_of
from invoices.display import EMBEDDED, MAX_OUTPUT_BYTES, DisplayError, StylesheetRefused, compiled
from schematron.parsing import UnsafeOrBroken, parse_untrusted
from ubl.build import default_xslt
from ubl.document import INTERNET_SALE, PAYMENT_AGENT, PAYMENT_DATE, PAYMENT_METHOD, REPLACES_DESPATCH
from ubl.names import INVOICE_NS, NS
from ubl.parse import says_replaces_despatch

logger = logging.getLogger(__name__)

EARSIV_PHRASE = "e-Arşiv izni kapsamında elektronik ortamda iletilmiştir."
INTERNET_PHRASE = "Bu satış internet üzerinden yapılmıştır."
DESPATCH_PHRASE = REPLACES_DESPATCH
REMOVED = ("script", "noscript", "iframe", "frame", "frameset", "object", "embed", "applet", "link", "base", "meta")
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")  # a design with method="xml" writes one; lxml.html refuses it in text
INVOICE = f"{{{INVOICE_NS}}}Invoice"
KAREKOD_BOX = "qrcode"  # GİB's general.xslt and the platform's design leave this box for it
IMPORTANT = re.compile(r"!\s*important", re.IGNORECASE)
AT_RULE = re.compile(r"@([\w-]+)")
PLAIN_AT_RULES = {"page", "media", *(f"{side}-{place}" for side in ("top", "bottom") for place in ("left-corner", "left", "center", "right", "right-corner")),
                  *(f"{side}-{place}" for side in ("left", "right") for place in ("top", "middle", "bottom"))}  # and @page's margin boxes


@dataclass(frozen=True)
class Page:
    html: str  # what weasyprint lays out
    facts: dict[str, str]  # the karekod's, which also name the PDF (delivery.rendering.layout)
    supplier: str  # the supplier's name, the PDF's author
    styles: tuple[str, ...] = ()  # the design's plain stylesheets, taken out of html (_plain_styles)


def page_of(xml: bytes, *, gib_design: bytes | None) -> Page:
    """The invoice *xml* as the HTML to lay out. Raises DisplayError (StylesheetRefused for its design)."""
    document = _document(xml)
    root = document.getroot()
    if root.tag != INVOICE:
        raise DisplayError(reason=_("it is not a UBL-TR invoice"))
    facts = karekod_of(root)
    html = _transformed(_design(root, gib_design), document)
    page, styles = _finished(html, root, facts)
    return Page(page, facts, _supplier(root), styles)


# --- the design -------------------------------------------------------------------------------------


def _document(xml: bytes) -> etree._ElementTree:
    try:
        return parse_untrusted(xml).tree
    except UnsafeOrBroken as exc:
        raise DisplayError(reason=exc) from None


def _design(root, gib_design: bytes | None) -> etree.XSLT:
    """The embedded design if it can be used, else GİB's, else the platform's; compiled (and cached)."""
    embedded = _embedded(root)
    if embedded is not None:
        try:
            return compiled(embedded)
        except StylesheetRefused as exc:
            logger.info("invoice %s: its design cannot be used (%s); drawn with the default design", _text(root, "cbc:ID"), exc)
    return compiled(gib_design or default_xslt())


def _embedded(root) -> bytes | None:
    """The first embedded .xslt with content, as invoices.display finds it; None when it is no base64."""
    for node in root.iterfind(EMBEDDED, NS):
        text = "".join((node.text or "").split())
        if text and (node.get("filename") or "").strip().lower().endswith(".xslt"):
            try:
                return base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                return None
    return None


def _transformed(transform: etree.XSLT, document: etree._ElementTree) -> str:
    try:
        result = transform(document)
    except etree.LxmlError as exc:
        # A denied document() or exsl:document, xsl:message terminate="yes", runaway recursion.
        raise StylesheetRefused(reason=_("it failed while running (%(error)s)") % {"error": _engine_words(exc)}) from None
    html = str(result)
    if not html.strip():
        raise DisplayError(reason=_("its stylesheet produced nothing"))
    if len(html) > MAX_OUTPUT_BYTES:
        raise DisplayError(reason=_("its stylesheet produced more than %(limit)s bytes") % {"limit": MAX_OUTPUT_BYTES})
    return html


def _engine_words(exc: etree.LxmlError) -> str:
    """libxslt's own words (it has no others) in English answers; else only where it stopped, as
    invoices.display says it."""
    line = next((entry.line for entry in getattr(exc, "error_log", ()) if entry.line), None)
    where = _("line %(line)s") % {"line": line} if line else _("no line given")
    words = (str(exc).strip().splitlines() or [""])[0][:200]
    return (f"{where}: {words}" if words else where) if (translation.get_language() or "").startswith("en") else where


# --- the platform's part ------------------------------------------------------------------------------


def _finished(html: str, root, facts: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    try:
        page = lxml_html.document_fromstring(XML_DECLARATION.sub("", html, count=1))
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        raise DisplayError(reason=_("its stylesheet produced no HTML")) from None
    for element in list(page.iter(*REMOVED)):
        element.drop_tree()
    styles = _plain_styles(page)
    for link in page.iter("a"):
        link.attrib.pop("rel", None)
    body = page.find("body")
    if body is None:
        body = etree.SubElement(page, "body")
    _karekod(page, body, facts)
    said = " ".join(body.text_content().split())
    block = _phrases(root, said)
    if block is not None:
        body.append(block)
    return lxml_html.tostring(page, encoding="unicode", doctype="<!DOCTYPE html>"), styles


def _plain_styles(page) -> tuple[str, ...]:
    """The ``<style>`` elements that may be laid out as stylesheets parsed once for every page that
    has them (``layout``), taken out of the page: those with no attribute but ``type="text/css"``,
    no ``!important`` and no at-rule but ``@page`` (with its margin boxes) and ``@media``.
    weasyprint parses a page's own stylesheets again for each PDF (4 ms of the platform design's 62).

    Given apart, they count as the reader's stylesheets, not the page's (CSS's origins). For what
    they may hold that changes nothing: nothing else of the page's is left to outrank, its
    ``style`` attributes still win, and the platform's ``!important`` rules win over all of them.
    A stylesheet with ``!important`` could, as a reader's, outrank the platform's own: it stays
    in the page, as do the others.
    """
    if not all(_plain(style) for style in page.iter("style")):
        return ()  # taken out, some would move ahead of others that stay: their order is kept only whole
    styles = []
    for style in list(page.iter("style")):
        styles.append(style.text or "")
        style.drop_tree()
    return tuple(styles)


def _plain(style) -> bool:
    kept = dict(style.attrib)
    if kept.pop("type", "text/css").strip().lower() != "text/css" or kept or len(style):
        return False
    text = style.text or ""
    return not IMPORTANT.search(text) and all(rule.lower() in PLAIN_AT_RULES for rule in AT_RULE.findall(text))


def _karekod(page, body, facts: dict[str, str]) -> None:
    image = etree.Element("img", {"class": "karekod", "src": karekod_image(facts), "alt": "Karekod"})
    boxes = page.xpath("//*[@id=$box]", box=KAREKOD_BOX)
    if boxes:
        box = boxes[0]
        for child in list(box):  # what the design put there: nothing, or text for a script that never runs
            box.remove(child)
        box.text = None
        box.append(image)
    else:
        corner = etree.Element("div", {"class": "karekod-corner"})
        corner.append(image)
        body.insert(0, corner)
        corner.tail, body.text = body.text, None


def _phrases(root, said: str) -> etree._Element | None:
    """The phrases that apply and the page does not say already, as one block; None when none is left."""
    block = etree.Element("div", {"class": "platform-phrases"})
    if _text(root, "cbc:ProfileID") == "EARSIVFATURA" and EARSIV_PHRASE not in said:
        etree.SubElement(block, "p").text = EARSIV_PHRASE
    sale = _internet_sale(root)
    if sale and INTERNET_PHRASE not in said:
        etree.SubElement(block, "p").text = INTERNET_PHRASE
        table = etree.SubElement(block, "table")
        for label, value in sale:
            row = etree.SubElement(table, "tr")
            etree.SubElement(row, "th").text = label
            etree.SubElement(row, "td").text = value
    notes = [n.text or "" for n in root.iterfind("cbc:Note", NS)]
    if any(says_replaces_despatch(note) for note in notes) and DESPATCH_PHRASE not in said:
        etree.SubElement(block, "p").text = DESPATCH_PHRASE
    return block if len(block) else None


def _internet_sale(root) -> list[tuple[str, str]]:
    """The internet sale's details as (label, value), empty when the invoice tells of none."""
    details: dict[str, str] = {}
    for ref in root.iterfind("cac:AdditionalDocumentReference", NS):
        for kind in (_text(ref, "cbc:DocumentType").upper(), _text(ref, "cbc:DocumentTypeCode").upper()):
            if kind in (INTERNET_SALE, PAYMENT_METHOD, PAYMENT_AGENT, PAYMENT_DATE):
                details.setdefault(kind, _text(ref, "cbc:ID"))
    if INTERNET_SALE not in details:
        return []
    carrier = root.find("cac:Delivery/cac:CarrierParty", NS)
    carried = ""
    if carrier is not None:
        identifier = carrier.find("cac:PartyIdentification/cbc:ID", NS)
        scheme = identifier.get("schemeID", "") if identifier is not None else ""
        carried = " ".join(filter(None, (_text(carrier, "cac:PartyName/cbc:Name"), scheme, _text(carrier, "cac:PartyIdentification/cbc:ID"))))
    rows = [
        ("Web adresi", details[INTERNET_SALE] or _text(root, "cac:AccountingSupplierParty/cac:Party/cbc:WebsiteURI")),
        ("Ödeme şekli", details.get(PAYMENT_METHOD, "")),
        ("Ödeme aracısı", details.get(PAYMENT_AGENT, "")),
        ("Ödeme tarihi", _day(details.get(PAYMENT_DATE, ""))),
        ("Gönderiyi taşıyan", carried),
        ("Gönderim tarihi", _day(_text(root, "cac:Delivery/cac:Despatch/cbc:ActualDespatchDate"))),
    ]
    return [(label, value) for label, value in rows if value]


def _day(iso: str) -> str:
    """2026-11-20 as Turkish readers write it, 20.11.2026; anything else as it is."""
    parts = iso.split("-")
    return ".".join(reversed(parts)) if len(parts) == 3 and all(p.isdigit() for p in parts) else iso


def _supplier(root) -> str:
    party = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    if party is None:
        return ""
    return _text(party, "cac:PartyName/cbc:Name") or " ".join(
        filter(None, (_text(party, "cac:Person/cbc:FirstName"), _text(party, "cac:Person/cbc:FamilyName"))))


def _text(node, path: str) -> str:
    return (node.findtext(path, "", NS) or "").strip()
