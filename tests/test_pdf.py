"""The invoice on paper: a PDF from each of GİB's samples and from a built invoice of each profile and
type, read back with Debian's poppler (pdftotext, pdfinfo, pdffonts) and its karekod with zbar
(zbarimg, after pdftoppm); the karekod's JSON against a golden file (``UPDATE_GOLDEN=1`` rewrites it);
the phrases integrators print; designs that reach for the disk or the network, loop or grow, refused
or stopped; the two payload fields an internet sale and "İrsaliye yerine geçer" need."""

from __future__ import annotations

import base64
import copy
import dataclasses
import http.server
import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import weasyprint
from lxml import etree

from delivery import karekod as qr
from delivery.pdf import DESPATCH_PHRASE, EARSIV_PHRASE, INTERNET_PHRASE, PdfError, PdfTimedOut, pdf_render
from integrator.errors import DomainError
from invoices.display import EMBEDDED, DisplayError, StylesheetRefused
from invoices.payload import InvoicePayloadSerializer, payload_to_invoice
from invoices.services import tenant_party
from schematron.validation import validate
from tests.clock import GOLDEN_DAY, TODAY
from tests.gib import INVOICE_SAMPLES
from tests.invoice_payloads import CASES, PERSON, payload
from ubl import build, totals
from ubl.names import NS
from ubl.parse import embedded_xslt, parse_invoice

GOLDEN = Path(__file__).with_name("golden")
XSL = "http://www.w3.org/1999/XSL/Transform"
MM = 72 / 25.4  # PDF points in a millimetre
SALE = {"website": "https://magaza.example.com.tr", "payment_method": "KREDIKARTI/BANKAKARTI", "payment_date": GOLDEN_DAY.isoformat(),
        "carrier": {"vkn": "4840847211", "name": "Hızlı Kargo A.Ş."}, "despatch_date": GOLDEN_DAY.isoformat()}


# --- reading a PDF back ----------------------------------------------------------------------------


def poppler(tool: str, pdf: bytes, tmp_path: Path, *args: str) -> str:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])], check=True, capture_output=True).stdout.decode()


def text_of(pdf: bytes, tmp_path: Path) -> str:
    return poppler("pdftotext", pdf, tmp_path, "-layout")


def flat(text: str) -> str:
    """The text without any space or line break: what a design wrapped reads whole again."""
    return "".join(text.split())


def info_of(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    lines = poppler("pdfinfo", pdf, tmp_path).splitlines()
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


def karekod_read(pdf: bytes, tmp_path: Path) -> dict:
    """What a phone would read: the first page at 200 dpi, through zbar."""
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True)
    (page,) = tmp_path.glob("page*.png")
    found = subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True).stdout.decode()
    page.unlink()
    return json.loads(found)


# --- invoices and designs ---------------------------------------------------------------------------


def built(tenant, data: dict) -> bytes:
    """The invoice *data* (a payload) built as the tenant's, dated the golden day, with a fixed number and ETTN."""
    serializer = InvoicePayloadSerializer(data={**copy.deepcopy(data), "issue_date": GOLDEN_DAY.isoformat()})
    assert serializer.is_valid(), serializer.errors
    document = payload_to_invoice(serializer.validated_data, supplier=tenant_party(tenant))
    document.id = "EAA2026000000042" if document.profile == "EARSIVFATURA" else "AAA2026000000042"
    document.uuid = "3F2504E0-4F89-41D3-9A0C-0305E82C3301"
    return build.to_bytes(build.build_invoice(build.with_amount_in_words(totals.compute(document))))


def with_design(xml: bytes, design: str) -> bytes:
    """*xml* with its embedded design replaced by *design*: what a stranger could send."""
    root = etree.fromstring(xml)
    root.find(EMBEDDED, NS).text = base64.b64encode(design.encode()).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def design(body: str, templates: str = "", head: str = "") -> str:
    return (f'<xsl:stylesheet version="1.0" xmlns:xsl="{XSL}"><xsl:output method="html"/><xsl:template match="/">'
            f'<html><head>{head}</head><body>{body}</body></html></xsl:template>{templates}</xsl:stylesheet>')


@pytest.fixture
def earsiv(tenant_a) -> bytes:
    return built(tenant_a, CASES["earsiv_satis"])


# --- every invoice gives a PDF a person and a phone can read ----------------------------------------------


@pytest.mark.parametrize("sample", INVOICE_SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_of_gibs_samples_gives_a_pdf_with_its_number_ettn_and_karekod(gib_package, sample, tmp_path):
    xml = sample.read_bytes()
    pdf = pdf_render(xml)
    facts = qr.karekod(xml)
    info = info_of(pdf, tmp_path)
    assert pdf.startswith(b"%PDF-") and info["Title"] == facts["no"] and "(A4)" in info["Page size"]
    text = flat(text_of(pdf, tmp_path)).upper()
    assert facts["no"] in text and facts["ettn"].upper() in text
    assert karekod_read(pdf, tmp_path) == facts


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_built_invoice_of_each_profile_and_type_reads_back_in_turkish(tenant_a, gib_package, case, tmp_path):
    xml = built(tenant_a, CASES[case])
    pdf = pdf_render(xml)
    text, facts = text_of(pdf, tmp_path), qr.karekod(xml)
    payable = f"{Decimal(facts['odenecek']):,.2f}".translate(str.maketrans(",.", ".,"))  # 5821.50 → 5.821,50
    assert facts["no"] in text and facts["ettn"] in text and f"{payable} " in text
    assert "Ödenecek Tutar" in text and "Satıcı" in text and "Alıcı" in text and "Toplam İskonto" in text
    earsiv = facts["senaryo"] == "EARSIVFATURA"
    assert ("e-Arşiv Fatura" in text) == earsiv and ("e-Fatura" in text) == (not earsiv) and (EARSIV_PHRASE in text) == earsiv
    assert info_of(pdf, tmp_path)["Title"] == facts["no"]
    assert karekod_read(pdf, tmp_path) == facts


def test_every_turkish_letter_comes_out_in_every_font_and_only_dejavu_is_used(earsiv, tmp_path):
    letters = "ÇĞİÖŞÜ çğıöşü"
    faces = ("Arial", "Times New Roman", "Courier New", "Tahoma", "Nimbus Sans", "serif", "monospace")
    body = "".join(f'<p style="font-family: \'{face}\'; font-weight: bold">{face}: {letters}</p>' for face in faces)
    pdf = pdf_render(with_design(earsiv, design(body)))
    text = text_of(pdf, tmp_path)
    assert all(f"{face}: {letters}" in text for face in faces)
    fonts = poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
    assert fonts and all("DejaVu" in line for line in fonts)
    assert {"DejaVu-Sans-Bold", "DejaVu-Serif-Bold", "DejaVu-Sans-Mono-Bold"} <= {line.split()[0].split("+")[1] for line in fonts}


def test_the_karekod_json_matches_its_golden_file(earsiv):
    path = GOLDEN / "karekod_earsiv_satis.json"
    actual = qr.karekod_text(qr.karekod(earsiv))
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual + "\n", encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8").strip()
    assert list(json.loads(actual)) == ["vkntckn", "avkntckn", "senaryo", "tip", "tarih", "no", "ettn", "parabirimi", "malhizmettoplam",
                                        "kdvmatrah(20)", "hesaplanankdv(20)", "vergidahil", "odenecek"]


def test_the_karekod_writes_rates_as_gib_does(earsiv):
    root = etree.fromstring(earsiv)
    [subtotal] = root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    subtotal.find("cbc:Percent", NS).text = "20.00"
    exempt = copy.deepcopy(subtotal)
    exempt.find("cbc:Percent", NS).text = "0"
    subtotal.addnext(exempt)
    twin = copy.deepcopy(exempt)
    twin.find("cbc:TaxableAmount", NS).text = "10.5"
    exempt.addnext(twin)
    facts = qr.karekod_of(root)
    assert (facts["kdvmatrah(20)"], facts["hesaplanankdv(20)"]) == ("4851.25", "970.25")
    assert (facts["kdvmatrah(0)"], facts["hesaplanankdv(0)"]) == ("4861.75", "1940.50")  # two at one rate: added up
    for node in root.iterfind("cac:TaxTotal/cac:TaxSubtotal/cbc:Percent", NS):
        node.getparent().remove(node)  # a document-level subtotal with no rate takes its lines' one rate
    assert "kdvmatrah(20)" in qr.karekod_of(root)


def test_a_design_without_a_karekod_box_gets_it_at_the_top_right_beside_its_text(earsiv, tmp_path):
    words = " ".join(["Satırlar boyunca uzanan, sayfanın sağ kenarına dek giden bir açıklama metni."] * 12)
    pdf = pdf_render(with_design(earsiv, design(f"<p>{words}</p>", head="<style>@page { margin: 10mm }</style>")))
    assert karekod_read(pdf, tmp_path) == qr.karekod(earsiv)
    box = ((210 - 10 - 34) * MM, 10 * MM, (210 - 10) * MM, (10 + 34) * MM)  # the karekod's corner of the first page
    boxes = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">', poppler("pdftotext", pdf, tmp_path, "-bbox"))
    assert len(boxes) > 100
    assert not [b for b in boxes if float(b[2]) > box[0] and float(b[0]) < box[2] and float(b[3]) > box[1] and float(b[1]) < box[3]]


def test_a_design_that_hides_the_karekod_box_or_asks_for_letter_paper_gets_neither(earsiv, tmp_path):
    head = "<style>@page { size: letter } #qrcode { display: none } img { visibility: hidden }</style>"
    pdf = pdf_render(with_design(earsiv, design('<p>Fatura</p><div id="qrcode">QR burada çizilirdi</div>', head=head)))
    assert "(A4)" in info_of(pdf, tmp_path)["Page size"]
    assert karekod_read(pdf, tmp_path) == qr.karekod(earsiv) and "QR burada" not in text_of(pdf, tmp_path)


def test_a_design_that_hides_the_karekod_with_important_rules_keeps_them_in_its_page_and_still_shows_it(earsiv, tmp_path):
    from delivery.rendering import page

    head = "<style>#qrcode, img { display: none !important; visibility: hidden !important }</style>"
    hiding = with_design(earsiv, design('<p>Fatura</p><div id="qrcode"></div>', head=head))
    assert page.page_of(hiding, gib_design=None).styles == ()  # as the reader's, it would outrank the platform's own
    assert karekod_read(pdf_render(hiding), tmp_path) == qr.karekod(earsiv)


def test_a_designs_plain_stylesheets_are_parsed_once_and_lay_the_page_out_as_in_it(earsiv):
    from delivery.rendering import layout, page

    drawn = page.page_of(earsiv, gib_design=None)  # the platform's design: @page with a margin box, plain rules
    assert len(drawn.styles) == 1 and "@bottom-right" in drawn.styles[0] and "<style" not in drawn.html
    inline = dataclasses.replace(drawn, html=drawn.html.replace("<head>", f"<head><style>{drawn.styles[0]}</style>", 1), styles=())
    assert layout.pdf_of(drawn) == layout.pdf_of(inline)
    assert layout._design_css(drawn.styles[0]) is layout._design_css(drawn.styles[0])
    media = with_design(earsiv, design("<p>Fatura</p>", head='<style>p { color: red }</style><style media="screen">p { color: blue }</style>'))
    assert page.page_of(media, gib_design=None).styles == ()  # one of them is not plain: both stay, in their order


def test_the_same_invoice_gives_the_same_bytes_and_says_what_it_is(earsiv, tmp_path):
    pdf = pdf_render(earsiv)
    assert pdf_render(earsiv) == pdf
    info = info_of(pdf, tmp_path)
    assert info["Title"] == "EAA2026000000042" and info["Author"] == "A Tekstil A.Ş."
    assert info["Subject"] == "e-Arşiv Fatura EAA2026000000042 ETTN 3F2504E0-4F89-41D3-9A0C-0305E82C3301"


def test_an_invoice_without_a_usable_design_is_drawn_with_gibs_and_without_gibs_package_with_the_platforms(earsiv, gib_package, settings, tmp_path):
    broken = with_design(earsiv, "<xsl:stylesheet/>")
    text = text_of(pdf_render(broken), tmp_path)
    assert "e-ArşivFatura" in flat(text) and "Satıcı" not in text  # GİB's general.xslt
    settings.GIB_PACKAGES_ROOT = tmp_path / "nothing-installed"
    assert "Satıcı" in text_of(pdf_render(broken), tmp_path)


# --- the phrases integrators print ---------------------------------------------------------------------


def test_an_internet_sale_that_replaces_the_despatch_note_says_so_once_and_with_its_details(tenant_a, tmp_path):
    xml = built(tenant_a, payload("EARSIVFATURA", customer=PERSON, internet_sale=SALE, replaces_despatch=True))
    for drawn in (xml, with_design(xml, design("<p>Fatura</p>"))):  # the platform's design says them; a bare one does not
        text = text_of(pdf_render(drawn), tmp_path)
        assert [text.count(phrase) for phrase in (EARSIV_PHRASE, INTERNET_PHRASE, DESPATCH_PHRASE)] == [1, 1, 1]
        assert "https://magaza.example.com.tr" in text and "KREDIKARTI/BANKAKARTI" in text and "Hızlı Kargo A.Ş." in text
        assert GOLDEN_DAY.strftime("%d.%m.%Y") in text


def test_an_e_arsiv_invoice_without_them_says_only_the_e_arsiv_phrase(earsiv, tmp_path):
    for drawn in (earsiv, with_design(earsiv, design("<p>Fatura</p>"))):
        text = text_of(pdf_render(drawn), tmp_path)
        assert EARSIV_PHRASE in text and INTERNET_PHRASE not in text and DESPATCH_PHRASE not in text


def test_an_e_fatura_says_e_fatura_and_none_of_the_e_arsiv_words(tenant_a, tmp_path):
    xml = built(tenant_a, payload("TICARIFATURA", replaces_despatch=True))
    for drawn in (xml, with_design(xml, design("<p>Fatura</p>"))):
        text = text_of(pdf_render(drawn), tmp_path)
        assert EARSIV_PHRASE not in text and "e-Arşiv" not in text and text.count(DESPATCH_PHRASE) == 1
    assert "e-Fatura" in text_of(pdf_render(xml), tmp_path)


# --- designs that must not do what they try ---------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        self.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b'body::after { content: "FROM-THE-NETWORK" }')

    def log_message(self, *args):
        pass


@pytest.fixture
def web() -> Iterator[str]:
    """A real HTTP server on localhost that records every request made to it."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def reaching_out(web: str, secret: Path) -> str:
    """A page that asks for a local file and the network every way HTML and CSS allow."""
    return (f'<img src="file:///etc/passwd"/><img src="{web}/image.png"/><img src="etc/passwd"/>'
            f'<link rel="stylesheet" href="{web}/style.css"/><link rel="stylesheet" href="{secret.as_uri()}"/>'
            f'<link rel="attachment" href="file:///etc/passwd"/><a rel="attachment" href="file:///etc/passwd">ek</a>'
            f'<style>@import url("{web}/import.css"); @import url("{secret.as_uri()}");'
            f' body {{ background: url("file:///etc/passwd") }} li {{ list-style-image: url("{web}/bullet.png") }}'
            f' @font-face {{ font-family: Uzak; src: url("{web}/font.ttf"), url("file:///etc/passwd") }} p {{ font-family: Uzak }}</style>'
            f'<iframe src="file:///etc/passwd"/><object data="{web}/object"/><embed src="{web}/embed"/>'
            f'<svg width="10" height="10"><image href="file:///etc/passwd" width="10" height="10"/></svg>'
            f'<ul><li>madde</li></ul><script>document.write("SCRIPT-RAN")</script><p>TASARIM-METNİ</p>')


def test_a_page_reaches_neither_the_disk_nor_the_network(earsiv, web, tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text('body::after { content: "SECRET-CONTENT" }')
    pdf = pdf_render(with_design(earsiv, design(reaching_out(web, secret))))
    text = text_of(pdf, tmp_path)
    assert "TASARIM-METNİ" in text and "root:" not in text and "SECRET-CONTENT" not in text and "FROM-THE-NETWORK" not in text
    assert "SCRIPT-RAN" not in text and _Recorder.requests == []
    assert "0 embedded files" in poppler("pdfdetach", pdf, tmp_path, "-list")
    # The same page laid out as weasyprint does by default reads both: the refusals are ours.
    unguarded = weasyprint.HTML(string=f"<html><body>{reaching_out(web, secret)}</body></html>").write_pdf()
    assert "SECRET-CONTENT" in text_of(unguarded, tmp_path) and _Recorder.requests


def test_a_page_may_use_the_platforms_fonts_and_data_urls(earsiv, tmp_path):
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf").as_uri()
    mono = base64.b64encode(Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf").read_bytes()).decode()
    head = (f'<style>@font-face {{ font-family: Kurum; src: url("{dejavu}") }} @font-face {{ font-family: Gomulu; src: url("data:font/ttf;base64,{mono}") }}'
            f' .k {{ font-family: Kurum }} .g {{ font-family: Gomulu }}</style>')
    pdf = pdf_render(with_design(earsiv, design('<p class="k">Kurumsal yazı</p><p class="g">Gömülü yazı</p>', head=head)))
    fonts = poppler("pdffonts", pdf, tmp_path)
    assert "+Kurum" in fonts and "+Gomulu" in fonts  # weasyprint names a @font-face font by its family
    assert "Kurumsal yazı" in text_of(pdf, tmp_path) and "Gömülü yazı" in text_of(pdf, tmp_path)
    # A design's own font is its page's: the next invoice is drawn as ever.
    later = poppler("pdffonts", pdf_render(with_design(earsiv, design('<p class="k">Kurumsal yazı</p>', head="<style>.k { font-family: Kurum }</style>"))), tmp_path)
    assert "Kurum" not in later and "DejaVu-Sans" in later


def test_a_design_that_reads_a_file_with_document_is_refused_and_shows_nothing_of_it(earsiv):
    with pytest.raises(StylesheetRefused) as refused:
        pdf_render(with_design(earsiv, design("<pre><xsl:copy-of select=\"document('file:///etc/passwd')\"/></pre>")))
    assert "root:" not in str(refused.value)


def test_a_design_that_recurses_for_ever_is_stopped_at_the_time_limit_and_the_next_invoice_is_drawn(earsiv, settings):
    settings.PDF_RENDER_SECONDS = 2
    doubling = ('<xsl:template name="twice"><xsl:param name="n"/><xsl:if test="$n &lt; 60">'
                '<xsl:call-template name="twice"><xsl:with-param name="n" select="$n + 1"/></xsl:call-template>'
                '<xsl:call-template name="twice"><xsl:with-param name="n" select="$n + 1"/></xsl:call-template></xsl:if></xsl:template>')
    started = time.monotonic()
    with pytest.raises(PdfTimedOut, match="longer than 2 seconds"):
        pdf_render(with_design(earsiv, design('<xsl:call-template name="twice"><xsl:with-param name="n" select="0"/></xsl:call-template>', doubling)))
    assert time.monotonic() - started < 6
    assert pdf_render(earsiv).startswith(b"%PDF-")


def test_a_design_that_recurses_without_end_stops_at_libxslts_depth(earsiv):
    endless = '<xsl:template name="again"><xsl:call-template name="again"/></xsl:template>'
    with pytest.raises(StylesheetRefused, match="failed while running"):
        pdf_render(with_design(earsiv, design('<xsl:call-template name="again"/>', endless)))


@pytest.mark.parametrize("depth", [2, 3], ids=["a page too long to lay out", "a result too large to hold"])
def test_a_design_whose_output_is_huge_is_stopped(earsiv, settings, depth):
    settings.PDF_RENDER_SECONDS = 4
    loops = '<xsl:for-each select="//node()">' * depth + "<p>Satır</p>" + "</xsl:for-each>" * depth
    started = time.monotonic()
    with pytest.raises(DisplayError) as stopped:
        pdf_render(with_design(earsiv, design(loops)))
    # Out of time, or of memory: noticed by the worker ("more than … MB"), or by libxml2, which then gives up ("ended").
    assert time.monotonic() - started < 9 and re.search("longer than 4 seconds|more than|ended without an answer", str(stopped.value))
    assert pdf_render(earsiv).startswith(b"%PDF-")


@pytest.mark.parametrize("xml", [
    b"<not-closed",
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    b"<something-else/>",
])
def test_what_is_no_invoice_is_a_domain_error_with_the_reason(xml):
    with pytest.raises(DisplayError) as refused:
        pdf_render(xml)
    assert isinstance(refused.value, DomainError) and str(refused.value) and "root:" not in str(refused.value)
    assert not isinstance(refused.value, PdfError)  # said before anything was drawn


# --- the two payload fields -----------------------------------------------------------------------------


def test_an_internet_sale_and_the_despatch_note_round_trip_and_pass_gibs_rules(tenant_a, gib_package):
    xml = built(tenant_a, payload("EARSIVFATURA", customer=PERSON, internet_sale={**SALE, "payment_method": "ODEMEARACISI", "payment_agent": "iyzico"},
                                  replaces_despatch=True, notes=["Teslimat kapıya."]))
    report = validate(xml, today=GOLDEN_DAY)
    assert report.valid, [(e.layer, e.rule, e.message_tr) for e in report.errors]
    root = etree.fromstring(xml)
    assert [n.text for n in root.findall("cbc:Note", NS)][1:] == ["Teslimat kapıya.", "İrsaliye yerine geçer."]
    kinds = {ref.findtext("cbc:DocumentType", namespaces=NS): ref.findtext("cbc:ID", namespaces=NS) for ref in root.findall("cac:AdditionalDocumentReference", NS)}
    assert kinds == {"XSLT": "3F2504E0-4F89-41D3-9A0C-0305E82C3301", "INTERNET_SATIS": "https://magaza.example.com.tr",
                     "ODEME_SEKLI": "ODEMEARACISI", "ODEME_ARACISI": "iyzico", "ODEME_TARIHI": GOLDEN_DAY.isoformat()}
    assert root.findtext("cac:AccountingSupplierParty/cac:Party/cbc:WebsiteURI", namespaces=NS) == "https://magaza.example.com.tr"
    assert root.findtext("cac:Delivery/cac:CarrierParty/cac:PartyIdentification/cbc:ID[@schemeID='VKN']", namespaces=NS) == "4840847211"
    assert root.findtext("cac:Delivery/cac:Despatch/cbc:ActualDespatchDate", namespaces=NS) == GOLDEN_DAY.isoformat()
    invoice = parse_invoice(root)
    sale = invoice.internet_sale
    assert (sale.website, sale.payment_method, sale.payment_agent, sale.payment_date, sale.despatch_date) == (
        "https://magaza.example.com.tr", "ODEMEARACISI", "iyzico", GOLDEN_DAY, GOLDEN_DAY)
    assert (sale.carrier.identifier, sale.carrier.name) == ("4840847211", "Hızlı Kargo A.Ş.")
    assert invoice.replaces_despatch and invoice.notes == ["Yalnız: Beş Bin Sekiz Yüz Yirmi Bir TL Elli Kuruş", "Teslimat kapıya."]
    again = build.to_bytes(build.build_invoice(invoice, xslt=embedded_xslt(root)))
    assert again == xml and dataclasses.asdict(parse_invoice(etree.fromstring(again))) == dataclasses.asdict(invoice)


def test_an_invoice_without_them_carries_none_of_it(tenant_a):
    root = etree.fromstring(built(tenant_a, CASES["earsiv_satis"]))
    assert root.find("cac:Delivery", NS) is None and len(root.findall("cac:AdditionalDocumentReference", NS)) == 1
    invoice = parse_invoice(root)
    assert invoice.internet_sale is None and not invoice.replaces_despatch


@pytest.mark.parametrize("change, field, words", [
    ({"internet_sale": {**SALE, "payment_method": "NAKIT"}}, "internet_sale.payment_method", "one of KREDIKARTI/BANKAKARTI"),
    ({"internet_sale": {**SALE, "payment_method": "DIGER - havale ile"}}, None, ""),
    ({"internet_sale": {**SALE, "payment_method": "KAPIDAODEME", "payment_date": None}}, None, ""),
    ({"internet_sale": {**SALE, "payment_date": None}}, "internet_sale.payment_date", "needs its payment_date"),
    ({"internet_sale": {**SALE, "payment_method": "ODEMEARACISI"}}, "internet_sale.payment_agent", "names it in payment_agent"),
    ({"internet_sale": {k: v for k, v in SALE.items() if k != "carrier"}}, "internet_sale.carrier", "who carries the goods"),
    ({"internet_sale": {k: v for k, v in SALE.items() if k != "despatch_date"}}, "internet_sale.despatch_date", "when the goods were sent"),
    ({"internet_sale": {**SALE, "carrier": {"vkn": "1234567891", "name": "Kargo"}}}, "internet_sale.carrier.vkn", "check digit"),
    ({"internet_sale": {**SALE, "carrier": {"vkn": "4840847211", "tckn": "10000000146", "name": "Kargo"}}}, "internet_sale.carrier.non_field_errors", "exactly one"),
    ({"internet_sale": {**SALE, "website": "a b"}}, "internet_sale.website", "web address"),
    ({"profile": "KAMU", "internet_sale": SALE, "payment": {"iban": "TR330006100519786457841326"},
      "buyer": {**CASES["kamu_satis"]["buyer"]}}, "internet_sale", "e-Arşiv invoice"),
    ({"replaces_despatch": True, "despatches": [{"id": "IRS2026000000001", "issue_date": TODAY.isoformat()}]}, "replaces_despatch", "no despatch note"),
])
def test_bad_internet_sales_name_their_field(change, field, words):
    data = {**payload("EARSIVFATURA", customer=PERSON), **change}
    serializer = InvoicePayloadSerializer(data=data)
    if field is None:
        assert serializer.is_valid(), serializer.errors
        return
    assert not serializer.is_valid()
    errors = serializer.errors
    for key in field.split("."):
        errors = errors[key]
    assert words in str(errors[0] if isinstance(errors, list) else errors)


# --- the worker, from threads and from a forked process ------------------------------------------------


def test_threads_asking_at_once_each_get_their_pdf(earsiv, tenant_a):
    other = built(tenant_a, CASES["ticari_satis"])
    results: dict[int, bytes] = {}

    def draw(number: int) -> None:
        results[number] = pdf_render(earsiv if number % 2 else other)

    threads = [threading.Thread(target=draw, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results[1] == results[3] == pdf_render(earsiv) and results[0] == results[2] == pdf_render(other)


def test_a_process_forked_after_its_parent_drew_draws_with_a_worker_of_its_own(earsiv):
    first = pdf_render(earsiv)  # this process has a worker now; a fork (gunicorn's, celery's) copies it
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write, b"same" if pdf_render(earsiv) == first else b"different")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 16)
    os.close(read)
    os.waitpid(pid, 0)
    assert answer == b"same" and pdf_render(earsiv) == first
