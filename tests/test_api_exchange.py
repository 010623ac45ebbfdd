"""An ERP's whole day through the API: A's ERP posts invoices, they travel through the local GİB
hub to B, B's ERP finds them in its inbox and answers, A's ERP reads the 1300 and the answer."""

import json

import pytest

from tenants.api_keys import api_key_create
from tests.exchange_fixtures import exchange, poll_all, today_payload  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def api(client, tenant):
    raw = api_key_create(tenant=tenant, name="erp", scopes=["read", "send", "respond"])[1]

    def call(method: str, path: str, data=None):
        kwargs = {"HTTP_AUTHORIZATION": f"Api-Key {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}
        if data is not None:
            kwargs |= {"data": json.dumps(data), "content_type": "application/json"}
        return getattr(client, method)(f"/api/v1/{path}", **kwargs)

    return call


def test_a_posts_b_answers_through_the_api(exchange, client, tenant_a, tenant_b):
    a, b = api(client, tenant_a), api(client, tenant_b)
    temel = a("post", "invoices", today_payload("TEMELFATURA")).json()
    ticari = a("post", "invoices", today_payload("TICARIFATURA")).json()
    poll_all()
    sent = a("get", f"invoices/{ticari['uuid']}").json()
    assert (sent["status"], sent["gib_code"], sent["envelope"]) == ("delivered", 1300, sent["envelope"])
    assert [h["status"] for h in sent["history"]] == ["issued", "valid", "sealed", "queued", "sent", "delivered"]
    assert sent["history"][-1]["code"] == "1300"

    inbox = b("get", "incoming?awaiting_answer=true").json()["results"]
    assert [i["uuid"] for i in inbox] == [ticari["uuid"]]  # the TEMELFATURA takes no answer
    received = b("get", f"incoming/{ticari['uuid']}").json()
    assert received["answerable"] is True and received["answer_deadline"] and received["supplier"]["identifier"] == tenant_a.identifier
    assert b("get", f"incoming/{ticari['uuid']}/xml").content == a("get", f"invoices/{ticari['uuid']}/xml").content
    html = b("get", f"incoming/{ticari['uuid']}/html")
    assert html.status_code == 200 and ticari["number"].encode() in html.content

    refused = b("post", f"incoming/{temel['uuid']}/response", {"code": "KABUL"})
    assert refused.status_code == 409 and refused.json()["code"] == "answer_refused"
    assert b("post", f"incoming/{ticari['uuid']}/response", {"code": "RED"}).json()["errors"][0]["field"] == "reason"
    answered = b("post", f"incoming/{ticari['uuid']}/response", {"code": "RED", "reason": "Fiyat hatalı"})
    assert answered.status_code == 200 and answered.json()["status"] == "rejected" and answered.json()["answerable"] is False
    again = b("post", f"incoming/{ticari['uuid']}/response", {"code": "KABUL"})
    assert again.status_code == 409

    ours = a("get", f"invoices/{ticari['uuid']}").json()
    assert ours["status"] == "rejected" and ours["answer"]["code"] == "RED" and ours["answer"]["reason"] == "Fiyat hatalı"
