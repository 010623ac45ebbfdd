"""GİB's karekod: the QR code printed on an e-Fatura or e-Arşiv invoice (GİB's "e-Fatura ve e-Arşiv
Fatura Karekod Standardı"), so a reader's phone can check the invoice without typing it.

Its content is compact JSON of these keys, in this order; every value a string exactly as the
document writes it::

    vkntckn        the supplier's VKN or TCKN            avkntckn   the customer's (empty for none)
    senaryo        cbc:ProfileID                         tip        cbc:InvoiceTypeCode
    tarih          cbc:IssueDate                         no         cbc:ID
    ettn           cbc:UUID                              parabirimi cbc:DocumentCurrencyCode
    malhizmettoplam   LegalMonetaryTotal/LineExtensionAmount
    kdvmatrah(<rate>), hesaplanankdv(<rate>)   per KDV (0015) subtotal: its TaxableAmount and TaxAmount
    vergidahil     TaxInclusiveAmount                    odenecek   PayableAmount

The rate is written as GİB writes it: the subtotal's cbc:Percent without trailing zeros (``20.00`` →
``20``, ``0`` → ``0``, ``0.50`` → ``0.5``); a document-level subtotal with no Percent takes the one KDV
rate its lines state. Two subtotals at one rate (0 % under two exemption codes) are added up, written
with two decimals; any other amount is the document's own text.
"""

from __future__ import annotations

import base64
import io
import json
from decimal import Decimal, InvalidOperation

import segno
from lxml import etree
from PIL import Image

from invoices.display import DisplayError
from schematron.parsing import UnsafeOrBroken, parse_untrusted
from ubl.document import KDV
from ubl.names import NS

SUBTOTALS = "cac:TaxTotal/cac:TaxSubtotal"
MASK = 0  # QR mask pattern 0, (row + column) mod 2 (karekod_image)
QUIET, SCALE = 2, 4  # modules of light border around the code; pixels a module
LIGHT = b"\xff"
GREY = bytes([255, 0]) + bytes(254)  # segno's module values: 0 light, 1 dark
IS_KDV = f"[cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode='{KDV}']"


def karekod(xml: bytes) -> dict[str, str]:
    """The karekod's keys and values for the invoice *xml* (parsed as untrusted: it may be a stranger's).
    Raises DisplayError for bytes that are no XML to read."""
    try:
        root = parse_untrusted(xml).tree.getroot()
    except UnsafeOrBroken as exc:
        raise DisplayError(reason=exc) from None
    return karekod_of(root)


def karekod_of(root: etree._Element) -> dict[str, str]:
    """The karekod of an invoice already parsed."""
    facts = {
        "vkntckn": _identifier(root, "cac:AccountingSupplierParty"),
        "avkntckn": _identifier(root, "cac:AccountingCustomerParty"),
        "senaryo": _text(root, "cbc:ProfileID"),
        "tip": _text(root, "cbc:InvoiceTypeCode"),
        "tarih": _text(root, "cbc:IssueDate"),
        "no": _text(root, "cbc:ID"),
        "ettn": _text(root, "cbc:UUID"),
        "parabirimi": _text(root, "cbc:DocumentCurrencyCode"),
        "malhizmettoplam": _text(root, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount"),
    }
    facts.update(_kdv(root))
    facts["vergidahil"] = _text(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")
    facts["odenecek"] = _text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount")
    return facts


def karekod_text(facts: dict[str, str]) -> str:
    """What the QR code holds: the facts as compact JSON, Turkish letters as they are."""
    return json.dumps(facts, ensure_ascii=False, separators=(",", ":"))


def karekod_image(facts: dict[str, str]) -> str:
    """The QR code as a PNG ``data:`` URI, four pixels a module (about 220 dpi at its printed 34 mm:
    rasterisers that smooth images, poppler's among them, blur a pixel a module past reading; the PDF
    also asks viewers not to smooth it). Error correction M, as GİB's own design draws it.

    Measured choices:
    - PNG, not SVG: weasyprint draws an SVG path of a few thousand modules in about 40 ms, this image
      in about 3.
    - One fixed mask pattern: segno scores all eight to pick the best in pure Python, 13 ms of a 20 ms
      code. The best only spares readers some effort; any of them reads every one.
    - Segno lays the modules out; Pillow writes them, as 8-bit grey. Segno's own PNG writer is pure
      Python (3.3 ms, against 0.8). Its 1-bit PNG also cost weasyprint two conversions to RGB, each
      written again as PNG (5 ms a page). A grey PNG goes into the PDF as it is read.
    """
    code = segno.make(karekod_text(facts), error="m", micro=False, boost_error=False, mask=MASK)
    side = len(code.matrix) + 2 * QUIET
    pixels = bytearray(LIGHT * side * side)
    for row, modules in enumerate(code.matrix, start=QUIET):
        start = row * side + QUIET
        pixels[start:start + len(modules)] = bytes(modules).translate(GREY)
    image = Image.frombytes("L", (side, side), bytes(pixels)).resize((side * SCALE, side * SCALE), Image.Resampling.NEAREST)
    png = io.BytesIO()
    image.save(png, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


# --- reading the document -----------------------------------------------------------------------------


def _text(node, path: str) -> str:
    return (node.findtext(path, "", NS) or "").strip()


def _identifier(root, party: str) -> str:
    for scheme in ("VKN", "TCKN"):
        value = _text(root, f"{party}/cac:Party/cac:PartyIdentification/cbc:ID[@schemeID='{scheme}']")
        if value:
            return value
    return ""


def _kdv(root) -> dict[str, str]:
    taxable: dict[str, list[str]] = {}
    amount: dict[str, list[str]] = {}
    fallback = _line_rate(root)
    for subtotal in root.xpath(SUBTOTALS + IS_KDV, namespaces=NS):
        rate = _rate(_text(subtotal, "cbc:Percent")) or fallback
        taxable.setdefault(rate, []).append(_text(subtotal, "cbc:TaxableAmount"))
        amount.setdefault(rate, []).append(_text(subtotal, "cbc:TaxAmount"))
    facts = {}
    for rate in taxable:
        facts[f"kdvmatrah({rate})"] = _added(taxable[rate])
        facts[f"hesaplanankdv({rate})"] = _added(amount[rate])
    return facts


def _line_rate(root) -> str:
    """The one KDV rate the lines state, for a document-level subtotal that states none."""
    rates = {_rate(_text(s, "cbc:Percent")) for s in root.xpath(f"cac:InvoiceLine/{SUBTOTALS}{IS_KDV}", namespaces=NS)}
    rates.discard("")
    return rates.pop() if len(rates) == 1 else ""


def _rate(percent: str) -> str:
    try:
        number = Decimal(percent)
    except InvalidOperation:
        return percent
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _added(amounts: list[str]) -> str:
    if len(amounts) == 1:
        return amounts[0]
    try:
        return f"{sum(Decimal(a) for a in amounts):.2f}"
    except InvalidOperation:
        return amounts[0]
