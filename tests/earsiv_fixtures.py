"""e-Arşiv under test: tenant A's invoices issued through the API and sealed in-process (the
``earsiv`` fixture of tests.delivery_fixtures), to a person with no address to deliver to."""

from __future__ import annotations

import json

from invoices.models import Invoice
from invoices.status import Status
from tests.exchange_fixtures import today_payload
from tests.invoice_payloads import PERSON

INVOICES = "/api/v1/invoices"


def auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def issue(client, key: str, type_: str = "SATIS", **extra) -> Invoice:
    """An e-Arşiv invoice issued through the API and sealed (KEPT), as an ERP does."""
    body = today_payload("EARSIVFATURA", type_=type_, customer=extra.pop("customer", PERSON), **extra)
    response = client.post(INVOICES, json.dumps(body), content_type="application/json", **auth(key))
    assert response.status_code == 201, response.content
    invoice = Invoice.objects.get(uuid=response.json()["uuid"], direction=Invoice.Direction.OUTGOING)
    assert invoice.status == Status.KEPT, list(invoice.status_changes.values_list("to_status", "text"))
    return invoice


def post(client, key: str, path: str, body: dict):
    return client.post(path, json.dumps(body), content_type="application/json", **auth(key))
