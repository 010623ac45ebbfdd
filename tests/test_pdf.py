"""The invoice on paper: a PDF from each of GİB's samples and from a built invoice of each profile and
type, read back with poppler's pdftotext and its karekod with zbar's zbarimg (Debian's tools); the
karekod's JSON against a golden file; designs that reach outside, loop or grow, refused or stopped."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from lxml import etree

from delivery import paper
from invoices.display import DisplayError
from tests.gib import GIB
from tests.invoice_payloads import CASES
from tests.test_ubl_golden import GOLDEN, built
from ubl import build
from ubl.names import NS, cac, cbc

SAMPLES = sorted((GIB / "samples" / "invoices").rglob("*.xml"))
XSL = "http://www.w3.org/1999/XSL/Transform"


def text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True).stdout.decode()


def karekod_read(pdf: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True)
    (page,) = tmp_path.glob("page*.png")
    found = subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True).stdout.decode()
    return json.loads(found)


def with_design(xml: bytes, design: str) -> bytes:
    """*xml* with its embedded XSLT replaced by *design*."""
    root = etree.fromstring(xml)
    blob = root.find("cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS)
    blob.text = base64.b64encode(design.encode()).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def design(body: str, templates: str = "") -> str:
    return (f'<xsl:stylesheet version="1.0" xmlns:xsl="{XSL}"><xsl:output method="html"/>'
            f'<xsl:template match="/"><html><body><h1>Fatura</h1>{body}</body></html></xsl:template>{templates}</xsl:stylesheet>')


@pytest.fixture
def earsiv_xml(tenant_a):
    return build.to_bytes(built(tenant_a, "earsiv_satis"))


@pytest.mark.parametrize("sample", SAMPLES, ids=[path.name for path in SAMPLES])
def test_each_of_gibs_samples_gives_a_pdf_with_its_number_ettn_and_karekod(gib_package, sample, tmp_path):
    xml = sample.read_bytes()
    pdf = paper.pdf_render(xml)
    assert pdf.startswith(b"%PDF")
    facts = paper.karekod(xml)
    text = text_of(pdf, tmp_path)
    assert facts["no"] in text
    assert facts["ettn"].upper() in text.upper().replace("\n", "").replace(" ", "") or facts["ettn"][:8].upper() in text.upper()
    assert karekod_read(pdf, tmp_path) == facts


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_built_invoice_of_each_profile_and_type_reads_back_in_turkish(tenant_a, gib_package, case, tmp_path):
    xml = build.to_bytes(built(tenant_a, case))
    pdf = paper.pdf_render(xml)
    text = text_of(pdf, tmp_path)
    facts = paper.karekod(xml)
    assert facts["no"] in text and facts["ettn"] in text and facts["odenecek"] in text
    assert "Ödenecek Tutar" in text and "Satıcı" in text and "Alıcı" in text
    assert ("e-Arşiv Fatura" if facts["senaryo"] == "EARSIVFATURA" else "e-Fatura") in text
    assert (paper.EARSIV_PHRASE in text) == (facts["senaryo"] == "EARSIVFATURA")
    assert karekod_read(pdf, tmp_path) == facts


def test_the_karekod_json_matches_its_golden_file(earsiv_xml):
    path = GOLDEN / "karekod_earsiv_satis.json"
    actual = paper.karekod_json(earsiv_xml)
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(actual + "\n", encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8").strip()
    assert list(json.loads(actual))[:9] == ["vkntckn", "avkntckn", "senaryo", "tip", "tarih", "no", "ettn", "parabirimi", "malhizmettoplam"]


def test_the_phrases_print_where_they_apply(tenant_a, earsiv_xml, tmp_path):
    root = etree.fromstring(earsiv_xml)
    reference = root.find("cac:AdditionalDocumentReference", NS)
    sale = etree.Element(cac("AdditionalDocumentReference"))
    etree.SubElement(sale, cbc("ID")).text = "https://magaza.example.com.tr"
    etree.SubElement(sale, cbc("IssueDate")).text = root.findtext("cbc:IssueDate", namespaces=NS)
    etree.SubElement(sale, cbc("DocumentType")).text = "INTERNET_SATIS"
    reference.addprevious(sale)
    root.find("cbc:Note", NS).addnext(etree.fromstring(f'<cbc:Note xmlns:cbc="{NS["cbc"]}">İrsaliye yerine geçer.</cbc:Note>'))
    text = text_of(paper.pdf_render(etree.tostring(root)), tmp_path)
    assert paper.INTERNET_PHRASE in text and "https://magaza.example.com.tr" in text and paper.DESPATCH_PHRASE in text

    plain = text_of(paper.pdf_render(earsiv_xml), tmp_path)
    assert paper.EARSIV_PHRASE in plain and paper.INTERNET_PHRASE not in plain and paper.DESPATCH_PHRASE not in plain


@pytest.fixture
def listener():
    """A local HTTP server that counts the requests it gets: a design must never reach it."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"h1 { color: red }")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()


def test_a_design_reaches_neither_the_disk_nor_the_network(earsiv_xml, listener, tmp_path):
    url, hits = listener
    body = (f'<img src="file:///etc/passwd"/><img src="{url}/image.png"/><link rel="stylesheet" href="{url}/style.css"/>'
            f'<style>@import url("{url}/import.css"); body {{ background: url("file:///etc/passwd") }}</style>'
            f'<iframe src="file:///etc/passwd"/><object data="{url}/object"/>')
    text = text_of(paper.pdf_render(with_design(earsiv_xml, design(body))), tmp_path)
    assert "Fatura" in text and "root:" not in text and hits == []

    reading = design('<xsl:value-of select="document(\'file:///etc/passwd\')"/>')
    with pytest.raises(DisplayError):
        paper.pdf_render(with_design(earsiv_xml, reading))


def test_a_design_that_recurses_without_end_is_stopped(earsiv_xml, settings):
    settings.PDF_RENDER_SECONDS = 3
    forever = design('<xsl:call-template name="twice"><xsl:with-param name="n" select="0"/></xsl:call-template>',
                     '<xsl:template name="twice"><xsl:param name="n"/><xsl:if test="$n &lt; 60">'
                     '<xsl:call-template name="twice"><xsl:with-param name="n" select="$n + 1"/></xsl:call-template>'
                     '<xsl:call-template name="twice"><xsl:with-param name="n" select="$n + 1"/></xsl:call-template>'
                     '</xsl:if></xsl:template>')
    with pytest.raises(paper.PdfError, match="3 seconds"):
        paper.pdf_render(with_design(earsiv_xml, forever))
    assert paper.pdf_render(earsiv_xml).startswith(b"%PDF")  # and the next one is drawn as ever


def test_a_design_that_grows_without_end_is_stopped(earsiv_xml, settings):
    settings.PDF_RENDER_SECONDS = 20
    huge = design('<xsl:call-template name="grow"><xsl:with-param name="n" select="0"/></xsl:call-template>',
                  '<xsl:template name="grow"><xsl:param name="n"/><xsl:if test="$n &lt; 2000000"><p>Satır <xsl:value-of select="$n"/></p>'
                  '<xsl:call-template name="grow"><xsl:with-param name="n" select="$n + 1"/></xsl:call-template></xsl:if></xsl:template>')
    with pytest.raises(DisplayError):
        paper.pdf_render(with_design(earsiv_xml, huge))


def test_what_is_no_invoice_is_refused_with_the_reason():
    with pytest.raises(DisplayError):
        paper.pdf_render(b"<not-closed")
    with pytest.raises(DisplayError):
        paper.pdf_render(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>')
