"""The REST API for ERPs: issuing invoices (JSON and UBL-TR XML), idempotency, reading them back,
isolation between tenants, scopes, and problem details for every bad request."""

import datetime as dt
import json
import uuid as uuidlib

import pytest
from django.utils import timezone
from lxml import etree

from archive.models import ApiCall
from invoices.models import Invoice
from invoices.services import invoice_issue
from invoices.status import Status
from tenants.api_keys import api_key_create, api_key_revoke
from tenants.ledger import credits_add
from tenants.models import NumberSeries
from tenants.numbering import series_create
from tests.concurrency import run_concurrently
from tests.exchange_fixtures import today_payload
from tests.gib import GIB
from tests.invoice_payloads import PERSON, payload
from ubl.names import cac, cbc

INVOICES = "/api/v1/invoices"
TO_A = {"vkn": "1234567890", "name": "A Tekstil A.Ş.", "tax_office": "Kadıköy", "address": {"district": "Kadıköy", "city": "İstanbul"}}
TICARI_SAMPLE = GIB / "samples" / "invoices" / "ubltr-1.2.1" / "TicariFaturaOrnegi.xml"
UBL = {"inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2", "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}


def key(tenant, *scopes: str) -> str:
    return api_key_create(tenant=tenant, name="erp", scopes=list(scopes or ("read", "send", "respond")))[1]


def auth(raw: str, **headers) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}", **headers}


def post_json(client, raw: str, data, path: str = INVOICES, **headers):
    body = data if isinstance(data, (str, bytes)) else json.dumps(data)
    return client.post(path, body, content_type="application/json", **auth(raw, **headers))


def is_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code and body["detail"]
    return body


@pytest.fixture
def key_a(tenant_a, gib_package):
    credits_add(tenant=tenant_a, amount=100)  # an e-Fatura invoice is refused without a credit to send it with
    return key(tenant_a)


@pytest.fixture
def key_b(tenant_b, gib_package):
    credits_add(tenant=tenant_b, amount=100)
    return key(tenant_b)


# --- issuing -----------------------------------------------------------------------------------


def test_a_json_invoice_is_issued_and_read_back(client, tenant_a, key_a):
    response = post_json(client, key_a, today_payload("TICARIFATURA"))
    assert response.status_code == 201, response.content
    created = response.json()
    invoice = Invoice.objects.get(tenant=tenant_a, uuid=created["uuid"])
    assert response["Location"] == f"{INVOICES}/{created['uuid']}" == f"{INVOICES}/{str(invoice.uuid).upper()}"
    assert (created["number"], created["status"], created["channel"]) == (invoice.number, Status.ISSUED, "efatura")
    assert created["receiver_alias"] == "urn:mail:pk@b-gida.com.tr" and created["routing_reason"] == "default_alias"
    assert created["history"][0]["status"] == Status.ISSUED and created["links"]["xml"].endswith("/xml")

    read = client.get(response["Location"], **auth(key_a))
    assert read.status_code == 200 and read.json()["number"] == invoice.number
    xml = client.get(created["links"]["xml"], **auth(key_a))
    assert xml["Content-Type"] == "application/xml"
    assert etree.fromstring(xml.content).findtext("cbc:ID", namespaces=UBL) == invoice.number


def test_a_customer_not_on_the_list_gets_e_arsiv(client, tenant_a, key_a, gib_package):
    series_create(tenant=tenant_a, prefix="EAR", kind=NumberSeries.Kind.EARSIV, is_default=True)
    response = post_json(client, key_a, today_payload("TEMELFATURA", customer=PERSON))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["profile"], body["channel"], body["routing_reason"]) == ("EARSIVFATURA", "earsiv", "not_registered")
    assert body["number"].startswith("EAR")


def test_ubl_xml_is_issued_with_our_number_and_its_own_ettn(client, tenant_a, key_a):
    ettn = str(uuidlib.uuid4()).upper()
    root = etree.fromstring(bytes(invoice_issue(tenant=tenant_a, data=today_payload()).xml))
    root.find("cbc:UUID", UBL).text = ettn
    root.find("cbc:ID", UBL).text = "ERP2026000000777"
    response = client.post(INVOICES, etree.tostring(root, xml_declaration=True, encoding="UTF-8"), content_type="application/xml", **auth(key_a))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["uuid"] == ettn and body["number"] != "ERP2026000000777" and body["number"].startswith("AAA")
    again = client.post(INVOICES, etree.tostring(root), content_type="application/xml", **auth(key_a))
    is_problem(again, 409, "duplicate_ettn")


def test_an_xml_invoice_of_another_supplier_is_refused(client, key_a):
    response = client.post(INVOICES, TICARI_SAMPLE.read_bytes(), content_type="application/xml", **auth(key_a))
    assert is_problem(response, 422, "supplier_mismatch")
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize("profile, type_, field", [
    ("TICARIFATURA", "IADE", "profile"),  # GİB allows IADE as TEMELFATURA, EARSIVFATURA and three others, never TICARIFATURA
    ("TEMELFATURA", "TEVKIFAT", "lines"),  # a TEVKIFAT invoice with no withholding
])
def test_gibs_profile_and_type_rules_refuse_json_and_xml_alike(client, tenant_a, key_a, profile, type_, field):
    # The XML: a valid invoice of the tenant's, turned into what the rule refuses.
    root = etree.fromstring(bytes(invoice_issue(tenant=tenant_a, data=today_payload("TEMELFATURA")).xml))
    root.find("cbc:ProfileID", UBL).text, root.find("cbc:InvoiceTypeCode", UBL).text = profile, type_
    if type_ == "IADE":
        reference = etree.SubElement(etree.SubElement(root, cac("BillingReference")), cac("InvoiceDocumentReference"))
        etree.SubElement(reference, cbc("ID")).text = "AAA2026000000001"
    before = Invoice.objects.count()
    as_xml = client.post(INVOICES, etree.tostring(root), content_type="application/xml", HTTP_ACCEPT_LANGUAGE="en", **auth(key_a))
    returns = [{"id": "AAA2026000000001", "issue_date": timezone.localdate().isoformat()}] if type_ == "IADE" else []
    as_json = post_json(client, key_a, today_payload(profile, type_=type_, returns=returns), HTTP_ACCEPT_LANGUAGE="en")

    errors = [[(e["field"], e["message"]) for e in is_problem(answer, 400, "payload_invalid")["errors"]] for answer in (as_xml, as_json)]
    assert errors[0] == errors[1] and [f for f, _message in errors[0]] == [field]
    assert Invoice.objects.count() == before


def test_an_invalid_invoice_is_422_with_gib_rules_and_takes_no_number(client, tenant_a, key_a):
    before = Invoice.objects.count()
    stale = payload(issue_date=(timezone.localdate() - dt.timedelta(days=30)).isoformat())  # our 7-day rule
    body = is_problem(post_json(client, key_a, stale, HTTP_ACCEPT_LANGUAGE="en"), 422, "invoice_invalid")
    assert body["errors"] and all({"layer", "rule", "message", "xpath"} <= set(e) for e in body["errors"])
    assert any(e["layer"] == "platform" for e in body["errors"])
    assert Invoice.objects.count() == before
    assert client.post(INVOICES, json.dumps(today_payload()), content_type="application/json", **auth(key_a)).json()["number"].endswith("000000001")


def test_validate_reports_without_issuing(client, key_a):
    ok = post_json(client, key_a, today_payload(), path=f"{INVOICES}/validate")
    assert ok.status_code == 200 and ok.json()["valid"] is True and ok.json()["errors"] == []
    stale = payload(issue_date=(timezone.localdate() - dt.timedelta(days=30)).isoformat())
    bad = post_json(client, key_a, stale, path=f"{INVOICES}/validate").json()
    assert bad["valid"] is False and bad["errors"][0]["rule"]
    assert Invoice.objects.count() == 0


# --- idempotency -------------------------------------------------------------------------------


def test_the_same_idempotency_key_and_body_return_the_same_invoice(client, key_a):
    data = today_payload()
    first = post_json(client, key_a, data, HTTP_IDEMPOTENCY_KEY="order-42")
    second = post_json(client, key_a, data, HTTP_IDEMPOTENCY_KEY="order-42")
    assert first.status_code == second.status_code == 201
    assert first.json()["uuid"] == second.json()["uuid"] and second["Idempotent-Replayed"] == "true"
    assert Invoice.objects.count() == 1
    other = post_json(client, key_a, today_payload(notes=["another"]), HTTP_IDEMPOTENCY_KEY="order-42")
    is_problem(other, 409, "idempotency_key_reused")
    assert post_json(client, key_a, data, HTTP_IDEMPOTENCY_KEY="order-43").json()["uuid"] != first.json()["uuid"]


def test_idempotency_keys_are_per_tenant(client, key_a, key_b):
    a = post_json(client, key_a, today_payload(), HTTP_IDEMPOTENCY_KEY="k1")
    b = post_json(client, key_b, today_payload(customer=TO_A), HTTP_IDEMPOTENCY_KEY="k1")
    assert a.status_code == b.status_code == 201 and a.json()["uuid"] != b.json()["uuid"]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_replays_make_one_invoice(gib_package, tenant_a):
    from django.test import Client

    credits_add(tenant=tenant_a, amount=1)
    raw, body = key(tenant_a), json.dumps(today_payload())

    def replay():
        response = Client().post(INVOICES, body, content_type="application/json", **auth(raw, HTTP_IDEMPOTENCY_KEY="same"))
        return response.status_code, response.json()["uuid"]

    results, errors = run_concurrently(replay, 20)
    assert not errors, errors
    assert {status for status, _ in results} == {201} and len({ettn for _, ettn in results}) == 1
    assert Invoice.objects.filter(tenant=tenant_a).count() == 1


# --- who may do what ----------------------------------------------------------------------------


def test_another_tenants_key_finds_nothing_of_a(client, tenant_a, tenant_b, key_a, key_b):
    ours = post_json(client, key_a, today_payload()).json()["uuid"]
    incoming = invoice_issue(tenant=tenant_b, data=today_payload(customer=TO_A))
    Invoice.objects.filter(id=incoming.id).update(tenant=tenant_a, direction=Invoice.Direction.INCOMING, status=Status.RECEIVED, received_at=timezone.now())
    theirs = str(incoming.uuid)
    for path in (f"{INVOICES}/{ours}", f"{INVOICES}/{ours}/xml", f"{INVOICES}/{ours}/html",
                 f"/api/v1/incoming/{theirs}", f"/api/v1/incoming/{theirs}/xml", f"/api/v1/incoming/{theirs}/html"):
        assert client.get(path, **auth(key_a)).status_code == 200, path
        is_problem(client.get(path, **auth(key_b)), 404, "not_found")
    is_problem(post_json(client, key_b, {"code": "KABUL"}, path=f"/api/v1/incoming/{theirs}/response"), 404, "not_found")
    assert ours not in json.dumps(client.get(INVOICES, **auth(key_b)).json())
    assert theirs not in json.dumps(client.get("/api/v1/incoming", **auth(key_b)).json())


def test_a_key_without_the_send_scope_cannot_send(client, tenant_a, gib_package):
    reader = key(tenant_a, "read")
    body = is_problem(post_json(client, reader, today_payload()), 403, "forbidden")
    assert "send" in body["detail"]
    assert client.get(INVOICES, **auth(reader)).status_code == 200
    is_problem(post_json(client, key(tenant_a, "send"), {"code": "KABUL"}, path=f"/api/v1/incoming/{uuidlib.uuid4()}/response"), 403, "forbidden")
    assert Invoice.objects.count() == 0


def test_revoked_and_expired_keys_get_401(client, tenant_a, gib_package):
    revoked_key, revoked = api_key_create(tenant=tenant_a, name="old", scopes=["read"])
    api_key_revoke(api_key=revoked_key)
    expiring_key, expiring = api_key_create(tenant=tenant_a, name="soon", scopes=["read"], expires_at=timezone.now() + dt.timedelta(minutes=1))
    type(expiring_key).objects.filter(pk=expiring_key.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    for raw in (revoked, expiring, "itk_00000000.nothing"):
        response = client.get(INVOICES, **auth(raw))
        is_problem(response, 401, "unauthorized")
        assert response["WWW-Authenticate"] == "Api-Key"
    is_problem(client.get(INVOICES), 401, "unauthorized")


# --- bad input -----------------------------------------------------------------------------------


def test_malformed_json_is_400(client, key_a):
    is_problem(post_json(client, key_a, '{"profile": "TICARIFATURA",'), 400, "malformed")


def test_wrong_types_and_unknown_profile_name_their_fields(client, key_a):
    data = today_payload()
    data["profile"] = "NOSUCHPROFILE"
    data["lines"][0]["quantity"] = "many"
    body = is_problem(post_json(client, key_a, data), 400, "payload_invalid")
    fields = {e["field"] for e in body["errors"]}
    assert {"profile", "lines[0].quantity"} <= fields
    assert is_problem(post_json(client, key_a, [1, 2]), 400, "payload_invalid")["errors"]


@pytest.mark.parametrize("body,reason", [
    (b"not xml at all", "not well-formed"),
    (b'<?xml version="1.0"?><Order xmlns="urn:x"/>', "the root element is Order, not Invoice"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>', "DOCTYPE"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "DOCTYPE"),
])
def test_xml_that_is_not_ubl_is_400(client, key_a, body, reason):
    problem = is_problem(client.post(INVOICES, body, content_type="application/xml", **auth(key_a, HTTP_ACCEPT_LANGUAGE="en")), 400, "not_ubl")
    assert reason in problem["detail"]
    assert "root:" not in problem["detail"]  # nothing of /etc/passwd


def test_a_huge_body_is_413_unread(client, key_a, settings):
    settings.API_MAX_BODY_BYTES = 100_000
    problem = is_problem(client.post(INVOICES, b"<" + b"x" * 200_000, content_type="application/xml", **auth(key_a)), 413, "too_large")
    assert "100000" in problem["detail"]


def test_an_unsupported_media_type_is_415(client, key_a):
    is_problem(client.post(INVOICES, "a=b", content_type="application/x-www-form-urlencoded", **auth(key_a)), 415, "unsupported_media_type")


def test_problems_speak_the_callers_language(client, key_a):
    english = client.get(INVOICES, HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    turkish = client.get(INVOICES, HTTP_ACCEPT_LANGUAGE="tr").json()["detail"]
    assert english == "Authentication credentials were not provided." and turkish != english


def test_an_unknown_api_path_is_a_problem(client, key_a):
    is_problem(client.get("/api/v1/nothing-here", **auth(key_a)), 404, "not_found")
    is_problem(client.get(f"{INVOICES}/not-a-uuid", **auth(key_a)), 404, "not_found")


# --- lists ---------------------------------------------------------------------------------------


def test_lists_filter_and_page_by_cursor(client, tenant_a, key_a):
    made = [invoice_issue(tenant=tenant_a, data=today_payload(profile)) for profile in ("TICARIFATURA", "TEMELFATURA", "TICARIFATURA")]
    Invoice.objects.filter(id=made[0].id).update(status=Status.INVALID)
    page = client.get(INVOICES, {"page_size": 2}, **auth(key_a)).json()
    assert len(page["results"]) == 2 and page["next"] and page["results"][0]["uuid"] == made[2].uuid
    rest = client.get(page["next"], **auth(key_a)).json()
    assert [r["uuid"] for r in rest["results"]] == [made[0].uuid] and rest["next"] is None
    temel = client.get(INVOICES, {"profile": "TEMELFATURA"}, **auth(key_a)).json()["results"]
    assert [r["uuid"] for r in temel] == [made[1].uuid]
    invalid = client.get(f"{INVOICES}?status=invalid&status=sealed", **auth(key_a)).json()["results"]
    assert [r["uuid"] for r in invalid] == [made[0].uuid]
    assert client.get(INVOICES, {"customer": "9999999999"}, **auth(key_a)).json()["results"] == []
    today = timezone.localdate()
    assert len(client.get(INVOICES, {"issued_from": today.isoformat(), "issued_to": today.isoformat()}, **auth(key_a)).json()["results"]) == 3
    assert client.get(INVOICES, {"issued_from": (today + dt.timedelta(days=1)).isoformat()}, **auth(key_a)).json()["results"] == []
    body = is_problem(client.get(INVOICES, {"status": "nonsense", "issued_from": "yesterday"}, **auth(key_a)), 400, "invalid")
    assert {e["field"] for e in body["errors"]} == {"status", "issued_from"}


# --- recipients ----------------------------------------------------------------------------------


def test_recipients_say_who_is_a_registered_user(client, key_a):
    registered = client.get("/api/v1/recipients/4840847211", **auth(key_a)).json()
    assert registered["registered"] is True and registered["title"] == "B Gıda Ltd. Şti."
    assert {(a["kind"], a["name"]) for a in registered["aliases"]} == {("GB", "urn:mail:gb@b-gida.com.tr"), ("PK", "urn:mail:pk@b-gida.com.tr")}
    stranger = client.get("/api/v1/recipients/10000000146", **auth(key_a)).json()
    assert stranger["registered"] is False and stranger["aliases"] == []
    is_problem(client.get("/api/v1/recipients/1234567891", **auth(key_a)), 400, "identifier_invalid")


# --- audit and throttling ------------------------------------------------------------------------


def test_every_call_is_audited_without_its_secret(client, tenant_a, key_a):
    client.get(INVOICES, {"profile": "KAMU"}, **auth(key_a))
    post_json(client, key_a, "{", HTTP_IDEMPOTENCY_KEY="k-9")
    client.get(INVOICES, **auth("itk_deadbeef.secretpart"))
    calls = list(ApiCall.objects.order_by("id"))
    prefix = key_a.partition(".")[0]
    assert [(c.method, c.status_code, c.key_prefix) for c in calls] == [("GET", 200, prefix), ("POST", 400, prefix), ("GET", 401, "itk_deadbeef")]
    assert calls[0].tenant == tenant_a and calls[0].query == "profile=KAMU" and calls[1].problem == "malformed"
    assert calls[1].idempotency_key == "k-9" and calls[2].tenant is None
    assert not any(key_a.partition(".")[2] in str(vars(c)) or "secretpart" in str(vars(c)) for c in calls)


def test_calls_beyond_a_keys_rate_get_429(client, tenant_a, key_a, settings):
    settings.API_RATE = "3/min"
    assert [client.get(INVOICES, **auth(key_a)).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(INVOICES, **auth(key_a))
    is_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert client.get(INVOICES, **auth(key(tenant_a, "read"))).status_code == 200  # per key


def test_the_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/invoices", "/api/v1/invoices/{uuid}", "/api/v1/incoming/{uuid}/response", "/api/v1/recipients/{identifier}"} <= set(paths)
    assert "application/xml" in paths["/api/v1/invoices"]["post"]["requestBody"]["content"]
    assert client.get("/api/docs/").status_code == 200
