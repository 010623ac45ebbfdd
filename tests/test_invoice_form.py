"""The portal's invoice form through Django's client: the same checks and totals as the API, errors
beside their field in Turkish, drafts saved, reopened and deleted, who may issue, and B never
reaching A's drafts by any id."""

import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from invoices.models import Invoice, SavedDraft
from invoices.services import draft_from_payload
from invoices.status import Status
from tenants.ledger import credits_add
from tests.factories import make_user
from tests.invoice_payloads import CASES, PERSON, payload


def turkish(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tr"
    return client


def post(client, tenant, name: str, body: dict):
    return client.post(reverse(f"portal:invoice-new-{name}", args=[tenant.identifier]), json.dumps(body), content_type="application/json")


def test_the_form_page_offers_gibs_codes_and_the_tenants_customers(client_a, tenant_a, gib_package):
    page = client_a.get(reverse("portal:invoice-new", args=[tenant_a.identifier]))
    assert page.status_code == 200
    data = json.loads(page.content.decode().split('id="form-data" type="application/json">')[1].split("</script>")[0])
    assert ["606", "90"] in data["codes"]["withholdings"] and "351" in data["codes"]["exemptions"][""]
    assert data["codes"]["exemptions"]["IHRACKAYITLI"] == ["701", "702", "703", "704"]
    assert data["codes"]["units"][0] == ["C62", "Adet"] and ["HUR", "Saat"] in data["codes"]["units"]
    assert "0071" in data["codes"]["taxes"] and "0015" not in data["codes"]["taxes"]  # KDV has its own column


DISCOUNTED = payload("TICARIFATURA", allowances=[{"amount": "150.00", "reason": "Kampanya"}], charges=[{"amount": "20", "reason": "Kargo"}])


@pytest.mark.parametrize("case", ["ticari_satis", "temel_tevkifat", "temel_ozelmatrah", "discounted"])
def test_the_totals_are_the_apis(client_a, tenant_a, case):
    data = DISCOUNTED if case == "discounted" else CASES[case]
    shown = post(client_a, tenant_a, "totals", {"payload": data}).json()
    document = draft_from_payload(tenant=tenant_a, data=data).document
    assert Decimal(shown["payable"]) == document.totals.payable
    assert Decimal(shown["tax_inclusive"]) == document.totals.tax_inclusive
    assert [Decimal(a) for a in shown["lines"]] == [line.line_extension for line in document.lines]
    assert shown["errors"] == {}


def test_a_line_being_typed_counts_for_nothing_and_says_why(client_a, tenant_a):
    data = payload(lines=[{"name": "Kumaş", "quantity": "2", "unit": "MTR", "unit_price": "10", "kdv_rate": "20"},
                          {"name": "Yarım", "quantity": "abc", "unit": "C62", "unit_price": "", "kdv_rate": "20"}])
    shown = post(turkish(client_a), tenant_a, "totals", {"payload": data}).json()
    assert (shown["line_extension"], shown["payable"]) == ("20.00", "24.00")
    assert set(shown["errors"]) == {"lines[1].quantity", "lines[1].unit_price"}
    assert shown["errors"]["lines[1].quantity"] == "Geçerli bir numara gerekiyor."  # DRF's own Turkish


def test_errors_come_from_the_apis_checks_beside_their_field_in_turkish(client_a, tenant_a, gib_package):
    bad = payload(customer={"vkn": "1234567891", "name": "X", "address": {"district": "Çankaya", "city": "Ankara"}},
                  lines=[{"name": "Kumaş", "quantity": "-1", "unit": "C62", "unit_price": "10", "kdv_rate": "0"}])
    answer = post(turkish(client_a), tenant_a, "check", {"payload": bad})
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert errors["customer.vkn"].startswith("1234567891 geçerli bir VKN değil")
    assert "lines[0].quantity" in errors and errors["lines[0].quantity"].startswith("Değerin 0")
    assert Invoice.objects.count() == 0


def test_a_valid_invoice_checks_and_shows_its_route(client_a, tenant_a, gib_package):
    answer = post(client_a, tenant_a, "check", {"payload": payload()})
    assert answer.status_code == 200, answer.json()
    assert answer.json() == {"errors": {}, "issues": [], "profile": "TICARIFATURA", "channel": "efatura", "receiver_alias": "urn:mail:pk@b-gida.com.tr"}


def test_the_preview_is_the_invoice_through_its_xslt_sandboxed(client_a, tenant_a, gib_package):
    url = reverse("portal:invoice-new-preview", args=[tenant_a.identifier])
    shown = client_a.post(url, {"payload": json.dumps(payload())})
    assert shown.status_code == 200 and "Pamuklu kumaş" in shown.content.decode()
    assert "sandbox" in shown["Content-Security-Policy"] and shown["X-Frame-Options"] == "SAMEORIGIN"
    refused = client_a.post(url, {"payload": json.dumps(payload(lines=[]))})
    assert refused.status_code == 200 and b"Pamuklu" not in refused.content and "sandbox" in refused["Content-Security-Policy"]


def test_issuing_takes_the_apis_way_and_deletes_its_draft(client_a, tenant_a, gib_package):
    credits_add(tenant=tenant_a, amount=1)  # an e-Fatura invoice needs a credit to be sent with
    saved = post(client_a, tenant_a, "save", {"payload": payload()}).json()
    answer = post(client_a, tenant_a, "issue", {"payload": payload(), "draft": saved["draft"]})
    assert answer.status_code == 200, answer.json()
    invoice = Invoice.objects.get(tenant=tenant_a)
    assert answer.json()["url"] == reverse("portal:invoice", args=[tenant_a.identifier, "out", invoice.uuid])
    assert (invoice.status, invoice.number, invoice.payload["lines"]) == (Status.ISSUED, answer.json()["number"], payload()["lines"])
    assert not SavedDraft.objects.exists()


def test_an_invoice_gib_refuses_is_not_issued(client_a, tenant_a, gib_package):
    answer = post(client_a, tenant_a, "issue", {"payload": payload(lines=[{**payload()["lines"][0], "unit": "ZZZ"}])})
    assert answer.status_code == 422 and answer.json()["issues"] and Invoice.objects.count() == 0


def test_drafts_are_saved_listed_reopened_and_deleted(client_a, tenant_a, gib_package):
    first = post(client_a, tenant_a, "save", {"payload": {"profile": "TICARIFATURA", "customer": {"vkn": "4840847211", "name": "B Gıda"}, "lines": []}}).json()
    again = post(client_a, tenant_a, "save", {"payload": {"profile": "TEMELFATURA", "customer": {"vkn": "4840847211", "name": "B Gıda Ltd."}}, "draft": first["draft"]}).json()
    assert again["draft"] == first["draft"] and SavedDraft.objects.count() == 1
    listed = client_a.get(reverse("portal:drafts", args=[tenant_a.identifier])).content.decode()
    assert "B Gıda Ltd." in listed and f"?draft={first['draft']}" in listed
    reopened = client_a.get(first["url"]).content.decode()
    assert '"profile": "TEMELFATURA"' in reopened
    deleted = client_a.post(reverse("portal:draft-delete", args=[tenant_a.identifier, first["draft"]]))
    assert deleted.status_code == 302 and not SavedDraft.objects.exists()


def test_b_reaches_none_of_as_drafts_by_any_id(client, tenant_a, tenant_b, user_a, user_b, gib_package):
    client.force_login(user_a)
    a_draft = post(client, tenant_a, "save", {"payload": {"customer": {"vkn": "4840847211", "name": "Gizli"}}}).json()["draft"]
    client.force_login(user_b)
    assert client.get(reverse("portal:invoice-new", args=[tenant_b.identifier]) + f"?draft={a_draft}").status_code == 404
    assert client.get(reverse("portal:invoice-new", args=[tenant_a.identifier]) + f"?draft={a_draft}").status_code == 404
    assert post(client, tenant_b, "save", {"payload": {"customer": {"vkn": "1", "name": "B"}}, "draft": a_draft}).status_code == 404
    assert client.post(reverse("portal:draft-delete", args=[tenant_b.identifier, a_draft])).status_code == 404
    assert "Gizli" not in client.get(reverse("portal:drafts", args=[tenant_b.identifier])).content.decode()
    assert SavedDraft.objects.get(id=a_draft).payload["customer"]["name"] == "Gizli"


@pytest.mark.parametrize("role, allowed", [("owner", True), ("accountant", True), ("clerk", True), ("viewer", False)])
def test_who_may_issue(client, tenant_a, role, allowed, gib_package):
    client.force_login(make_user(tenant=tenant_a, role=role))
    pages = [client.get(reverse("portal:invoice-new", args=[tenant_a.identifier])), client.get(reverse("portal:drafts", args=[tenant_a.identifier])),
             post(client, tenant_a, "save", {"payload": {}}), post(client, tenant_a, "issue", {"payload": payload()})]
    if allowed:
        assert pages[0].status_code == pages[1].status_code == pages[2].status_code == 200
    else:
        assert [p.status_code for p in pages] == [403, 403, 403, 403] and not SavedDraft.objects.exists()
    dashboard = client.get(reverse("portal:dashboard", args=[tenant_a.identifier])).content.decode()
    new_invoice = reverse("portal:invoice-new", args=[tenant_a.identifier])
    assert (new_invoice in dashboard) is allowed
    assert (new_invoice in client.get(reverse("portal:invoices", args=[tenant_a.identifier])).content.decode()) is allowed


def test_the_customer_look_up_answers_from_gibs_list_and_the_tenants_invoices(client_a, tenant_a):
    registered = client_a.get(reverse("portal:invoice-new-customer", args=[tenant_a.identifier]), {"id": "4840847211"}).json()
    assert (registered["registered"], registered["postboxes"], registered["title"]) == (True, ["urn:mail:pk@b-gida.com.tr"], "B Gıda Ltd. Şti.")
    Invoice.objects.create(tenant=tenant_a, number="AAA1", profile="EARSIVFATURA", type_code="SATIS", issue_date="2026-01-02", currency="TRY",
                           customer_identifier=PERSON["tckn"], customer_name="Ayşe Yılmaz", tax_amount=0, payable_amount=0,
                           payload={"customer": {**PERSON, "email": "ayse@example.com"}})
    person = client_a.get(reverse("portal:invoice-new-customer", args=[tenant_a.identifier]), {"id": PERSON["tckn"]}).json()
    assert (person["registered"], person["postboxes"], person["previous"]["email"]) == (False, [], "ayse@example.com")
    assert client_a.get(reverse("portal:invoice-new-customer", args=[tenant_a.identifier]), {"id": "123"}).status_code == 400
