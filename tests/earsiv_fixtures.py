"""e-Arşiv under test: tenant A's invoices issued through the API and sealed in-process (the
``earsiv`` fixture of tests.delivery_fixtures), to a person with no address to deliver to."""

from __future__ import annotations

import json
import shutil
import subprocess

from invoices.models import Invoice
from invoices.status import Status
from signing import pki
from tests.clock import NOW
from tests.exchange_fixtures import today_payload
from tests.gib import GIB
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


def xmllint_schema(xml: bytes, tmp_path) -> subprocess.CompletedProcess:
    """Debian's xmllint, an independent validator, on the report against GİB's EArsiv.xsd."""
    assert shutil.which("xmllint"), "the tests need Debian's libxml2-utils (make test installs it)"
    path = tmp_path / "report.xml"
    path.write_bytes(xml)
    return subprocess.run(["xmllint", "--noout", "--nonet", "--schema", str(GIB / "earsiv" / "EArsiv.xsd"), str(path)],
                          capture_output=True, text=True)


def xmlsec1_verify(xml: bytes, root: pki.Issued, tmp_path, name: str = "report.xml") -> subprocess.CompletedProcess:
    """Debian's xmlsec1, an independent XMLDSig implementation, on the signed report (trusting *root*)."""
    assert shutil.which("xmlsec1"), "the tests need Debian's xmlsec1 (make test installs it)"
    (tmp_path / name).write_bytes(xml)
    (tmp_path / "root.pem").write_bytes(pki.pem(root.certificate))
    return subprocess.run(["xmlsec1", "--verify", "--trusted-pem", str(tmp_path / "root.pem"), "--id-attr:Id", "SignedProperties",
                           "--id-attr:Id", "KeyInfo", "--verification-gmt-time", f"{NOW:%Y-%m-%d %H:%M:%S}", str(tmp_path / name)],
                          capture_output=True, text=True)
