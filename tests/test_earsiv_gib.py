"""e-Arşiv reports through the local GİB hub over real HTTP (pytest-django's live server): the client
signs each call (WS-Security, checked by the hub and by xmlsec1), sends the zipped report, polls it
to done; a failure code the hub is told to answer leads to a corrected report sent again; a worker
killed after claiming a day loses nothing; the tick reports each tenant's ended day."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import urllib.request

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from lxml import etree

from earsiv.models import Item, Report
from earsiv.reporting import day_report, istanbul_day
from earsiv.sending import deadline_of, earsiv_due, report_poll, report_send
from earsiv.services import istanbul_today
from envelopes.gib.earsiv import BatchStatus, EArsivFault, earsiv_client
from gibhub.earsiv import hub_force_earsiv
from gibhub.models import HubReport
from signing import pki
from signing.services import soap_seal
from tenants.models import WebhookDelivery
from tenants.webhooks import EARSIV_REPORT_LATE, webhook_create
from tests.delivery_fixtures import earsiv  # noqa: F401  (fixture)
from tests.earsiv_fixtures import issue
from tests.worker_fixtures import CHECKOUT, database_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hub(settings, live_server, earsiv):
    settings.GIB_EARSIV_SERVICE_URL = f"{live_server.url}/gibhub/services/EArsivWs"
    return earsiv


def later(seconds: float = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def to_done(report: Report, at: dt.datetime | None = None) -> Report:
    """Sent at *at* (now by default), then polled as beat would until GİB's final code."""
    at = at or timezone.now()
    sent = report_send(report_id=report.id, now=at)
    assert sent.state == Report.State.SENT, (sent.gib_code, sent.gib_text)
    first = report_poll(report_id=report.id, now=at + dt.timedelta(seconds=django_settings.EARSIV_POLL_FIRST + 1))
    assert first.state == Report.State.PROCESSING and first.gib_code == "15"
    return report_poll(report_id=report.id, now=at + dt.timedelta(seconds=django_settings.EARSIV_POLL_FIRST + django_settings.EARSIV_POLL_MAX + 2))


def test_a_report_is_sent_signed_and_polled_to_done(client, hub, tenant_a):
    numbers = {issue(client, hub).number for _ in range(2)}
    (report,) = day_report(tenant=tenant_a, day=istanbul_today())

    done = to_done(report)

    assert (done.state, done.gib_code, done.tries, done.polls) == (Report.State.DONE, "30", 1, 2)
    taken = HubReport.objects.get(number=str(report.number).upper())
    assert (taken.code, taken.taxpayer, taken.file_name) == (30, tenant_a.identifier, f"{str(report.number).upper()}.zip")
    assert taken.caller  # the seal's holder, from the WS-Security token
    assert report_poll(report_id=report.id, now=later(10_000)).polls == 2  # a final report is polled no more
    assert {item.invoice.number for item in done.items.all()} == numbers


def test_a_forced_failure_code_leads_to_a_corrected_report_sent_again(client, hub, tenant_a):
    invoices = {issue(client, hub).id for _ in range(2)}
    (report,) = day_report(tenant=tenant_a, day=istanbul_today())
    hub_force_earsiv(code=50)

    failed = to_done(report)

    assert (failed.state, failed.gib_code) == (Report.State.FAILED, "50") and "50" in failed.gib_text
    assert not failed.items.filter(active=True).exists()
    (correction,) = Report.objects.filter(corrects=failed)
    assert correction.document_id is not None and correction.number != failed.number
    assert {item.invoice_id for item in correction.items.all()} == invoices
    assert to_done(correction, at=failed.finished_at).state == Report.State.DONE
    # Nothing lost, nothing twice: each invoice is in exactly one report that did not fail.
    assert sorted(Item.objects.filter(active=True).values_list("invoice_id", flat=True)) == sorted(invoices)


def test_a_fault_is_a_domain_error_and_an_unsigned_call_is_refused(client, hub, tenant_a):
    hub_force_earsiv(code=120, fault=True)
    (report,) = day_report(tenant=tenant_a, day=istanbul_today()) if issue(client, hub) else ()
    failed = report_send(report_id=report.id)
    assert (failed.state, failed.gib_code) == (Report.State.FAILED, "fault 120")
    assert Report.objects.filter(corrects=failed).count() == 1

    unsigned = earsiv_client(sign=lambda envelope: None)
    with pytest.raises(EArsivFault) as refused:
        unsigned.batch_status("00000000-0000-0000-0000-000000000000")
    assert refused.value.fault_code == "110" and "wsse:Security" in refused.value.text
    signed = earsiv_client(sign=lambda envelope: soap_seal(tenant=tenant_a, envelope=envelope))
    with pytest.raises(EArsivFault) as unknown:
        signed.batch_status("00000000-0000-0000-0000-000000000000")
    assert unknown.value.fault_code == "114"
    assert BatchStatus(30, "").done and BatchStatus(15, "").processing and not BatchStatus(40, "").processing


def test_the_ws_security_header_verifies_in_xmlsec1(client, hub, tenant_a, serve, seal_a, tmp_path):
    seen: list[bytes] = []
    upstream = django_settings.GIB_EARSIV_SERVICE_URL

    def recorder(environ, start_response):  # passes each call on to the hub, keeping it
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        seen.append(body)
        request = urllib.request.Request(upstream, data=body, headers={"Content-Type": environ["CONTENT_TYPE"]})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, reply, kind = "200 OK", response.read(), response.headers["Content-Type"]
        except urllib.error.HTTPError as error:
            status, reply, kind = f"{error.code} Error", error.read(), error.headers["Content-Type"]
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(reply)))])
        return [reply]

    issue(client, hub)
    (report,) = day_report(tenant=tenant_a, day=istanbul_today())
    django_settings.GIB_EARSIV_SERVICE_URL = serve(recorder)
    assert report_send(report_id=report.id).state == Report.State.SENT

    (call,) = seen
    envelope = etree.fromstring(call)
    security = envelope.find("{http://www.w3.org/2003/05/soap-envelope}Header/"
                             "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd}Security")
    assert [etree.QName(child).localname for child in security] == ["Timestamp", "BinarySecurityToken", "Signature"]
    (tmp_path / "call.xml").write_bytes(call)
    (tmp_path / "seal.pem").write_bytes(pki.pem(seal_a.certificate))
    utility = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    checked = subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", str(tmp_path / "seal.pem"),
                              "--id-attr:Id", "http://www.w3.org/2003/05/soap-envelope:Body", "--id-attr:Id", f"{utility}:Timestamp",
                              str(tmp_path / "call.xml")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "SignedInfo References (ok/all): 2/2" in checked.stderr
    tampered = call.replace(f"{str(report.number).upper()}.zip".encode(), b"00000000-0000-0000-0000-000000000000.zip")
    (tmp_path / "call.xml").write_bytes(tampered)
    assert subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", str(tmp_path / "seal.pem"),
                           "--id-attr:Id", "http://www.w3.org/2003/05/soap-envelope:Body", "--id-attr:Id", f"{utility}:Timestamp",
                           str(tmp_path / "call.xml")], capture_output=True, text=True).returncode != 0


def test_beat_reports_each_ended_day_and_flags_a_late_one(client, hub, tenant_a):
    webhook_create(tenant=tenant_a, url="https://erp.example.com.tr/hooks", events=[EARSIV_REPORT_LATE])
    invoice = issue(client, hub)
    today = istanbul_day(timezone.now())
    assert earsiv_due() == ([], [])  # the day has not ended: nothing is reported yet

    tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 5), tzinfo=dt.timezone(dt.timedelta(hours=3)))
    send, poll = earsiv_due(now=tomorrow)
    (report,) = Report.objects.all()
    assert (send, poll, report.day) == ([], [], today)  # claimed; its lease keeps it from a second worker
    send, _poll = earsiv_due(now=tomorrow + dt.timedelta(seconds=django_settings.EARSIV_CLAIM_SECONDS + 1))
    assert send == [report.id]  # its builder never came: the next look sends it, building it first
    assert report_send(report_id=report.id, now=tomorrow + dt.timedelta(seconds=django_settings.EARSIV_CLAIM_SECONDS + 1)).state == "sent"
    assert [item.invoice_id for item in Report.objects.get().items.all()] == [invoice.id]

    earsiv_due(now=deadline_of(today) + dt.timedelta(minutes=1))
    (told,) = WebhookDelivery.objects.filter(event=EARSIV_REPORT_LATE)
    assert told.payload["data"]["report"] == str(report.number).upper()
    earsiv_due(now=deadline_of(today) + dt.timedelta(minutes=2))
    assert WebhookDelivery.objects.filter(event=EARSIV_REPORT_LATE).count() == 1


@pytest.mark.slow
def test_a_worker_killed_after_claiming_a_day_loses_nothing_and_reports_nothing_twice(client, hub, tenant_a):
    import os

    invoices = {issue(client, hub).id for _ in range(2)}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "CELERY_TASK_ALWAYS_EAGER")}
    env.update({"DJANGO_SETTINGS_MODULE": "integrator.settings", "DATABASE_URL": database_url(), "VAR_DIR": str(django_settings.VAR_DIR),
                "ARCHIVE_DIR": str(django_settings.ARCHIVE_DIR), "GIB_PACKAGES_ROOT": str(django_settings.GIB_PACKAGES_ROOT)})
    script = ("import os, signal\nfrom earsiv.reporting import report_claim\nfrom earsiv.services import istanbul_today\n"
              "from tenants.models import Tenant\n"
              f"report_claim(tenant=Tenant.objects.get(id={tenant_a.id}), day=istanbul_today())\n"
              "os.kill(os.getpid(), signal.SIGKILL)  # killed between the claim and the build\n")
    worker = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=CHECKOUT, env=env, capture_output=True, timeout=120)
    assert worker.returncode == -9, worker.stderr.decode()
    (claimed,) = Report.objects.all()
    assert claimed.document_id is None and {item.invoice_id for item in claimed.items.all()} == invoices

    assert day_report(tenant=tenant_a, day=istanbul_today()) == []  # another worker finds it claimed: nothing twice
    lapsed = later(django_settings.EARSIV_CLAIM_SECONDS + 1)
    send, _poll = earsiv_due(now=lapsed)
    assert send == [claimed.id]
    assert report_send(report_id=claimed.id, now=lapsed).state == Report.State.SENT
    assert report_poll(report_id=claimed.id, now=later(10_000)).state == Report.State.PROCESSING
    assert report_poll(report_id=claimed.id, now=later(20_000)).state == Report.State.DONE
    assert Report.objects.count() == 1 and sorted(Item.objects.filter(active=True).values_list("invoice_id", flat=True)) == sorted(invoices)


def test_the_hub_can_be_told_from_the_command_line(hub):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("gibhub", "force-earsiv", "50", "--times", "2", stdout=out)
    assert "50" in out.getvalue()
    from gibhub.models import ForcedCode

    assert ForcedCode.objects.get().remaining == 2


def test_the_dashboard_shows_a_failed_report_nothing_corrects(client, hub, tenant_a, settings, user_a):
    settings.EARSIV_CORRECTIONS = 0
    webhook_create(tenant=tenant_a, url="https://erp.example.com.tr/hooks", events=["earsiv.report_failed"])
    issue(client, hub)
    (report,) = day_report(tenant=tenant_a, day=istanbul_today())
    hub_force_earsiv(code=50)
    assert to_done(report).state == Report.State.FAILED
    assert not Report.objects.filter(corrects=report).exists()  # no corrections allowed: a person must look
    assert WebhookDelivery.objects.get(event="earsiv.report_failed").payload["data"]["code"] == "50"

    client.force_login(user_a)
    page = client.get(f"/t/{tenant_a.identifier}/").content.decode()  # the portal speaks Turkish first
    assert "1 e-Arşiv raporu GİB" in page and "başarısız oldu: birinin bakması gerekiyor" in page
    reports = client.get(f"/t/{tenant_a.identifier}/earsiv/").content.decode()
    assert str(report.number) in reports and "50" in reports
    download = client.get(f"/t/{tenant_a.identifier}/earsiv/{report.number}/xml/")
    assert download.status_code == 200 and b"eArsivRaporu" in download.content
