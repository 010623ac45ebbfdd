"""The REST API against its own OpenAPI schema: schemathesis generates requests for every operation
(valid and invalid ones: its coverage cases, then Hypothesis's), sends them in-process (WSGI) to the
real application and database, and checks that no answer is a 5xx and that every answer is what the
schema says: a documented status code and content type, and a body of the documented shape.

Tenant A calls with a key of every scope. It holds invoices of both directions and a webhook; the paths
that name one get a known ETTN (or VKN, or webhook id) as often as a generated one, and a few explicit
examples send bodies that pass (an invoice issued, an answer given), so the answers with a body are
exercised as well as the 4xx ones."""

import datetime as dt
import uuid as uuidlib

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from envelopes import packing, sbdh
from envelopes.gib.soap import SendDocument
from envelopes.receiving import envelope_receive
from invoices.documents import invoice_xml
from invoices.services import draft_from_payload, draft_issue
from invoices.steps import invoice_seal, invoice_validate
from signing import xades
from tenants.api_keys import api_key_create
from tenants.webhooks import webhook_create
from tests.envelope_helpers import key_of
from tests.exchange_fixtures import equip, today_payload, trust
from tests.gib import GIB
from tests.invoice_payloads import payload

EXAMPLES = 10  # Hypothesis's per operation, after the explicit examples and schemathesis's coverage cases
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
CONFIG = schemathesis.Config.from_dict({"operations": [
    # An invoice body has ~1150 coverage cases (each field's bounds, types, absence), a minute's run:
    # the two operations that take one get the explicit examples and Hypothesis's cases instead.
    {"include-operation-id-regex": "^invoices_(create|validate)$", "phases": {"coverage": {"enabled": False}}},
]})

# A's invoices: issued, sealed (validated first), invalid (GİB's rules failed); B's to A: one to answer, one not.
ISSUED, SEALED, INVALID = "0A5E5C6B-1F0A-4B7E-9C11-2D3E4F5A6B01", "0A5E5C6B-1F0A-4B7E-9C11-2D3E4F5A6B02", "0A5E5C6B-1F0A-4B7E-9C11-2D3E4F5A6B03"
TICARI_IN, TEMEL_IN = "0A5E5C6B-1F0A-4B7E-9C11-2D3E4F5A6B11", "0A5E5C6B-1F0A-4B7E-9C11-2D3E4F5A6B12"
KNOWN = {
    "uuid": [ISSUED, SEALED, INVALID, TICARI_IN, TEMEL_IN],
    "identifier": ["4840847211", "1234567890", "10000000146"],  # registered users, and a TCKN that is not
}
TO_A = {"vkn": "1234567890", "name": "A Tekstil A.Ş.", "tax_office": "Kadıköy", "address": {"district": "Kadıköy", "city": "İstanbul"}}
B_TO_A = {
    "sender_alias": "urn:mail:gb@b-gida.com.tr", "sender_identifier": "4840847211", "sender_name": "B Gıda Ltd. Şti.",
    "receiver_alias": "urn:mail:pk@a-tekstil.com.tr", "receiver_identifier": "1234567890", "receiver_name": "A Tekstil A.Ş.",
}
# The operations that read or answer the invoices A holds, or what its webhook was told of them.
HOLDING_INVOICES = ("GET /api/v1/invoices", "GET /api/v1/incoming", "POST /api/v1/incoming", "GET /api/v1/webhooks/{webhook_id}/deliveries")
KEY = "Api-Key (the test's)"  # in an explicit example: the running test's key goes there

# No example database (database=None below), and Hypothesis's caches under VAR_DIR, not in the checkout.
set_hypothesis_home_dir(django_settings.VAR_DIR / "hypothesis")

# What the running test made: its key (a new secret each time) and A's webhook.
current: dict = {}

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    known = {**KNOWN, "webhook_id": [current["webhook_id"]]}
    choices = [path_parameters] + [{**path_parameters, name: value}
                                   for name in path_parameters.keys() & known.keys() for value in known[name]]
    return st.sampled_from(choices)


def stale_payload() -> dict:
    """A payload GİB's rules take and ours refuse: dated 30 days ago (our 7-day rule)."""
    return payload(issue_date=(timezone.localdate() - dt.timedelta(days=30)).isoformat())


def explicit_examples(operation) -> list:
    """Bodies that get past the checks a generated one rarely passes, and the answers after them."""
    as_json, as_xml = {"media_type": "application/json"}, {"media_type": "application/xml"}
    examples = {
        "POST /api/v1/invoices": [
            {"body": today_payload(), "headers": {"Idempotency-Key": "order-1"}, **as_json},
            {"body": today_payload(), "headers": {"Idempotency-Key": "order-1"}, **as_json},  # the second a replay
            {"body": stale_payload(), **as_json},  # 422
            {"body": (GIB / "samples/invoices/ubltr-1.2.1/TicariFaturaOrnegi.xml").read_bytes(), **as_xml},  # another supplier's: 422
        ],
        "POST /api/v1/invoices/validate": [{"body": today_payload(), **as_json}, {"body": stale_payload(), **as_json}],
        "POST /api/v1/incoming/{uuid}/response": [  # the first answer is taken, the second refused (409)
            {"path_parameters": {"uuid": TICARI_IN}, "body": {"code": "RED", "reason": "Fiyat hatalı"}, **as_json},
            {"path_parameters": {"uuid": TICARI_IN}, "body": {"code": "KABUL"}, **as_json},
        ],
        "POST /api/v1/webhooks": [{"body": {"url": "https://93.184.215.14/erp", "events": ["invoice.received"]}, **as_json}],
    }.get(operation.label, [])
    return [operation.Case(**{**example, "headers": {"Authorization": KEY, **example.get("headers", {})}}) for example in examples]


@schema.hook
def before_add_examples(context, examples):
    examples.extend(explicit_examples(context.operation))


def issued(tenant, data: dict, ettn: str):
    """An invoice issued by the services from *data*, with the ETTN *ettn* (as an ERP's XML may carry)."""
    draft = draft_from_payload(tenant=tenant, data=data)
    draft.document.uuid = ettn
    return draft_issue(tenant=tenant, draft=draft)


def outgoing(tenant) -> None:
    issued(tenant, today_payload("TEMELFATURA"), ISSUED)
    sealed = issued(tenant, today_payload("TICARIFATURA"), SEALED)
    invoice_validate(invoice_id=sealed.id)
    invoice_seal(invoice_id=sealed.id)
    invoice_validate(invoice_id=issued(tenant, stale_payload(), INVALID).id)


def incoming(tenant_b, seal_b, root) -> None:
    """B's invoices to A, sealed and pushed to A's postbox as GİB pushes them."""
    key = key_of(seal_b, root)
    made = [issued(tenant_b, today_payload(profile, customer=TO_A), ettn) for profile, ettn in (("TICARIFATURA", TICARI_IN), ("TEMELFATURA", TEMEL_IN))]
    envelope_id = str(uuidlib.uuid4())
    xml = sbdh.sender_envelope(**B_TO_A, documents=[xades.sign(invoice_xml(invoice), key) for invoice in made], uuid=envelope_id, created=timezone.now())
    packed = packing.pack(xml, envelope_id)
    envelope_receive(request=SendDocument(file_name=packed.file_name, data=packed.data, hash=packed.md5_hex))


@pytest.fixture
def tenant_a_at_work(request, settings, tmp_path, gib_package, test_root, seal_a, seal_b, tenant_a, tenant_b):
    settings.API_RATE = "100000/min"  # the run's calls are not what throttling is for
    webhook, _secret = webhook_create(tenant=tenant_a, url="https://93.184.215.14/hook")
    if request.node.operation_label.startswith(HOLDING_INVOICES):  # the others need none (half a second each)
        trust(settings, tmp_path, test_root)
        equip(tenant_a, seal_a, test_root)  # A seals its answers
        outgoing(tenant_a)
        incoming(tenant_b, seal_b, test_root)
    raw = api_key_create(tenant=tenant_a, name="schemathesis", scopes=["read", "send", "respond"])[1]
    current.update(authorization=f"Api-Key {raw}", webhook_id=webhook.id)
    # As Django's test client does: a request must not close the test's connection (and with it the
    # transaction the test's data lives in).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)
        current.clear()


@schema.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
def test_every_operation_answers_as_its_schema_says(case, tenant_a_at_work):
    # The key is made per test, after the cases are planned: a case that carries one carries A's.
    if case.headers and "Authorization" in case.headers:
        case.headers["Authorization"] = current["authorization"]
    case.call_and_validate(checks=CHECKS)


def test_an_invalid_invoice_is_read_with_its_errors_in_the_callers_language(client, tenant_a, gib_package):
    """The run's first finding: the errors are stored in both languages, without "message" (a 500)."""
    invoice_validate(invoice_id=issued(tenant_a, stale_payload(), INVALID).id)
    raw = api_key_create(tenant=tenant_a, name="erp", scopes=["read"])[1]
    for language in ("en", "tr"):
        response = client.get(f"/api/v1/invoices/{INVALID}", HTTP_AUTHORIZATION=f"Api-Key {raw}", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == "invalid" and any(e["layer"] == "platform" for e in body["errors"])
        assert all(e["message"] == e[f"message_{language}"] and set(e) == {"layer", "rule", "message", "message_tr", "message_en", "xpath", "line"}
                   for e in body["errors"])
