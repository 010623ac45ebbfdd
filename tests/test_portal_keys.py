"""The portal's API keys and webhooks pages: made, shown once, revoked, paused, tested, deleted; only
for those who may configure the tenant; another tenant's keys and webhooks are a 404."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from tenants.api_keys import api_key_create
from tenants.models import ApiKey, Webhook, WebhookDelivery
from tenants.webhooks import INVOICE_STATUS_CHANGED, PING, verify, webhook_create, webhook_event
from tests.clock import NOW
from tests.exchange_fixtures import eager
from tests.factories import make_user
from tests.test_webhooks import Receiver

pytestmark = pytest.mark.django_db(transaction=True)  # the test event is posted once its row commits


@pytest.fixture
def owner(client, user_a):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user_a)
    return client


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


@pytest.fixture(autouse=True)
def _private_allowed(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    settings.WEBHOOK_TIMEOUT = 5


def url(name: str, tenant, *args) -> str:
    return reverse(f"portal:{name}", args=[tenant.identifier, *args])


def secret_on(page: str, mark: str) -> str:
    found = re.findall(rf'id="secret-value"[^>]*>({mark}[^<]+)<', page)
    assert len(found) == 1, "the secret is shown once on the page"
    return found[0]


# --- API keys ------------------------------------------------------------------------------------


def test_a_key_made_in_the_portal_is_shown_once_and_calls_the_api(owner, client, tenant_a, user_a):
    response = owner.post(url("api-keys", tenant_a), {"name": "ERP merkez", "scopes": ["read", "send"]})

    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    raw = secret_on(response.content.decode(), "itk_")
    key = ApiKey.objects.get(tenant=tenant_a)
    assert (key.name, key.scopes, key.created_by, key.expires_at) == ("ERP merkez", ["read", "send"], user_a, None)
    assert raw.startswith(key.prefix + ".") and raw not in key.key_hash
    again = owner.get(url("api-keys", tenant_a)).content.decode()
    assert raw not in again and key.prefix in again and 'id="secret-value"' not in again

    me = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert me.status_code == 200 and me.json()["key_prefix"] == key.prefix


def test_the_form_sent_again_makes_no_second_key_or_webhook(owner, tenant_a, receiver):
    for name, data in (("api-keys", {"name": "ERP", "scopes": ["read"]}), ("webhooks", {"url": receiver.url})):
        once = re.search(r'name="once" value="([^"]+)"', owner.get(url(name, tenant_a)).content.decode())[1]
        first = owner.post(url(name, tenant_a), {**data, "once": once})
        again = owner.post(url(name, tenant_a), {**data, "once": once}, follow=True)

        assert 'id="secret-value"' in first.content.decode()
        assert "That form was sent already" in again.content.decode() and 'id="secret-value"' not in again.content.decode()
    assert ApiKey.objects.count() == 1 and Webhook.objects.count() == 1


def test_a_key_valid_until_a_day_stops_at_its_end_in_istanbul(owner, tenant_a):
    day = timezone.localdate(NOW) + dt.timedelta(days=30)
    owner.post(url("api-keys", tenant_a), {"name": "kısa", "scopes": ["read"], "expires_on": day.isoformat()})

    expires = ApiKey.objects.get(tenant=tenant_a).expires_at
    assert timezone.localtime(expires).date() == day + dt.timedelta(days=1) and timezone.localtime(expires).time() == dt.time.min


@pytest.mark.parametrize("data, error", [
    ({"name": "x"}, "Choose at least one scope."),
    ({"name": "x", "scopes": ["admin"]}, "Select a valid choice. admin is not one of the available choices."),
    ({"name": "   ", "scopes": ["read"]}, "This field is required."),
    ({"name": "x", "scopes": ["read"], "expires_on": "2000-01-01"}, "An API key cannot expire in the past."),
    ({"name": "x", "scopes": ["read"], "expires_on": "31.02.2030"}, "Enter a valid date."),
])
def test_a_bad_key_is_refused_with_the_reason_and_nothing_made(owner, tenant_a, data, error):
    response = owner.post(url("api-keys", tenant_a), data)

    assert response.status_code == 200 and error in response.content.decode()
    assert not ApiKey.objects.exists()


def test_revoking_asks_first_and_then_the_key_is_refused(owner, client, tenant_a):
    key, raw = api_key_create(tenant=tenant_a, name="eski ERP", scopes=["read"])

    question = owner.get(url("api-key-revoke", tenant_a, key.id))
    assert question.status_code == 200 and "Revoke the API key?" in question.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None  # asking revokes nothing

    response = owner.post(url("api-key-revoke", tenant_a, key.id), follow=True)

    key.refresh_from_db()
    assert key.revoked_at is not None and "Revoked" in response.content.decode()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 401


# --- webhooks ------------------------------------------------------------------------------------


def test_a_webhook_made_in_the_portal_shows_its_secret_once(owner, tenant_a, receiver):
    response = owner.post(url("webhooks", tenant_a), {"url": receiver.url, "events": [INVOICE_STATUS_CHANGED]})

    secret = secret_on(response.content.decode(), "whsec_")
    webhook = Webhook.objects.get(tenant=tenant_a)
    assert (webhook.url, webhook.events, webhook.secret, webhook.enabled) == (receiver.url, [INVOICE_STATUS_CHANGED], secret, True)
    assert secret not in owner.get(url("webhooks", tenant_a)).content.decode()


@pytest.mark.parametrize("address, error", [
    ("ftp://erp.example.com/hook", "A webhook URL must start with http:// or https://."),
    ("https://user:pw@erp.example.com/hook", "A webhook URL may not carry a user name or password."),
    ("http://127.0.0.1:9/hook", "127.0.0.1 is a loopback, private or link-local address; webhooks go to public addresses only."),
])
def test_a_bad_webhook_url_is_refused_with_the_reason(owner, tenant_a, settings, address, error):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    response = owner.post(url("webhooks", tenant_a), {"url": address})

    assert error in response.content.decode() and not Webhook.objects.exists()


def test_a_test_event_goes_the_real_way_and_shows_in_the_log(owner, tenant_a, receiver):
    webhook, secret = webhook_create(tenant=tenant_a, url=receiver.url, events=[INVOICE_STATUS_CHANGED])

    with eager():
        page = owner.post(url("webhook-action", tenant_a, webhook.id, "ping"), follow=True).content.decode()

    (path, headers, body), = receiver.requests
    assert verify(secret, headers, body)  # signed as every event is
    sent = json.loads(body)
    assert (sent["type"], sent["tenant"], sent["data"]["webhook"]) == (PING, tenant_a.identifier, webhook.id)
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert f'data-delivery="{delivery.event_id}" data-state="delivered"' in page and "HTTP 200" in page


def test_a_failed_test_event_shows_the_answer_and_the_next_try(owner, tenant_a):
    failing = Receiver(codes=(503,))
    try:
        webhook, _secret = webhook_create(tenant=tenant_a, url=failing.url)
        with eager():
            page = owner.post(url("webhook-action", tenant_a, webhook.id, "ping"), follow=True).content.decode()
    finally:
        failing.close()

    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.state == "pending" and delivery.next_attempt_at is not None
    assert "HTTP 503 Service Unavailable" in page  # what the receiver said
    assert date_format(timezone.localtime(delivery.next_attempt_at), "SHORT_DATETIME_FORMAT") in page  # the next try


def test_a_paused_webhook_is_told_nothing_until_it_is_enabled(owner, client, tenant_a, receiver):
    webhook, _secret = webhook_create(tenant=tenant_a, url=receiver.url)

    owner.post(url("webhook-action", tenant_a, webhook.id, "disable"))
    webhook.refresh_from_db()
    webhook_event(tenant=tenant_a, event=INVOICE_STATUS_CHANGED, data={"n": 1})
    refused = owner.post(url("webhook-action", tenant_a, webhook.id, "ping"), follow=True).content.decode()

    assert not webhook.enabled and not WebhookDelivery.objects.exists()
    raw = api_key_create(tenant=tenant_a, name="ERP", scopes=["read"])[1]
    listed = client.get("/api/v1/webhooks", HTTP_AUTHORIZATION=f"Api-Key {raw}").json()
    assert [(hook["id"], hook["enabled"]) for hook in listed] == [(webhook.id, False)]  # the ERP sees it paused
    assert "The webhook is paused: enable it to send it a test event." in refused

    owner.post(url("webhook-action", tenant_a, webhook.id, "enable"))
    with eager():
        webhook_event(tenant=tenant_a, event=INVOICE_STATUS_CHANGED, data={"n": 2})
    assert WebhookDelivery.objects.get().state == "delivered" and len(receiver.requests) == 1


def test_deleting_a_webhook_asks_first_then_it_is_gone(owner, client, tenant_a, receiver):
    webhook, _secret = webhook_create(tenant=tenant_a, url=receiver.url)
    assert "Delete the webhook?" in owner.get(url("webhook-delete", tenant_a, webhook.id)).content.decode()

    page = owner.post(url("webhook-delete", tenant_a, webhook.id), follow=True).content.decode()

    webhook.refresh_from_db()
    assert not webhook.is_active
    assert f"The webhook {receiver.url} is deleted" in page and f'data-webhook="{webhook.id}"' not in page
    assert owner.get(url("webhook", tenant_a, webhook.id)).status_code == 404


# --- who may -------------------------------------------------------------------------------------


def pages(tenant, key_id: int, webhook_id: int) -> list[str]:
    return [url("api-keys", tenant), url("api-key-revoke", tenant, key_id), url("webhooks", tenant), url("webhook", tenant, webhook_id),
            url("webhook-delete", tenant, webhook_id), url("seals", tenant)]


@pytest.mark.parametrize("role", ["clerk", "viewer"])
def test_those_who_may_not_configure_get_403_and_see_no_link(client, tenant_a, role, receiver):
    key, _raw = api_key_create(tenant=tenant_a, name="ERP", scopes=["read"])
    webhook, _secret = webhook_create(tenant=tenant_a, url=receiver.url)
    client.force_login(make_user(tenant=tenant_a, role=role))

    for page in pages(tenant_a, key.id, webhook.id):
        assert client.get(page).status_code == 403, page
        assert client.post(page, {"name": "x", "scopes": ["read"], "url": receiver.url}).status_code == 403, page
    assert client.post(url("webhook-action", tenant_a, webhook.id, "ping")).status_code == 403
    dashboard = client.get(reverse("portal:dashboard", args=[tenant_a.identifier])).content.decode()
    assert 'id="management"' not in dashboard and url("api-keys", tenant_a) not in dashboard
    key.refresh_from_db()
    assert key.revoked_at is None and ApiKey.objects.count() == 1 and Webhook.objects.count() == 1


def test_an_accountant_may_and_sees_the_links(client, tenant_a):
    client.force_login(make_user(tenant=tenant_a, role="accountant"))
    dashboard = client.get(reverse("portal:dashboard", args=[tenant_a.identifier])).content.decode()
    for name in ("seals", "api-keys", "webhooks"):
        assert url(name, tenant_a) in dashboard
        assert client.get(url(name, tenant_a)).status_code == 200


def test_tenant_bs_keys_and_webhooks_are_404_for_a(owner, tenant_a, tenant_b, receiver):
    key_b, raw_b = api_key_create(tenant=tenant_b, name="B ERP", scopes=["read"])
    webhook_b, _secret = webhook_create(tenant=tenant_b, url=receiver.url)

    for page in [url("api-key-revoke", tenant_a, key_b.id), url("webhook", tenant_a, webhook_b.id), url("webhook-delete", tenant_a, webhook_b.id)]:
        assert owner.get(page).status_code == 404, page
        assert owner.post(page).status_code == 404, page
    for action in ("ping", "disable"):
        assert owner.post(url("webhook-action", tenant_a, webhook_b.id, action)).status_code == 404
    for page in pages(tenant_b, key_b.id, webhook_b.id):  # B's pages: A's owner does not serve B
        assert owner.get(page).status_code == 404, page
    key_b.refresh_from_db()
    webhook_b.refresh_from_db()
    assert key_b.revoked_at is None and webhook_b.is_active and webhook_b.enabled and not WebhookDelivery.objects.exists()


def test_the_pages_ask_the_database_the_same_few_times_however_many_rows(owner, tenant_a, user_a, receiver):
    def queries(page: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.get(page).status_code == 200
        return len(captured)

    webhook, _secret = webhook_create(tenant=tenant_a, url=receiver.url)
    few = {name: queries(page) for name, page in (("keys", url("api-keys", tenant_a)), ("log", url("webhook", tenant_a, webhook.id)))}
    for n in range(60):
        api_key_create(tenant=tenant_a, name=f"ERP {n}", scopes=["read"], created_by=user_a)
    WebhookDelivery.objects.bulk_create([
        WebhookDelivery(webhook=webhook, event=INVOICE_STATUS_CHANGED, payload={}, attempts=n % 3, last_status_code=500 if n % 2 else 200)
        for n in range(100)
    ])
    many = {name: queries(page) for name, page in (("keys", url("api-keys", tenant_a)), ("log", url("webhook", tenant_a, webhook.id)))}

    assert many == few
