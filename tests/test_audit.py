"""The audit of people and programs: each view, download, answer and export of a tenant's documents
is an event naming who (the person, or the API key), what, which document and from where; operators
search them in the admin beside the API-call log."""

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from archive.models import Event
from exports.services import export_build, export_request
from invoices.models import Invoice
from tests.test_api_invoices import auth, key
from tests.test_exports import END, START
from tests.test_search import invoice


def test_what_a_person_sees_and_takes_is_recorded(client_a, user_a, tenant_a):
    row = invoice(tenant_a, "AAA2026000000001", name="Şişli Gıda")
    Invoice.objects.filter(id=row.id).update(xml=b"<Invoice>AAA2026000000001</Invoice>")
    url = reverse("portal:invoice", args=[tenant_a.identifier, row.direction, row.uuid])
    assert client_a.get(url).status_code == 200
    assert client_a.get(url + "xml/").status_code == 200
    events = list(Event.objects.order_by("id"))
    assert [(e.action, e.user, e.api_key, e.subject_type, e.subject_ref, e.detail) for e in events] == [
        (Event.Action.VIEWED, user_a, None, "invoice", str(row.uuid), "AAA2026000000001"),
        (Event.Action.DOWNLOADED, user_a, None, "invoice", str(row.uuid), "AAA2026000000001 XML"),
    ]
    assert all(e.tenant == tenant_a and e.client_ip == "127.0.0.1" for e in events)


def test_what_a_program_takes_is_recorded_with_its_key(client, tenant_a):
    row = invoice(tenant_a, "AAA2026000000001", name="Şişli Gıda")
    Invoice.objects.filter(id=row.id).update(xml=b"<Invoice>AAA2026000000001</Invoice>")
    raw = key(tenant_a, "read")
    assert client.get(f"/api/v1/invoices/{row.uuid}/xml", **auth(raw)).status_code == 200
    [event] = Event.objects.all()
    assert (event.action, event.user, event.api_key.prefix, event.subject_ref) == (Event.Action.DOWNLOADED, None, raw[:len(event.api_key.prefix)], str(row.uuid))


def test_exports_asked_and_downloaded_are_recorded(client_a, user_a, tenant_a, django_capture_on_commit_callbacks):
    from tests.exchange_fixtures import eager

    url = reverse("portal:exports", args=[tenant_a.identifier])
    with eager(), django_capture_on_commit_callbacks(execute=True):
        client_a.post(url, {"period_from": START.isoformat(), "period_to": END.isoformat()})
    [export] = tenant_a.exports.all()
    client_a.get(reverse("portal:export-download", args=[tenant_a.identifier, export.id]))
    assert list(Event.objects.order_by("id").values_list("action", "subject_type", "subject_ref", "detail")) == [
        (Event.Action.EXPORTED, "export", str(export.id), f"{START.isoformat()}…{END.isoformat()}"),
        (Event.Action.EXPORT_DOWNLOADED, "export", str(export.id), f"{START.isoformat()}…{END.isoformat()}"),
    ]


def test_a_refused_look_is_no_event(client_b, tenant_a):
    row = invoice(tenant_a, "AAA2026000000001", name="Şişli Gıda")
    assert client_b.get(reverse("portal:invoice", args=[tenant_a.identifier, row.direction, row.uuid])).status_code == 404
    export = export_build(export_id=export_request(tenant=tenant_a, period_from=START, period_to=END, via="operator").id)
    assert client_b.get(reverse("portal:export-download", args=[tenant_a.identifier, export.id])).status_code == 404
    assert not Event.objects.exists()


def test_operators_search_the_events_and_the_api_calls(client_a, user_a, tenant_a, tenant_b, db):
    row = invoice(tenant_a, "AAA2026000000001", name="Şişli Gıda")
    client_a.get(reverse("portal:invoice", args=[tenant_a.identifier, row.direction, row.uuid]))
    operator = Client()
    operator.force_login(get_user_model().objects.create_superuser("operator", password="x"))
    found = operator.get(reverse("admin:archive_event_changelist"), {"q": str(row.uuid)})
    assert found.status_code == 200 and "AAA2026000000001" in found.content.decode()
    assert "AAA2026000000001" not in operator.get(reverse("admin:archive_event_changelist"), {"q": tenant_b.identifier}).content.decode()
    assert operator.get(reverse("admin:archive_apicall_changelist"), {"q": tenant_a.identifier}).status_code == 200
