"""The aliases and number series page: the tenant's aliases beside GİB's records of its VKN, its series
with the next number of each year (read-only), and a series added with clear errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse

from directory.models import RegisteredAlias, RegisteredUser
from tenants.models import NumberSeries
from tenants.numbering import number_allocate
from tests.clock import NOW, TODAY
from tests.factories import make_user


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def page_of(client, tenant) -> str:
    return client.get(reverse("portal:aliases", args=[tenant.identifier])).content.decode()


def add(client, tenant, prefix: str, kind: str = "efatura", is_default: bool = False):
    data = {"prefix": prefix, "kind": kind, **({"is_default": "on"} if is_default else {})}
    return client.post(reverse("portal:aliases", args=[tenant.identifier]), data)


def test_our_aliases_beside_gibs_and_the_next_number_of_each_year(client_a, tenant_a):
    user = RegisteredUser.objects.get(identifier=tenant_a.identifier)
    RegisteredAlias.objects.create(user=user, kind="PK", name="urn:mail:eski@a-tekstil.com.tr", document_type="Invoice",
                                   created_at=NOW - dt.timedelta(days=900))
    series = NumberSeries.objects.get(tenant=tenant_a, prefix="AAA")
    with transaction.atomic():
        for _ in range(3):
            number_allocate(series=series, issue_date=TODAY)
        number_allocate(series=series, issue_date=TODAY.replace(year=TODAY.year - 1))
    page = page_of(client_a, tenant_a)
    ours, theirs = page.split('id="our-aliases"')[1].split('id="gib-aliases"')
    assert 'data-alias="urn:mail:pk@a-tekstil.com.tr"' in ours and ">yes<" in ours
    assert 'data-gib-alias="urn:mail:gb@a-tekstil.com.tr"' in theirs and ">ours<" in theirs
    assert 'data-gib-alias="urn:mail:eski@a-tekstil.com.tr"' in theirs and "at another integrator" in theirs
    assert f"AAA{TODAY.year}000000004" in page and f"AAA{TODAY.year}000000003" in page  # next and last of this year
    assert f"AAA{TODAY.year - 1}000000002" in page  # and of last year
    series_part = page.split('id="series"')[1]
    assert series_part.count("<input") == 3  # the CSRF token, the prefix, the default box: no number to type
    assert 'name="last_value"' not in series_part and 'name="number"' not in series_part


def test_a_series_is_added_and_may_take_the_default_of_its_kind(client_a, tenant_a):
    assert add(client_a, tenant_a, " abc ").status_code == 302
    assert NumberSeries.objects.get(tenant=tenant_a, prefix="ABC").is_default is False
    assert add(client_a, tenant_a, "NEW", is_default=True).status_code == 302
    defaults = NumberSeries.objects.filter(tenant=tenant_a, kind="efatura", is_default=True)
    assert list(defaults.values_list("prefix", flat=True)) == ["NEW"]
    assert add(client_a, tenant_a, "ARS", kind="earsiv", is_default=True).status_code == 302
    assert NumberSeries.objects.get(tenant=tenant_a, prefix="ARS").is_default
    assert f"NEW{TODAY.year}000000001" in page_of(client_a, tenant_a)


@pytest.mark.parametrize(("prefix", "words"), [
    ("AAA", "You have a series with the prefix AAA already."),
    ("AB", "three capital letters or digits"),
    ("ABCD", "three capital letters or digits"),
    ("AB-", "three capital letters or digits"),
    ("ÇAĞ", "three capital letters or digits"),
    ("GIB", "reserved by GİB"),
])
def test_a_bad_or_taken_prefix_is_refused_with_the_reason(client_a, tenant_a, prefix, words):
    response = add(client_a, tenant_a, prefix, is_default=True)
    assert response.status_code == 400 and words in response.content.decode()
    assert list(NumberSeries.objects.filter(tenant=tenant_a).values_list("prefix", "is_default")) == [("AAA", True)]


def test_a_prefix_another_tenant_has_is_free_for_this_one(client_a, tenant_a, tenant_b):
    assert add(client_a, tenant_a, "BBB").status_code == 302


@pytest.mark.parametrize("role", ["clerk", "viewer"])
def test_who_may_not_configure_sees_the_page_and_adds_nothing(client, tenant_a, role):
    client.force_login(make_user(tenant=tenant_a, role=role))
    page = page_of(client, tenant_a)
    assert "AAA" in page and 'id="series-form"' not in page
    assert add(client, tenant_a, "XYZ").status_code == 403
    assert not NumberSeries.objects.filter(prefix="XYZ").exists()


def test_another_tenants_page_does_not_exist(client_a, tenant_b):
    assert client_a.get(reverse("portal:aliases", args=[tenant_b.identifier])).status_code == 404
    assert add(client_a, tenant_b, "XYZ").status_code == 404
    assert not NumberSeries.objects.filter(prefix="XYZ").exists()


def test_the_dashboard_links_to_the_pages(client_a, tenant_a):
    page = client_a.get(reverse("portal:dashboard", args=[tenant_a.identifier])).content.decode()
    for name in ("portal:credits", "portal:aliases", "portal:designs"):
        assert f'href="{reverse(name, args=[tenant_a.identifier])}' in page
