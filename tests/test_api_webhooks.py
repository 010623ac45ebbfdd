"""Webhooks through the API: an ERP registers its URL, gets the secret once, and is told of its
invoices' status changes, signed as documented; it reads the delivery log; others see none of it."""

import hashlib
import hmac
import json

import pytest

from tenants.api_keys import api_key_create
from tenants.ledger import credits_add
from tests.exchange_fixtures import eager, today_payload
from tests.test_webhooks import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def server(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    receiver = Receiver()
    yield receiver
    receiver.close()


def caller(client, tenant, *scopes):
    raw = api_key_create(tenant=tenant, name="erp", scopes=list(scopes or ("read", "send")))[1]

    def call(method: str, path: str, data=None):
        kwargs = {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}
        if data is not None:
            kwargs |= {"data": json.dumps(data), "content_type": "application/json"}
        return getattr(client, method)(f"/api/v1/{path}", **kwargs)

    return call


def test_a_registered_webhook_hears_of_an_invoice_posted_through_the_api(client, server, tenant_a, tenant_b, gib_package):
    a, b = caller(client, tenant_a), caller(client, tenant_b)
    created = a("post", "webhooks", {"url": server.url, "events": ["invoice.status_changed"]})
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    secret, webhook_id = created.json()["secret"], created.json()["id"]
    assert "secret" not in a("get", "webhooks").json()[0]

    credits_add(tenant=tenant_a, amount=10)  # an e-Fatura invoice is refused without a credit to send it with
    with eager():
        invoice = a("post", "invoices", today_payload()).json()
    bodies = [json.loads(body) for _path, _headers, body in server.requests]
    assert bodies and all(b["type"] == "invoice.status_changed" and b["data"]["uuid"] == invoice["uuid"] for b in bodies)
    _path, headers, body = server.requests[0]
    expected = hmac.new(secret.encode(), headers["Webhook-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["Webhook-Signature"] == f"v1={expected}"

    log = a("get", f"webhooks/{webhook_id}/deliveries").json()["results"]
    assert log and log[-1]["state"] == "delivered" and log[-1]["attempts"][0]["status_code"] == 200
    assert b("get", f"webhooks/{webhook_id}/deliveries").status_code == 404
    assert b("delete", f"webhooks/{webhook_id}").status_code == 404
    assert b("get", "webhooks").json() == []
    assert a("delete", f"webhooks/{webhook_id}").status_code == 204
    assert a("get", "webhooks").json() == []


def test_a_bad_webhook_is_a_problem_and_a_read_key_cannot_make_one(client, settings, tenant_a):
    a = caller(client, tenant_a)
    settings.WEBHOOK_ALLOW_PRIVATE = False
    private = a("post", "webhooks", {"url": "http://127.0.0.1:9/hook"})
    assert private.status_code == 400 and private["Content-Type"] == "application/problem+json"
    assert private.json()["errors"][0]["code"] == "webhook_url_private"
    assert a("post", "webhooks", {"url": "https://example.com/h", "events": ["nope"]}).json()["errors"][0]["field"] == "events[0]"
    assert caller(client, tenant_a, "read")("post", "webhooks", {"url": "https://example.com/h"}).status_code == 403
