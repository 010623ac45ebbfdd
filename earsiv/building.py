"""The e-Arşiv report (``eArsivRaporu``, GİB's EArsiv.xsd) as XML, built from what the archive holds.

Each invoice is read from its archived sealed document, never from the row beside it: its amounts,
taxes, buyer and internet sale as the signed bytes say them, ``ozetDeger`` the MD5 of those bytes
(GİB's e-Arşiv guide: the hash of the invoice file, in hexadecimal), ``imzaZamani`` the seal's
SigningTime. Elements follow the schema's order; each is written once, from data. The report
leaves here unsigned, without ``ds:Signature`` in ``baslik``: ``signing`` seals it.

A busy day's report is large: it is written element by element (each invoice's ``fatura`` made as
a small tree and written out before the next is read), already in canonical XML 1.0 (C14N) after
its declaration, so that the seal's digest is taken over the bytes as they are, with no tree of
the whole report ever held (``signing.xades.sign_report``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from ubl import parse as ubl_parse
from ubl.document import Invoice as UblInvoice
from ubl.document import Party

NS = "http://earsiv.efatura.gov.tr"
VERSION = "1.0"
XADES_SIGNING_TIME = ".//{http://uri.etsi.org/01903/v1.3.2#}SigningTime"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
TWO, SIX, THREE = Decimal("0.01"), Decimal("0.000001"), Decimal("0.001")


@dataclass(frozen=True)
class Header:
    """What ``baslik`` says: whose report (the taxpayer), who prepared it (the integrator), its
    number and the day it covers (period and bölüm alike: a report covers one day)."""

    taxpayer: str  # VKN or TCKN
    preparer: str  # the integrator's VKN
    number: str  # raporNo, a UUID
    day: dt.date
    part: int


@dataclass(frozen=True)
class IssuedInvoice:
    number: str
    uuid: str
    signed: bytes  # the archived sealed document (given as its turn comes: a day's are not held at once)
    url: str = ""  # where the buyer sees it (the buyer's link)


@dataclass(frozen=True)
class Cancelled:
    number: str
    day: dt.date
    amount: Decimal


@dataclass(frozen=True)
class Objected:
    number: str
    method: str
    document_number: str
    document_date: dt.date
    description: str


ROOT_OPEN, ROOT_CLOSE = f'<eArsivRaporu xmlns="{NS}">'.encode(), b"</eArsivRaporu>"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_INHERITED = f' xmlns="{NS}"'.encode()


def _top(name: str):
    """A child of the report, made on its own: its canonical form declares the namespace it inherits."""
    return etree.Element(f"{{{NS}}}{name}", nsmap={None: NS})


def _canonical(element) -> bytes:
    """*element*'s C14N 1.0 as a child of the report (the root declares the namespace, so it does not)."""
    text = etree.tostring(element, method="c14n")
    start = text.index(b">")
    return text[:start].replace(_INHERITED, b"", 1) + text[start:]


def _e(parent, name: str, text=None):
    element = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        element.text = text if isinstance(text, str) else str(text)
    return element


def _money(value: Decimal | None) -> str:
    return str((value or Decimal("0")).quantize(TWO))


def _identified(parent, identifier: str) -> None:
    _e(parent, "vkn" if len(identifier) == 10 else "tckn", identifier)


def build_report(header: Header, invoices: Iterable[IssuedInvoice], cancelled: Iterable[Cancelled], objected: Iterable[Objected]) -> bytes:
    report = io.BytesIO()  # written piece by piece: its bytes are held once, and handed over without a copy
    for part in (DECLARATION, ROOT_OPEN, _canonical(_header(header))):
        report.write(part)
    for invoice in invoices:
        report.write(_canonical(_invoice(invoice)))
    for each in cancelled:
        element = _top("faturaIptal")
        _e(element, "faturaNo", each.number)
        _e(element, "iptalTarihi", each.day.isoformat())
        _e(element, "toplamTutar", _money(each.amount))
        report.write(_canonical(element))
    for each in objected:
        element = _top("faturaItiraz")
        _e(element, "belgeNo", each.number)
        _e(element, "itirazBelgeTarihi", each.document_date.isoformat())
        _e(element, "itirazBelgeNo", each.document_number)
        _e(element, "itirazYontemi", each.method)
        _e(element, "aciklama", each.description[:255])
        report.write(_canonical(element))
    report.write(ROOT_CLOSE)
    return report.getvalue()


def _header(header: Header):
    baslik = _top("baslik")
    _e(baslik, "versiyon", VERSION)
    _identified(_e(baslik, "mukellef"), header.taxpayer)
    _identified(_e(baslik, "hazirlayan"), header.preparer)
    _e(baslik, "raporNo", header.number)
    for name in ("donemBaslangicTarihi", "donemBitisTarihi", "bolumBaslangicTarihi", "bolumBitisTarihi"):
        _e(baslik, name, header.day.isoformat())
    _e(baslik, "bolumNo", header.part)
    return baslik


def read_signed(signed: bytes) -> tuple[UblInvoice, str]:
    """The sealed invoice as data, and its seal's SigningTime."""
    root = etree.fromstring(signed, _PARSER)
    return ubl_parse.parse_summary(root), root.findtext(XADES_SIGNING_TIME) or ""


def _invoice(issued: IssuedInvoice):
    signed = issued.signed
    document, signed_at = read_signed(signed)
    element = _top("fatura")
    _e(element, "faturaNo", issued.number)
    _e(element, "faturaUUID", issued.uuid.upper())
    _e(element, "faturaTip", document.type_code)
    _e(element, "gonderimSekli", "ELEKTRONIK")
    _e(element, "dosyaAdi", f"{issued.uuid.upper()}.xml")
    _e(element, "ozetDeger", hashlib.md5(signed).hexdigest().upper())  # noqa: S324 (GİB's choice, not ours)
    _e(element, "duzenlenmeTarihi", document.issue_date.isoformat())
    _e(element, "duzenlenmeZamani", (document.issue_time or dt.time()).strftime("%H:%M:%S"))
    totals = document.totals
    _e(element, "toplamTutar", _money(totals.line_extension))
    _e(element, "toplamIskonto", _money(totals.allowance_total))
    _e(element, "odenecekTutar", _money(totals.payable))
    _e(element, "paraBirimi", document.currency)
    _e(element, "dovizKuru", str((document.exchange_rate or Decimal("1")).quantize(SIX)))
    _e(element, "faturaUrl", issued.url[:255])
    _taxes(_e(element, "vergiBilgisi"), document)
    _buyer(_e(element, "aliciBilgileri"), document.customer)
    if document.internet_sale is not None:
        _internet_sale(_e(element, "internetSatisBilgi"), document)
    _e(element, "imzaZamani", signed_at)
    return element


def _taxes(parent, document: UblInvoice) -> None:
    added = [t for t in document.tax_subtotals if t.calculation_sequence != "-1"]
    _e(parent, "vergilerToplami", _money(sum((t.amount for t in added), Decimal("0"))))
    for tax in document.tax_subtotals:
        vergi = _e(parent, "vergi")
        _e(vergi, "matrah", _money(tax.taxable))
        _e(vergi, "vergiKodu", tax.code)
        _e(vergi, "vergiTutari", _money(tax.amount))
        _e(vergi, "vergiOrani", str(tax.percent.quantize(THREE)))
    for withheld in document.withholding_subtotals:
        tevkifat = _e(parent, "tevkifat")
        _e(tevkifat, "tevkifatKodu", withheld.code)
        _e(tevkifat, "tevkifatTutari", _money(withheld.amount))
        _e(tevkifat, "tevkifatOrani", str(withheld.percent.quantize(THREE)))


def _person(parent, party: Party) -> None:
    """tuzelKisi (VKN, title) or gercekKisi (TCKN, name)."""
    if len(party.identifier) == 10:
        legal = _e(parent, "tuzelKisi")
        _e(legal, "vkn", party.identifier)
        _e(legal, "unvan", party.name or party.identifier)
    elif party.identifier:
        person = _e(parent, "gercekKisi")
        _e(person, "tckn", party.identifier)
        _e(person, "adiSoyadi", f"{party.first_name} {party.last_name}".strip() or party.name or party.identifier)


def _buyer(parent, party: Party) -> None:
    _person(parent, party)


def _internet_sale(parent, document: UblInvoice) -> None:
    sale = document.internet_sale
    _e(parent, "webAdresi", sale.website)
    method = sale.payment_method
    _e(parent, "odemeSekli", "DIGER - DIGER" if method == "DIGER" else method)  # the schema wants "DIGER - <how>"
    if sale.payment_agent:
        _e(parent, "odemeAracisiAdi", sale.payment_agent)
    if sale.payment_date:
        _e(parent, "odemeTarihi", sale.payment_date.isoformat())
    shipped = _e(parent, "gonderiBilgileri")
    _e(shipped, "gonderimTarihi", (sale.despatch_date or document.issue_date).isoformat())
    carrier = _e(shipped, "gonderiTasiyan")
    if sale.carrier is not None:
        _person(carrier, sale.carrier)
