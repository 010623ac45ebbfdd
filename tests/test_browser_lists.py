"""The lists' daily work in a real browser (Chromium through Playwright) against the live server and
the local GİB hub: an accountant of two tenants switches to the one that received invoices, ticks
them in the inbox and answers KABUL in one go (the supplier then sees its invoices accepted), sorts a
list, and downloads the XML and PDFs of the invoices ticked as one ZIP. Screenshots of each page are
kept in var/test-artifacts/."""

from __future__ import annotations

import io
import zipfile

import pytest

from invoices.models import Invoice
from invoices.status import Status
from pipeline.flow import invoice_submit
from tenants.services import membership_set
from tests.browser_fixtures import browse  # noqa: F401  (a fixture)
from tests.conftest import PASSWORD
from tests.exchange_fixtures import exchange, poll_all, today_payload  # noqa: F401  (a fixture)
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def accountant(tenant_a, tenant_b):
    """An accountant serving both tenants."""
    user = make_user(tenant=tenant_a, role="accountant", password=PASSWORD)
    membership_set(tenant=tenant_b, user=user, role="accountant")
    return user


def test_an_accountant_answers_kabul_for_the_ticked_and_downloads_a_zip(exchange, browse, accountant, tenant_a, tenant_b):
    sent = [invoice_submit(tenant=tenant_a, data=today_payload("TICARIFATURA")) for _ in range(3)]
    assert poll_all() == 3
    person = browse(accountant, PASSWORD)
    page = person.go(f"/t/{tenant_a.identifier}/")
    page.select_option("#tenant-switch", tenant_b.identifier)  # the header's switch: B received them
    page.wait_for_url(f"**/t/{tenant_b.identifier}/")
    page = person.go(f"/t/{tenant_b.identifier}/inbox/")
    assert page.locator("input[data-answerable]").count() == 3
    assert "3 fatura yanıtınızı bekliyor" in page.inner_text(".attention")
    person.shot("1-inbox")
    page.check("input[data-tick-all]")
    page.click("button[value=KABUL]")
    page.wait_for_load_state()
    assert "3 fatura KABUL ile yanıtlandı" in page.inner_text("main")
    person.shot("2-answered")
    assert set(Invoice.objects.filter(tenant=tenant_b, direction="in").values_list("status", flat=True)) == {Status.ACCEPTED}
    assert poll_all() == 3  # B's answers reach A through the hub, an envelope each
    page = person.go(f"/t/{tenant_a.identifier}/invoices/?sort=number")
    assert page.inner_text("th[aria-sort=ascending]").startswith("Numara")
    assert [row.inner_text() for row in page.locator("tbody td code").all()] == sorted(invoice.number for invoice in sent)
    assert page.locator("tbody .status-accepted").count() == 3
    person.shot("3-accepted-at-the-supplier")

    for invoice in sent[:2]:
        page.check(f"input[value='{str(invoice.uuid).lower()}']")
    page.select_option("#id_contents", "both")
    page.click("#download")
    page.wait_for_url(f"**/t/{tenant_a.identifier}/exports/")
    person.shot("4-downloads")
    with page.expect_download() as waiting:
        page.click("a[href$=\"/download/\"] >> nth=0")
    archive = zipfile.ZipFile(io.BytesIO(open(waiting.value.path(), "rb").read()))
    for invoice in sent[:2]:
        stem = f"outgoing/{invoice.number}_{str(invoice.uuid).lower()}"
        assert archive.read(f"{stem}.pdf").startswith(b"%PDF-") and invoice.number.encode() in archive.read(f"{stem}.xml")
    assert not any(str(sent[2].uuid).lower() in name for name in archive.namelist())


def test_the_lists_fit_a_phone(exchange, browse, user_a, tenant_a):
    for _ in range(2):
        invoice_submit(tenant=tenant_a, data=today_payload("TICARIFATURA"))
    person = browse(user_a, PASSWORD, width=390, height=844)
    page = person.go(f"/t/{tenant_a.identifier}/invoices/")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    person.shot("outgoing-on-a-phone")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"


def test_a_zip_of_20_with_2_bad_uploaded_in_the_browser_ends_at_18_issued_and_2_refused(exchange, browse, accountant, tenant_a, tmp_path):
    from tests.test_uploads import QUANTITY
    from tests.upload_fixtures import changed, ubl_file, zipped

    files = {f"fatura-{n:02d}.xml": ubl_file(tenant_a, n) for n in range(1, 21)}
    files["fatura-05.xml"] = changed(files["fatura-05.xml"], QUANTITY, drop_attribute="unitCode")  # GİB's rule
    files["fatura-12.xml"] = changed(files["fatura-12.xml"], "cac:LegalMonetaryTotal/cbc:PayableAmount", text="1.00")  # ours
    upload = tmp_path / "ay-sonu.zip"
    upload.write_bytes(zipped(files))
    person = browse(accountant, PASSWORD)
    page = person.go(f"/t/{tenant_a.identifier}/invoices/")
    page.click("#nav-uploads")
    page.set_input_files("#upload-files", str(upload))
    person.shot("1-chosen")
    page.click("#upload-submit")
    page.wait_for_selector("#upload-progress[value='100']")
    page.reload()  # the bar and the counts read the same after a reload
    assert (page.inner_text("#count-issued"), page.inner_text("#count-refused")) == ("18", "2")
    text = page.inner_text("main")
    assert "InvoicedQuantityCheck" in text and "PLT-TOTAL-PAYABLE" in text and "fatura-05.xml" in text and "fatura-12.xml" in text
    person.shot("2-done")
    assert Invoice.objects.filter(tenant=tenant_a, direction="out").count() == 18
