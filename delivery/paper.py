"""The invoice on paper: a sealed UBL-TR document as an A4 PDF, with GİB's karekod.

The HTML comes from the document's own XSLT, run in ``invoices.display``'s sandbox (the design
embedded in the document; else GİB's ``general.xslt`` from the installed package; else the
platform's). Then the platform's part:

- **The karekod** (``karekod``): the keys of GİB's Karekod Standardı, in its order, as compact JSON,
  drawn here as a QR code (segno). GİB's own design draws it with JavaScript into ``<div
  id="qrcode">``, which never runs here: the image goes into that box, or at the top right of the
  first page when the design has none.
- **The phrases integrators print**: "e-Arşiv izni kapsamında elektronik ortamda iletilmiştir." on an
  e-Arşiv invoice; "Bu satış internet üzerinden yapılmıştır." with the sale's details when the
  invoice carries them (a ``cac:AdditionalDocumentReference`` whose ``cbc:DocumentType`` or
  ``cbc:DocumentTypeCode`` is ``INTERNET_SATIS``, its ``cbc:ID`` the web address; the payment from
  ``cac:PaymentMeans``, the carrier and despatch date from ``cac:Delivery``); "İrsaliye yerine
  geçer." when a ``cbc:Note`` says so.
- **Nothing from outside**: scripts, frames, objects and links are removed; weasyprint may fetch
  only ``data:`` URLs (fonts are the system's: Debian's DejaVu, every Turkish letter).
- **Bounded**: the XSLT and the layout run in a child process with ``PDF_RENDER_SECONDS`` of time
  and ``PDF_RENDER_MEMORY_MB`` of memory: a design that loops or grows without end is stopped, with
  the reason, and takes nothing else down.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import resource
import select
import signal
import threading
import time
import unicodedata

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from lxml import etree
from lxml import html as lxml_html

from invoices.display import DisplayError, render_html
from schematron.package import PackageError, active_package
from schematron.parsing import UnsafeOrBroken, parse_untrusted
from ubl.names import NS

logger = logging.getLogger(__name__)
GIB_DESIGN = "general.xslt"
KDV = "0015"
REMOVED = ("script", "iframe", "frame", "object", "embed", "link", "base", "meta[@http-equiv]", "form")
EARSIV_PHRASE = "e-Arşiv izni kapsamında elektronik ortamda iletilmiştir."
INTERNET_PHRASE = "Bu satış internet üzerinden yapılmıştır."
DESPATCH_PHRASE = "İrsaliye yerine geçer."
PAGE_CSS = """
@page { size: A4; margin: 10mm; }
html { font-family: "DejaVu Sans", sans-serif; }
.karekod-box { position: absolute; top: 0; right: 0; width: 34mm; height: 34mm; }
.karekod img, .karekod-box img { width: 34mm; height: 34mm; }
.platform-phrases { margin-top: 6mm; border-top: 1px solid #999; padding-top: 2mm; font-size: 9pt; }
.platform-phrases table { border-collapse: collapse; margin-top: 2mm; }
.platform-phrases th, .platform-phrases td { border: 1px solid #999; padding: 1mm 2mm; text-align: left; }
"""


class PdfError(DisplayError):
    code = "pdf_error"
    message = _("The PDF cannot be made: %(reason)s.")


# --- what the document says -------------------------------------------------------------------------


def _root(xml: bytes) -> etree._Element:
    try:
        return parse_untrusted(xml).tree.getroot()
    except UnsafeOrBroken as exc:
        raise DisplayError(reason=exc) from None


def _text(node, path: str) -> str:
    return (node.findtext(path, "", NS) or "").strip()


def _party_id(party) -> str:
    for scheme in ("VKN", "TCKN"):
        value = _text(party, f"cac:Party/cac:PartyIdentification/cbc:ID[@schemeID='{scheme}']")
        if value:
            return value
    return ""


def _rate(percent: str) -> str:
    """A rate as the karekod names it: ``20`` for 20.00, ``0`` for 0, ``0.5`` for 0.50."""
    if "." in percent:
        percent = percent.rstrip("0").rstrip(".")
    return percent or "0"


def karekod(xml: bytes) -> dict[str, str]:
    """The karekod's keys and values, in the order of GİB's Karekod Standardı; amounts exactly as the
    document writes them."""
    return _karekod(_root(xml))


def _karekod(root) -> dict[str, str]:
    data = {
        "vkntckn": _party_id(root.find("cac:AccountingSupplierParty", NS)),
        "avkntckn": _party_id(root.find("cac:AccountingCustomerParty", NS)),
        "senaryo": _text(root, "cbc:ProfileID"), "tip": _text(root, "cbc:InvoiceTypeCode"), "tarih": _text(root, "cbc:IssueDate"),
        "no": _text(root, "cbc:ID"), "ettn": _text(root, "cbc:UUID"), "parabirimi": _text(root, "cbc:DocumentCurrencyCode"),
        "malhizmettoplam": _text(root, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount"),
    }
    for subtotal in root.iterfind("cac:TaxTotal/cac:TaxSubtotal", NS):
        if _text(subtotal, "cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode") == KDV:
            rate = _rate(_text(subtotal, "cbc:Percent"))
            data[f"kdvmatrah({rate})"] = _text(subtotal, "cbc:TaxableAmount")
            data[f"hesaplanankdv({rate})"] = _text(subtotal, "cbc:TaxAmount")
    data["vergidahil"] = _text(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")
    data["odenecek"] = _text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount")
    return data


def karekod_json(xml: bytes) -> str:
    return json.dumps(karekod(xml), ensure_ascii=False, separators=(",", ":"))


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKD", text.replace("İ", "I").replace("ı", "i")).encode("ascii", "ignore").decode().lower()


def _internet_sale(root) -> list[tuple[str, str]] | None:
    """The internet sale's details, as (label, value), when the invoice says it was one."""
    web = None
    for reference in root.iterfind("cac:AdditionalDocumentReference", NS):
        kinds = {_text(reference, "cbc:DocumentType").upper(), _text(reference, "cbc:DocumentTypeCode").upper()}
        if "INTERNET_SATIS" in kinds:
            web = _text(reference, "cbc:ID")
    if web is None:
        return None
    web = web or _text(root, "cac:AccountingSupplierParty/cac:Party/cbc:WebsiteURI")
    rows = [
        ("Web adresi", web),
        ("Ödeme şekli", _text(root, "cac:PaymentMeans/cbc:InstructionNote") or _text(root, "cac:PaymentMeans/cbc:PaymentMeansCode")),
        ("Ödeme tarihi", _text(root, "cac:PaymentMeans/cbc:PaymentDueDate")),
        ("Gönderiyi taşıyan", _text(root, "cac:Delivery/cac:CarrierParty/cac:PartyName/cbc:Name")),
        ("Gönderim tarihi", _text(root, "cac:Delivery/cac:Despatch/cbc:ActualDespatchDate")),
    ]
    return [(label, value) for label, value in rows if value]


def _phrases(root) -> tuple[list[str], list[tuple[str, str]] | None]:
    said = []
    if _text(root, "cbc:ProfileID") == "EARSIVFATURA":
        said.append(EARSIV_PHRASE)
    sale = _internet_sale(root)
    if sale is not None:
        said.append(INTERNET_PHRASE)
    if any("irsaliye yerine gecer" in _folded(note.text or "") for note in root.iterfind("cbc:Note", NS)):
        said.append(DESPATCH_PHRASE)
    return said, sale


# --- drawing ----------------------------------------------------------------------------------------


def _gib_design() -> bytes | None:
    try:
        path = active_package().path / "xslt" / GIB_DESIGN
    except PackageError:
        return None
    return path.read_bytes() if path.is_file() else None


def _qr_image(text: str) -> str:
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=4, border=2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _page(html: bytes, *, qr: str, phrases: list[str], sale: list[tuple[str, str]] | None) -> str:
    """The design's HTML made safe to lay out, with the karekod and the phrases put in."""
    document = lxml_html.document_fromstring(html)
    for tag in REMOVED:
        for node in document.xpath(f"//{tag}"):
            node.drop_tree()
    head = document.find("head")
    if head is None:
        head = etree.Element("head")
        document.insert(0, head)
    style = etree.SubElement(head, "style")
    style.text = PAGE_CSS
    body = document.find("body")
    image = etree.Element("img", src=qr, alt="karekod")
    boxes = document.xpath("//*[@id='qrcode']")
    if boxes:
        for child in list(boxes[0]):
            boxes[0].remove(child)
        boxes[0].text = None
        boxes[0].set("class", "karekod")
        boxes[0].append(image)
    else:
        holder = etree.Element("div", {"class": "karekod-box"})
        holder.append(image)
        body.insert(0, holder)
    if phrases:
        block = etree.SubElement(body, "div", {"class": "platform-phrases"})
        for phrase in phrases:
            etree.SubElement(block, "p").text = phrase
        if sale:
            table = etree.SubElement(block, "table")
            for label, value in sale:
                row = etree.SubElement(table, "tr")
                etree.SubElement(row, "th").text = label
                etree.SubElement(row, "td").text = value
    return lxml_html.tostring(document, encoding="unicode", doctype="<!DOCTYPE html>")


def _draw(xml: bytes, fallback: bytes | None, qr: str, phrases, sale) -> bytes:
    import weasyprint  # imported by the parent already (pdf_render): each child starts warm
    page = _page(render_html(xml=xml, fallback_xslt=fallback), qr=qr, phrases=phrases, sale=sale)
    # weasyprint's only way out: data: URLs; a file, the network, anything else is refused.
    fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    return weasyprint.HTML(string=page, url_fetcher=fetcher, base_url="data:,").write_pdf()


def pdf_render(xml: bytes) -> bytes:
    """The invoice *xml* (sealed, or received from a stranger) as an A4 PDF. Raises DisplayError
    (PdfError) for a document or design that cannot be drawn, or that ran out of time or memory."""
    root = _root(xml)
    facts = _karekod(root)
    phrases, sale = _phrases(root)
    qr = _qr_image(json.dumps(facts, ensure_ascii=False, separators=(",", ":")))
    _warm()
    started, fallback = time.monotonic(), _gib_design()  # read here: the child touches no database
    pdf = _bounded(lambda: _draw(xml, fallback, qr, phrases, sale))
    logger.info("pdf of %s: %d bytes in %.0f ms", facts["no"], len(pdf), (time.monotonic() - started) * 1000)
    return pdf


_warmed = threading.Lock()
_warm_done = False


def _warm() -> None:
    """weasyprint loaded, and one page laid out, in this process once: its libraries' symbols and the
    fonts are then found already in every child (looking them up first in a child forked beside other
    threads can fail), and each child starts warm."""
    global _warm_done
    with _warmed:
        if _warm_done:
            return
        import weasyprint

        logging.getLogger("fontTools").setLevel(logging.WARNING)  # its subsetting reports each font at INFO
        weasyprint.HTML(string="<p>ÇĞİÖŞÜ çğıöşü</p>").write_pdf()
        _warm_done = True


# --- the child process --------------------------------------------------------------------------


def _bounded(work) -> bytes:
    """*work*'s bytes, computed in a forked child with a deadline and a memory cap: libxslt and the
    layout run in C, where no signal reaches them, so only a process of their own can be stopped."""
    seconds, megabytes = settings.PDF_RENDER_SECONDS, settings.PDF_RENDER_MEMORY_MB
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, write the answer, leave without running the parent's exit code
        os.close(reader)
        status = 0
        try:
            # What this process has mapped already (Saxon's native image reserves a lot), and so much more.
            limit = _mapped() + megabytes * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            try:
                answer = b"P" + work()
            except DisplayError as exc:
                answer = b"E" + str(exc).encode()
            except MemoryError:
                answer = b"M"
            _write_all(writer, answer)
        except BaseException:  # noqa: BLE001  (whatever happens here must end in _exit)
            logger.exception("the PDF's drawing process failed")
            status = 1
        finally:
            os._exit(status)
    os.close(writer)
    try:
        data = _read_until(reader, time.monotonic() + seconds)
    finally:
        os.close(reader)
        _reap(pid)
    if data is None:
        raise PdfError(reason=_("drawing it took longer than %(seconds)s seconds") % {"seconds": seconds})
    if data[:1] == b"P":
        return data[1:]
    if data[:1] == b"E":
        raise PdfError(reason=data[1:].decode(errors="replace"))
    raise PdfError(reason=_("drawing it needed more than %(megabytes)s MB of memory") % {"megabytes": megabytes})


def _mapped() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.close(fd)


def _read_until(fd: int, deadline: float) -> bytes | None:
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _w, _x = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _reap(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
