import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from tenants.models import NumberCounter, NumberSeries
from tenants.numbering import SeriesExhausted, number_allocate, series_create
from tests.clock import TODAY, YEAR
from tests.concurrency import run_concurrently

DAY = TODAY
NEXT = YEAR + 1


def _take(series, day=DAY):
    with transaction.atomic():
        return number_allocate(series=series, issue_date=day)


@pytest.fixture
def series(tenant_a):
    return NumberSeries.objects.get(tenant=tenant_a, prefix="AAA")


def test_numbers_are_16_characters_and_consecutive(series):
    assert [_take(series) for _ in range(3)] == [f"AAA{YEAR}000000001", f"AAA{YEAR}000000002", f"AAA{YEAR}000000003"]


def test_each_prefix_and_tenant_counts_on_its_own(series, tenant_a, tenant_b):
    earsiv = series_create(tenant=tenant_a, prefix="EAA", kind=NumberSeries.Kind.EARSIV)
    same_prefix_elsewhere = series_create(tenant=tenant_b, prefix="AAA", kind=NumberSeries.Kind.EFATURA)
    assert _take(series) == f"AAA{YEAR}000000001"
    assert _take(earsiv) == f"EAA{YEAR}000000001"
    assert _take(same_prefix_elsewhere) == f"AAA{YEAR}000000001"
    assert _take(series) == f"AAA{YEAR}000000002"


def test_the_sequence_restarts_each_year(series):
    assert _take(series, datetime.date(YEAR, 12, 31)) == f"AAA{YEAR}000000001"
    assert _take(series, datetime.date(YEAR, 12, 31)) == f"AAA{YEAR}000000002"
    assert _take(series, datetime.date(NEXT, 1, 1)) == f"AAA{NEXT}000000001"
    assert _take(series, datetime.date(YEAR, 12, 31)) == f"AAA{YEAR}000000003"


def test_a_rolled_back_transaction_does_not_burn_a_number(series):
    assert _take(series) == f"AAA{YEAR}000000001"
    with pytest.raises(RuntimeError, match="invoice failed"):
        with transaction.atomic():
            assert number_allocate(series=series, issue_date=DAY) == f"AAA{YEAR}000000002"
            raise RuntimeError("invoice failed")
    assert _take(series) == f"AAA{YEAR}000000002"


@pytest.mark.django_db(transaction=True)
def test_a_number_is_only_taken_inside_a_transaction(series):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        number_allocate(series=series, issue_date=DAY)


def test_an_exhausted_series_says_so(series):
    NumberCounter.objects.create(series=series, year=YEAR, last_value=999_999_999)
    with pytest.raises(SeriesExhausted) as caught:
        _take(series)
    assert caught.value.code == "series_exhausted" and "AAA" in str(caught.value)


@pytest.mark.parametrize("prefix", ["ab", "ABCD", "AB-", "abç"])
def test_malformed_prefixes_are_refused(tenant_a, prefix):
    with pytest.raises(ValidationError, match="three capital letters or digits"):
        series_create(tenant=tenant_a, prefix=prefix, kind=NumberSeries.Kind.EFATURA)


def test_gib_prefix_is_reserved(tenant_a):
    with pytest.raises(ValidationError) as caught:
        series_create(tenant=tenant_a, prefix="gib", kind=NumberSeries.Kind.EARSIV)
    assert caught.value.code == "prefix_reserved"


def test_one_default_series_per_kind(tenant_a):
    with pytest.raises(ValidationError):
        series_create(tenant=tenant_a, prefix="XYZ", kind=NumberSeries.Kind.EFATURA, is_default=True)


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_are_distinct_consecutive_and_gap_free(tenant_a):
    series = NumberSeries.objects.get(tenant=tenant_a, prefix="AAA")
    numbers, errors = run_concurrently(lambda: _take(series), count=24)
    assert errors == []
    assert sorted(numbers) == [f"AAA{YEAR}{n:09d}" for n in range(1, 25)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_rollbacks_leave_no_gap(tenant_a):
    series = NumberSeries.objects.get(tenant=tenant_a, prefix="AAA")
    calls = iter(range(100))

    def take_or_fail():
        fail = next(calls) % 3 == 0
        with transaction.atomic():
            number = number_allocate(series=series, issue_date=DAY)
            if fail:
                raise ValueError(number)
        return number

    numbers, errors = run_concurrently(take_or_fail, count=21)
    assert len(errors) == 7 and all(isinstance(e, ValueError) for e in errors)
    assert sorted(numbers) == [f"AAA{YEAR}{n:09d}" for n in range(1, 15)]
