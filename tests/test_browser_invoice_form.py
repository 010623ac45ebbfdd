"""The invoice form in Chromium: the accountant types an e-Fatura to the other tenant and sees it
reach 1300 through the local GİB hub; saves a draft and reopens it; an e-Arşiv invoice to a person
with an e-mail; the form at 1280 px and on a phone."""

import re

import pytest

from invoices.models import Invoice, SavedDraft
from tests.browser_fixtures import PHONE, shot
from tests.delivery_fixtures import smtp  # noqa: F401 (fixture)
from tests.exchange_fixtures import poll_all
from tests.invoice_payloads import PERSON

pytestmark = pytest.mark.django_db(transaction=True)


def open_form(portal, page, tenant):
    portal.log_in(page)
    page.goto(f"{portal.url}/t/{tenant.identifier}/")
    page.get_by_role("link", name="Yeni fatura").first.click()
    page.wait_for_url(re.compile(r"/invoices/new/"))


def type_customer_b(page):
    page.get_by_label("VKN ya da TCKN").fill("4840847211")
    page.get_by_role("button", name="GİB listesinde sorgula").click()
    page.locator("#postbox-field:not([hidden])").wait_for()
    page.get_by_label("Vergi dairesi", exact=True).fill("Çankaya")
    page.get_by_label("İlçe", exact=True).fill("Çankaya")
    page.get_by_label("İl", exact=True).fill("Ankara")


def type_line(page, index: int, name: str, quantity: str, price: str):
    row = page.locator("#lines tbody tr").nth(index)
    row.get_by_label("Mal veya hizmet").fill(name)
    row.get_by_label("Miktar").fill(quantity)
    row.get_by_label("Birim fiyat").fill(price)
    return row


def test_an_efatura_typed_into_the_form_reaches_1300_through_the_hub(portal, page, tenant_a, tenant_b):
    open_form(portal, page, tenant_a)
    type_customer_b(page)
    assert page.locator("#receiver-alias").input_value() == "urn:mail:pk@b-gida.com.tr"
    assert page.get_by_label("Unvan", exact=True).input_value() == tenant_b.title  # from GİB's list
    first = type_line(page, 0, "Pamuklu kumaş", "12,5", "40,10")
    first.get_by_label("Birim fiyat").press("Enter")  # Enter in the last line adds one and puts the cursor in its name
    assert page.locator("#lines tbody tr").count() == 2
    assert page.evaluate("document.activeElement.dataset.field") == "name"
    type_line(page, 1, "Danışmanlık", "3", "1500")
    page.locator("#lines tbody tr").nth(1).get_by_label("İskonto").fill("150")
    # 12.5 × 40.10 = 501.25; 3 × 1500 − 150 = 4350; KDV 20 %: 970.25; payable 5821.50
    page.locator("#total-payable", has_text="5.821,50").wait_for()  # not wait_for_function: the policy forbids eval
    shot(page, "typed")
    page.get_by_role("button", name="Önizle").click()
    frame = page.frame(name="preview-frame")
    page.wait_for_selector("#preview-card:not([hidden])")
    frame.wait_for_load_state()
    page.frame_locator("#preview-frame").get_by_text("Pamuklu kumaş").first.wait_for()
    shot(page, "preview")
    page.get_by_role("button", name="Faturayı düzenle").click()
    page.wait_for_url(re.compile(r"/invoices/out/"))
    invoice = Invoice.objects.get(tenant=tenant_a)
    assert invoice.payable_amount == 5821.50 and invoice.customer_identifier == tenant_b.identifier
    poll_all()
    page.reload()
    assert page.locator("dd strong", has_text="1300").is_visible()
    shot(page, "delivered")
    assert Invoice.objects.get(tenant=tenant_b, uuid=invoice.uuid).direction == Invoice.Direction.INCOMING


def test_errors_are_shown_beside_their_field_and_a_draft_is_saved_and_reopened(portal, page, tenant_a):
    open_form(portal, page, tenant_a)
    type_customer_b(page)
    type_line(page, 0, "Kumaş", "-2", "10")
    page.get_by_role("button", name="Faturayı düzenle").click()
    error = page.locator("#lines tbody tr").first.locator(".field-error")
    error.wait_for()
    assert error.inner_text().startswith("Değerin 0")
    assert page.locator("#lines tbody tr").first.get_by_label("Miktar").get_attribute("aria-invalid") == "true"
    shot(page, "errors")
    type_line(page, 0, "Kumaş", "2", "10")
    page.get_by_role("button", name="Taslak olarak kaydet").click()
    page.get_by_text("Taslak kaydedildi.").wait_for()
    draft = SavedDraft.objects.get(tenant=tenant_a)
    assert draft.payload["lines"][0]["quantity"] == "2" and draft.customer_name == "B Gıda Ltd. Şti."
    page.get_by_role("link", name="Taslaklar").first.click()
    shot(page, "drafts")
    page.get_by_role("link", name="Aç").click()
    page.wait_for_url(re.compile(rf"\?draft={draft.id}$"))
    assert page.get_by_label("VKN ya da TCKN").input_value() == "4840847211"
    assert page.locator("#lines tbody tr").first.get_by_label("Mal veya hizmet").input_value() == "Kumaş"
    page.locator("#total-payable", has_text="24,00").wait_for()
    shot(page, "reopened")
    page.set_viewport_size(PHONE)
    shot(page, "phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_earsiv_invoice_to_a_person_with_an_email(portal, page, tenant_a, smtp):
    open_form(portal, page, tenant_a)
    page.get_by_label("VKN ya da TCKN").fill(PERSON["tckn"])
    page.get_by_role("button", name="GİB listesinde sorgula").click()
    page.locator("#customer-status", has_text="e-Arşiv").wait_for()  # the look-up answered
    assert page.locator("#profile").input_value() == "EARSIVFATURA" and page.locator("#postbox-field").is_hidden()
    page.get_by_label("Ad", exact=True).fill("Ayşe")
    page.get_by_label("Soyad").fill("Yılmaz")
    page.get_by_label("E-posta").fill("ayse@example.com")
    page.get_by_label("İlçe", exact=True).fill("Kadıköy")
    page.get_by_label("İl", exact=True).fill("İstanbul")
    type_line(page, 0, "Kitap", "1", "100")
    page.get_by_label("Faturanın tümüne iskonto").fill("10")
    assert page.locator("#internet-sale-fields").is_hidden()
    page.get_by_label("İnternet üzerinden satıldı").check()
    day = page.locator("#issue-date").input_value()  # the form's own day: the sale is paid and sent the day it is invoiced
    page.get_by_label("Satışın web adresi").fill("https://kitap.example.com.tr")
    page.get_by_label("Ödeme tarihi", exact=True).fill(day)
    page.get_by_label("Taşıyıcının VKN'si ya da TCKN'si").fill("4840847211")
    page.get_by_label("Taşıyıcı", exact=True).fill("B Kargo")
    page.get_by_label("Gönderildiği gün").fill(day)
    page.locator("#total-payable", has_text="110,00").wait_for()  # 100 − 10 + KDV 20
    shot(page, "typed")
    page.get_by_role("button", name="Faturayı düzenle").click()
    page.wait_for_url(re.compile(r"/invoices/out/"))
    invoice = Invoice.objects.get(tenant=tenant_a)
    assert (invoice.profile, invoice.channel, invoice.payload["customer"]["email"]) == ("EARSIVFATURA", "earsiv", "ayse@example.com")
    assert invoice.payload["allowances"] == [{"amount": "10", "reason": "İskonto"}] and invoice.payable_amount == 110
    assert invoice.payload["internet_sale"] == {
        "website": "https://kitap.example.com.tr", "payment_method": "KREDIKARTI/BANKAKARTI", "payment_date": day, "despatch_date": day,
        "carrier": {"vkn": "4840847211", "name": "B Kargo"}}
    assert invoice.number.startswith("AAR")
    assert smtp.taken.wait(30) and smtp.messages[0][1] == ["ayse@example.com"]  # sealed, stamped and e-mailed
    page.reload()
    shot(page, "issued")


def test_a_kamu_invoice_names_the_public_body_and_the_iban(portal, page, tenant_a, tenant_b):
    open_form(portal, page, tenant_a)
    type_customer_b(page)  # the accounting unit that pays
    assert page.locator("#buyer-card").is_hidden()
    page.locator("#profile").select_option("KAMU")
    page.locator("#buyer-card:not([hidden])").wait_for()
    page.get_by_label("Kurumun VKN'si").fill("9000068418")
    page.get_by_label("Kurumun unvanı").fill("Ankara Büyükşehir Belediyesi")
    page.get_by_label("Kurumun vergi dairesi").fill("Çankaya")
    page.get_by_label("Kurumun ilçesi").fill("Çankaya")
    page.get_by_label("Kurumun ili").fill("Ankara")
    page.get_by_label("Ödenecek IBAN").fill("TR33 0006 1005 1978 6457 8413 26")
    type_line(page, 0, "Kırtasiye", "10", "25")
    page.locator("#total-payable", has_text="300,00").wait_for()
    shot(page, "typed")
    page.get_by_role("button", name="Faturayı düzenle").click()
    page.wait_for_url(re.compile(r"/invoices/out/"))
    invoice = Invoice.objects.get(tenant=tenant_a)
    assert (invoice.profile, invoice.customer_identifier) == ("KAMU", tenant_b.identifier)
    assert invoice.payload["buyer"]["vkn"] == "9000068418" and invoice.payload["payment"] == {"iban": "TR330006100519786457841326"}
