"""The accountant's overview: every tenant they serve, each with what needs a person, linked into
that tenant's filtered lists; bounded queries however many tenants."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from earsiv.models import Report
from invoices.models import Invoice
from invoices.services import invoice_issue, set_status
from invoices.status import Status
from signing.models import Seal
from tenants.identifiers import vkn_is_valid
from tenants.ledger import credits_add
from tenants.roles import Role
from tenants.services import membership_set
from tests.clock import TODAY
from tests.factories import make_tenant, make_user
from tests.invoice_payloads import payload
from tests.test_seals import seal_of_a  # noqa: F401  (a fixture)


def english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


def incoming(tenant, *, received_days_ago: float, number: str) -> Invoice:
    return Invoice.objects.create(
        tenant=tenant, number=number, direction=Invoice.Direction.INCOMING, profile="TICARIFATURA", type_code="SATIS", issue_date=TODAY,
        currency="TRY", supplier_identifier="4840847211", supplier_name="B Gıda", customer_identifier=tenant.identifier,
        customer_name=tenant.title, tax_amount=18, payable_amount=118, status=Status.RECEIVED, channel="efatura",
        received_at=timezone.now() - dt.timedelta(days=received_days_ago))


def moved(invoice, *statuses):
    for to in statuses:
        set_status(invoice=invoice, to=to)
    return invoice


@pytest.fixture
def accountant(tenant_a, tenant_b):
    user = make_user()
    for tenant in (tenant_a, tenant_b):
        membership_set(tenant=tenant, user=user, role=Role.ACCOUNTANT)
    return user


def attention(page: str, tenant) -> list[tuple[str, str]]:
    row = re.search(rf'<tr data-tenant="{tenant.identifier}">(.*?)</tr>', page, re.S).group(1)
    return [(text, href.replace("&amp;", "&")) for href, text in re.findall(r'<a class="warning" href="([^"]+)">([^<]+)</a>', row)]


def test_each_tenant_shows_what_needs_attention_with_links_into_it(client, accountant, tenant_a, tenant_b, seal_of_a):
    moved(invoice_issue(tenant=tenant_a, data=payload()), Status.VALID, Status.SEALED, Status.QUEUED, Status.SENT, Status.FAILED)
    moved(invoice_issue(tenant=tenant_a, data=payload()), Status.VALID, Status.HELD)
    moved(invoice_issue(tenant=tenant_a, data=payload()), Status.VALID, Status.HELD)
    incoming(tenant_a, received_days_ago=1, number="BBB2026000000001")
    incoming(tenant_a, received_days_ago=7, number="BBB2026000000002")  # 8 days to answer: closes within 2
    Seal.objects.filter(id=seal_of_a.id).update(not_after=timezone.now() + dt.timedelta(days=5))
    credits_add(tenant=tenant_a, amount=500)
    Report.objects.create(tenant=tenant_b, day=TODAY - dt.timedelta(days=10), state=Report.State.FAILED)
    Report.objects.create(tenant=tenant_b, day=TODAY - dt.timedelta(days=5), state=Report.State.SENT)  # past its deadline
    credits_add(tenant=tenant_b, amount=40)
    client.force_login(accountant)

    page = english(client).get(reverse("portal:home")).content.decode()
    invoices, inbox = reverse("portal:invoices", args=[tenant_a.identifier]), reverse("portal:inbox", args=[tenant_a.identifier])
    ends = (timezone.now() + dt.timedelta(days=5)).astimezone(timezone.get_current_timezone()).date().isoformat()
    assert attention(page, tenant_a) == [
        ("1 failed at GİB", f"{invoices}?status=failed"),
        ("2 held: waiting for a seal", f"{invoices}?status=held"),
        ("2 await your answer", f"{inbox}?awaiting=on"),
        ("1 answer due within 2 days", f"{inbox}?awaiting=on&closing=on"),
        (f"Seal ends {ends}", reverse("portal:dashboard", args=[tenant_a.identifier])),
    ]
    earsiv, dashboard_b = reverse("portal:earsiv-reports", args=[tenant_b.identifier]), reverse("portal:dashboard", args=[tenant_b.identifier])
    assert attention(page, tenant_b) == [
        ("1 e-Arşiv report failed", earsiv), ("1 e-Arşiv report late", earsiv),
        ("No seal", dashboard_b), ("Credits low: 40 left", dashboard_b),
    ]
    assert f'href="{reverse("portal:dashboard", args=[tenant_a.identifier])}">{tenant_a.display_name}</a>' in page  # one click into it
    for _text, href in attention(page, tenant_a):
        assert client.get(href).status_code == 200


def test_a_tenant_that_needs_nothing_says_so(client, accountant, tenant_a, tenant_b, seal_of_a):
    credits_add(tenant=tenant_a, amount=1000)
    client.force_login(accountant)
    page = english(client).get(reverse("portal:home")).content.decode()
    assert attention(page, tenant_a) == []
    assert "Nothing needs you" in re.search(rf'<tr data-tenant="{tenant_a.identifier}">(.*?)</tr>', page, re.S).group(1)
    assert "1 needs nothing from you." in page


def test_twenty_tenants_take_a_bounded_number_of_queries(client, accountant, tenant_a, tenant_b, django_assert_max_num_queries):
    candidates = (str(n) for n in range(3000000000, 3100000000) if vkn_is_valid(str(n)))
    for i in range(18):
        tenant = make_tenant(next(candidates), f"Müşteri {i} A.Ş.", domain=f"m{i}.com.tr", prefix=f"M{i:02d}"[:3] if i < 10 else f"N{i % 10}X")
        membership_set(tenant=tenant, user=accountant, role=Role.ACCOUNTANT)
        incoming(tenant, received_days_ago=1, number=f"BBB20260000000{i:02d}")
        Report.objects.create(tenant=tenant, day=TODAY - dt.timedelta(days=10), state=Report.State.FAILED)
    client.force_login(accountant)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("portal:home")).content.decode()
    assert page.count("<tr data-tenant=") == 20


def test_one_tenant_goes_straight_to_its_dashboard(client, tenant_a, user_a):
    client.force_login(user_a)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard", args=[tenant_a.identifier])
