"""Invoice designs in the portal: uploaded, checked in the PDF's and the display's sandbox, previewed on
a sample invoice as a page and as a PDF, kept as versions, one chosen (or the default again); only those
who may configure the tenant change them, and another tenant's versions do not exist."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import etree

from designs.models import Design
from designs.services import design_activate, design_upload
from invoices.models import Invoice
from invoices.services import draft_from_payload, invoice_issue
from invoices.status import Status
from schematron.package import active_package
from tenants.models import Tenant
from tests.factories import make_user
from tests.invoice_payloads import payload
from ubl.parse import embedded_xslt

XSL = "http://www.w3.org/1999/XSL/Transform"


def design(body: str, templates: str = "") -> str:
    return (f'<xsl:stylesheet version="1.0" xmlns:xsl="{XSL}" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
            f'<xsl:output method="html"/><xsl:template match="/"><html><body>{body}</body></html></xsl:template>{templates}</xsl:stylesheet>')


GOOD = design('<h1>KURUMSAL-TASARIM</h1><p>No: <xsl:value-of select="//cbc:ID[1]"/></p>')
FETCHING = design("<pre><xsl:copy-of select=\"document('http://127.0.0.1:9/secret.xml')\"/></pre>")
READING = design("<pre><xsl:copy-of select=\"document('file:///etc/passwd')\"/></pre>")
ENDLESS = design('<xsl:call-template name="again"/>', '<xsl:template name="again"><xsl:call-template name="again"/></xsl:template>')
DOUBLING = design('<xsl:call-template name="twice"><xsl:with-param name="n" select="0"/></xsl:call-template>',
                  '<xsl:template name="twice"><xsl:param name="n"/><xsl:if test="$n &lt; 60">'
                  '<xsl:call-template name="twice"><xsl:with-param name="n" select="$n + 1"/></xsl:call-template>'
                  '<xsl:call-template name="twice"><xsl:with-param name="n" select="$n + 1"/></xsl:call-template></xsl:if></xsl:template>')
INCLUDING = design("<p/>").replace("<xsl:output", '<xsl:include href="file:///etc/other.xslt"/><xsl:output')


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def upload(client, identifier: str, text: str, name: str = "Kurumsal"):
    return client.post(reverse("portal:designs", args=[identifier]),
                       {"name": name, "file": SimpleUploadedFile("kurumsal.xslt", text.encode(), "application/xslt+xml")})


def test_an_uploaded_design_is_kept_as_a_version_and_previewed_before_it_is_chosen(client_a, tenant_a, user_a):
    response = upload(client_a, tenant_a.identifier, GOOD)
    kept = Design.objects.get(tenant=tenant_a)
    assert response.status_code == 302 and response["Location"] == reverse("portal:design", args=[tenant_a.identifier, kept.id])
    assert (kept.name, kept.file_name, kept.size, kept.sha256) == ("Kurumsal", "kurumsal.xslt", len(GOOD.encode()), hashlib.sha256(GOOD.encode()).hexdigest())
    assert kept.uploaded_by == user_a and not kept.is_active
    assert Tenant.objects.get(id=tenant_a.id).display_xslt == ""  # not chosen yet
    page = client_a.get(response["Location"]).content.decode()
    assert 'id="design-frame"' in page and "sandbox" in page and "a sample invoice" in page
    shown = client_a.get(reverse("portal:design-view", args=[tenant_a.identifier, kept.id]))
    assert "KURUMSAL-TASARIM" in shown.content.decode() and "ABC" in shown.content.decode()  # the made-up sample's number
    assert shown["Content-Security-Policy"].startswith("sandbox")
    pdf = client_a.get(reverse("portal:design-pdf", args=[tenant_a.identifier, kept.id]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_the_chosen_design_is_carried_by_invoices_built_after_it_and_the_default_can_come_back(client_a, tenant_a, user_a):
    first = design_upload(tenant=tenant_a, name="Bir", file_name="1.xslt", data=GOOD.encode(), by=user_a)
    second = design_upload(tenant=tenant_a, name="İki", file_name="2.xslt", data=GOOD.replace("KURUMSAL", "İKİNCİ").encode(), by=user_a)
    before = draft_from_payload(tenant=Tenant.objects.get(id=tenant_a.id), data=payload())
    response = client_a.post(reverse("portal:design-activate", args=[tenant_a.identifier, first.id]))
    assert response.status_code == 302
    tenant = Tenant.objects.get(id=tenant_a.id)
    assert tenant.display_xslt == GOOD and draft_from_payload(tenant=tenant, data=payload()).xslt == GOOD.encode()
    assert before.xslt is None  # a draft made before keeps the design of its moment
    design_activate(tenant=tenant_a, design_id=second.id)
    assert list(Design.objects.filter(tenant=tenant_a, is_active=True)) == [second]  # the earlier one kept, not in use
    listing = client_a.get(reverse("portal:designs", args=[tenant_a.identifier])).content.decode()
    assert "Bir" in listing and "İki" in listing and 'id="use-default"' in listing
    client_a.post(reverse("portal:design-default", args=[tenant_a.identifier]))
    assert Tenant.objects.get(id=tenant_a.id).display_xslt == "" and not Design.objects.filter(tenant=tenant_a, is_active=True).exists()
    assert draft_from_payload(tenant=Tenant.objects.get(id=tenant_a.id), data=payload()).xslt is None


@pytest.mark.parametrize(("text", "words"), [
    (FETCHING, "failed while running"),
    (READING, "failed while running"),
    (ENDLESS, "failed while running"),
    (INCLUDING, "includes or imports another stylesheet"),
    ("<xsl:stylesheet", "not well-formed"),
    ("<html><body/></html>", "not an XSLT stylesheet"),
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xsl:stylesheet version="1.0" xmlns:xsl="' + XSL + '"/>', "DOCTYPE"),
], ids=["fetches an address", "reads a file", "recurses without end", "includes a file", "broken", "not XSLT", "a DOCTYPE"])
def test_an_unsafe_or_broken_design_is_refused_with_the_reason_and_nothing_is_kept(client_a, tenant_a, text, words):
    response = upload(client_a, tenant_a.identifier, text)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The design cannot be used" in page and words in page and "root:" not in page
    assert not Design.objects.exists() and Tenant.objects.get(id=tenant_a.id).display_xslt == ""


def test_a_design_that_grows_without_end_is_stopped_at_the_pdfs_time_limit(client_a, tenant_a, settings):
    settings.PDF_RENDER_SECONDS = 2
    response = upload(client_a, tenant_a.identifier, DOUBLING)
    assert response.status_code == 400 and "longer than 2 seconds" in response.content.decode()
    assert not Design.objects.exists()


@pytest.mark.parametrize("role", ["clerk", "viewer"])
def test_who_may_not_configure_sees_the_designs_and_changes_nothing(client, tenant_a, user_a, role):
    kept = design_upload(tenant=tenant_a, name="Kurumsal", file_name="k.xslt", data=GOOD.encode(), by=user_a)
    client.force_login(make_user(tenant=tenant_a, role=role))
    listing = client.get(reverse("portal:designs", args=[tenant_a.identifier]))
    assert listing.status_code == 200 and "Kurumsal" in listing.content.decode() and 'id="design-upload"' not in listing.content.decode()
    assert client.get(reverse("portal:design-view", args=[tenant_a.identifier, kept.id])).status_code == 200
    assert upload(client, tenant_a.identifier, GOOD).status_code == 403
    assert client.post(reverse("portal:design-activate", args=[tenant_a.identifier, kept.id])).status_code == 403
    assert client.post(reverse("portal:design-default", args=[tenant_a.identifier])).status_code == 403
    assert Design.objects.count() == 1 and Tenant.objects.get(id=tenant_a.id).display_xslt == ""


def test_another_tenants_designs_do_not_exist(client_a, tenant_a, tenant_b, user_b):
    theirs = design_upload(tenant=tenant_b, name="B'nin", file_name="b.xslt", data=GOOD.encode(), by=user_b)
    for name in ("portal:design", "portal:design-view", "portal:design-pdf"):
        assert client_a.get(reverse(name, args=[tenant_a.identifier, theirs.id])).status_code == 404
    assert client_a.post(reverse("portal:design-activate", args=[tenant_a.identifier, theirs.id])).status_code == 404
    assert client_a.get(reverse("portal:designs", args=[tenant_b.identifier])).status_code == 404
    assert "B'nin" not in client_a.get(reverse("portal:designs", args=[tenant_a.identifier])).content.decode()
    assert Tenant.objects.get(id=tenant_b.id).display_xslt == ""


def test_the_preview_uses_the_latest_sealed_invoice_and_no_invoice_built_before_changes(client_a, tenant_a, user_a):
    older = invoice_issue(tenant=tenant_a, data=payload())
    Invoice.objects.filter(id=older.id).update(status=Status.SEALED)
    before = bytes(Invoice.objects.get(id=older.id).xml)
    kept = design_upload(tenant=tenant_a, name="Kurumsal", file_name="k.xslt", data=GOOD.encode(), by=user_a)
    page = client_a.get(reverse("portal:design", args=[tenant_a.identifier, kept.id])).content.decode()
    assert f"Shown on your latest invoice, {older.number}." in page
    shown = client_a.get(reverse("portal:design-view", args=[tenant_a.identifier, kept.id])).content.decode()
    assert "KURUMSAL-TASARIM" in shown and older.number in shown  # through the new design, not the one it carries
    design_activate(tenant=tenant_a, design_id=kept.id)
    after = Invoice.objects.get(id=older.id)
    assert bytes(after.xml) == before and embedded_xslt(etree.fromstring(before)) != GOOD.encode()
    newer = invoice_issue(tenant=Tenant.objects.get(id=tenant_a.id), data=payload())
    assert embedded_xslt(etree.fromstring(bytes(newer.xml))) == GOOD.encode()


def test_gibs_own_design_can_be_chosen_and_is_kept_once(client_a, tenant_a, gib_package):
    for _ in range(2):
        assert client_a.post(reverse("portal:design-gib", args=[tenant_a.identifier])).status_code == 302
    design = Design.objects.get(tenant=tenant_a)
    gib = (active_package().path / "xslt" / "general.xslt").read_bytes()
    assert design.is_active and design.file_name == "general.xslt" and design.name == "GİB general.xslt"
    assert design.sha256 == hashlib.sha256(gib).hexdigest()
    assert Tenant.objects.get(id=tenant_a.id).display_xslt == design.xslt.strip()
    shown = client_a.get(reverse("portal:design-view", args=[tenant_a.identifier, design.id]))
    assert shown.status_code == 200 and "ABC" in shown.content.decode()
