"""Cancelling an e-Arşiv invoice and recording a buyer's objection, through the API and the portal:
the invoice stays archived and kept, its number used; a second cancellation and any cancellation of
an e-Fatura are refused with a code a program can act on; a viewer has no buttons."""

from __future__ import annotations

import datetime as dt

import pytest

from archive.models import Document
from earsiv.models import Cancellation, Objection
from earsiv.services import AlreadyCancelled, EfaturaNotCancellable, invoice_cancel, istanbul_today
from invoices.models import Invoice
from invoices.services import invoice_issue
from invoices.status import Status
from tenants.api_keys import api_key_create
from tests.conftest import PASSWORD
from tests.delivery_fixtures import earsiv  # noqa: F401  (fixture)
from tests.earsiv_fixtures import issue, post
from tests.exchange_fixtures import today_payload
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # the pipeline enqueues its tasks when a transaction commits


def cancel_path(invoice: Invoice) -> str:
    return f"/api/v1/invoices/{str(invoice.uuid).upper()}/cancel"


def test_an_earsiv_invoice_is_cancelled_once_and_stays_archived_and_numbered(client, earsiv):
    invoice = issue(client, earsiv)
    sealed = invoice.document_id
    today = istanbul_today()

    response = post(client, earsiv, cancel_path(invoice), {"date": today.isoformat(), "reason": "Müşteri siparişi iptal etti"})

    assert response.status_code == 201, response.content
    assert response.json()["number"] == invoice.number and response.json()["date"] == today.isoformat()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.document_id) == (Status.KEPT, sealed)
    assert Document.objects.filter(id=sealed, kind=Document.Kind.INVOICE_SEALED).exists()
    assert Cancellation.objects.get(invoice=invoice).reason == "Müşteri siparişi iptal etti"

    again = post(client, earsiv, cancel_path(invoice), {"date": today.isoformat(), "reason": "ikinci kez"})
    assert again.status_code == 409 and again.json()["code"] == "already_cancelled"
    assert invoice.number in again.json()["detail"]
    assert Cancellation.objects.filter(invoice=invoice).count() == 1
    with pytest.raises(AlreadyCancelled):
        invoice_cancel(tenant=invoice.tenant, uuid=invoice.uuid, day=today, reason="servisten")
    # The number stays used: the next invoice takes the one after it.
    after = issue(client, earsiv)
    assert int(after.number[-9:]) == int(invoice.number[-9:]) + 1


def test_cancelling_an_efatura_is_refused_naming_the_return_invoice(client, earsiv, tenant_a):
    efatura = invoice_issue(tenant=tenant_a, data=today_payload("TICARIFATURA"))
    assert efatura.channel == Invoice.Channel.EFATURA

    response = post(client, earsiv, cancel_path(efatura), {"date": istanbul_today().isoformat(), "reason": "yanlış"})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "efatura_not_cancellable" and "IADE" in body["detail"]
    turkish = client.post(cancel_path(efatura), {"date": istanbul_today().isoformat(), "reason": "yanlış"}, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Api-Key {earsiv}", HTTP_ACCEPT_LANGUAGE="tr")
    assert "iade" in turkish.json()["detail"].lower() and "e-Fatura" in turkish.json()["detail"]
    with pytest.raises(EfaturaNotCancellable):
        invoice_cancel(tenant=tenant_a, uuid=efatura.uuid, day=istanbul_today(), reason="servisten")
    assert not Cancellation.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"reason": "tarihsiz"}, "date"),
    ({"date": "2026-13-01", "reason": "x"}, "date"),
    ({"date": "TODAY"}, "reason"),
])
def test_a_bad_cancellation_request_names_its_field(client, earsiv, body, field):
    invoice = issue(client, earsiv)
    body = {key: istanbul_today().isoformat() if value == "TODAY" else value for key, value in body.items()}
    response = post(client, earsiv, cancel_path(invoice), body)
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert not Cancellation.objects.exists()


def test_a_cancellation_dated_before_the_invoice_or_after_today_is_refused(client, earsiv):
    invoice = issue(client, earsiv)
    for day in (invoice.issue_date - dt.timedelta(days=1), istanbul_today() + dt.timedelta(days=1)):
        response = post(client, earsiv, cancel_path(invoice), {"date": day.isoformat(), "reason": "erken"})
        assert response.status_code == 400 and response.json()["code"] == "date_out_of_range", response.content
    assert not Cancellation.objects.exists()


def test_another_tenants_invoice_is_not_found(client, earsiv, tenant_b):
    invoice = issue(client, earsiv)
    key_b = api_key_create(tenant=tenant_b, name="erp", scopes=["read", "send"])[1]
    response = post(client, key_b, cancel_path(invoice), {"date": istanbul_today().isoformat(), "reason": "başkasının"})
    assert response.status_code == 404
    objection = post(client, key_b, cancel_path(invoice).replace("cancel", "objections"),
                     {"method": "KEP", "document_number": "K1", "document_date": istanbul_today().isoformat(), "description": "x"})
    assert objection.status_code == 404
    assert not Cancellation.objects.exists() and not Objection.objects.exists()


def test_an_objection_is_recorded_and_listed(client, earsiv):
    invoice = issue(client, earsiv)
    path = cancel_path(invoice).replace("cancel", "objections")
    body = {"method": "NOTER", "document_number": "2026/1234", "document_date": istanbul_today().isoformat(),
            "description": "Fatura tutarına itiraz"}

    created = post(client, earsiv, path, body)

    assert created.status_code == 201, created.content
    listed = client.get(path, HTTP_AUTHORIZATION=f"Api-Key {earsiv}").json()
    assert [(o["method"], o["document_number"]) for o in listed] == [("NOTER", "2026/1234")]
    wrong = post(client, earsiv, path, {**body, "method": "FAKS"})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "method"
    assert Objection.objects.count() == 1


def test_the_portal_cancels_and_records_an_objection_for_a_clerk_and_not_for_a_viewer(client, earsiv, tenant_a):
    from django.test import Client

    invoice = issue(client, earsiv)
    page = f"/t/{tenant_a.identifier}/invoices/out/{invoice.uuid}/"
    viewer = Client()
    viewer.force_login(make_user(tenant=tenant_a, role="viewer", password=PASSWORD))
    seen = viewer.get(page)
    assert seen.status_code == 200 and b"/cancel/" not in seen.content
    assert viewer.post(page + "cancel/", {"day": istanbul_today().isoformat(), "reason": "izinsiz"}).status_code == 403
    assert not Cancellation.objects.exists()

    clerk = Client()
    clerk.force_login(make_user(tenant=tenant_a, role="clerk", password=PASSWORD))
    assert b"/cancel/" in clerk.get(page).content
    done = clerk.post(page + "cancel/", {"day": istanbul_today().isoformat(), "reason": "Sipariş iptal"}, follow=True)
    assert done.status_code == 200 and Cancellation.objects.get(invoice=invoice).created_by.startswith("portal:")
    assert b"/cancel/" not in done.content
    again = clerk.post(page + "cancel/", {"day": istanbul_today().isoformat(), "reason": "tekrar"}, follow=True)
    assert invoice.number.encode() in again.content and Cancellation.objects.count() == 1

    objected = clerk.post(page + "objection/", {"method": "KEP", "document_number": "KEP-77", "document_date": istanbul_today().isoformat(),
                                                "description": "Hizmet alınmadı"}, follow=True)
    assert objected.status_code == 200 and Objection.objects.get(invoice=invoice).document_number == "KEP-77"
    assert "KEP-77" in objected.content.decode()
    listing = clerk.get(f"/t/{tenant_a.identifier}/earsiv/")
    assert listing.status_code == 200 and invoice.number in listing.content.decode()
