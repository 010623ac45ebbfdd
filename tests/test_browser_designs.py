"""A design in a real browser: uploaded, previewed on a sample invoice in its sandboxed frame, chosen."""

from __future__ import annotations

import re

import pytest

from designs.models import Design
from tenants.models import Tenant
from tests.browser_fixtures import _pdf_worker_stopped
from tests.browser_fixtures import browse  # noqa: F401  (a fixture)
from tests.conftest import PASSWORD
from tests.test_designs import GOOD

PREVIEWED = GOOD.replace("<h1>KURUMSAL-TASARIM</h1>", '<h1 style="color:#1d4f91;font-family:serif">KURUMSAL-TASARIM</h1>'
                         '<p style="border-top:3px solid #1d4f91">A Tekstil · Fatura</p>')


@pytest.fixture
def pdf_worker_stopped():
    """The PDF worker forked here holds copies of Playwright's pipes: stopped after the test, as the ``page`` fixture does."""
    yield
    _pdf_worker_stopped()


def test_a_design_is_uploaded_previewed_and_chosen(pdf_worker_stopped, browse, tenant_a, user_a, tmp_path):
    file = tmp_path / "kurumsal.xslt"
    file.write_text(PREVIEWED, encoding="utf-8")
    session = browse(user_a, PASSWORD)
    page = session.go(f"/t/{tenant_a.identifier}/")
    page.click("#link-designs")
    page.wait_for_url(re.compile(r"/designs/$"))
    page.fill("#id_name", "Kurumsal 2026")
    page.set_input_files("#id_file", str(file))
    page.click("#design-submit")
    page.wait_for_url(re.compile(r"/designs/\d+/$"))
    frame = page.frame_locator("#design-frame")
    frame.locator("h1").wait_for()
    assert frame.locator("h1").inner_text() == "KURUMSAL-TASARIM"
    session.shot("preview")
    assert Tenant.objects.get(id=tenant_a.id).display_xslt == ""  # previewed, not chosen yet

    with page.expect_response(re.compile(r"/pdf/$")) as pdf:
        page.evaluate("url => fetch(url)", page.locator("#design-pdf").get_attribute("href"))
    assert pdf.value.status == 200 and pdf.value.headers["content-type"] == "application/pdf"

    page.click("#design-activate")
    page.wait_for_url(re.compile(r"/designs/$"))
    session.shot("chosen")
    design = Design.objects.get(tenant=tenant_a)
    assert design.is_active and Tenant.objects.get(id=tenant_a.id).display_xslt == PREVIEWED
    row = page.locator(f'tr[data-design="{design.id}"]')
    assert row.locator(".status-accepted").count() == 1 and page.locator("#use-default").count() == 1
