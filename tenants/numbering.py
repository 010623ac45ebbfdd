"""Invoice numbers: gap-free, never repeated, consumed only with the invoice that takes them."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from integrator.errors import DomainError
from tenants.models import NumberCounter, NumberSeries, Tenant

SEQUENCE_MAX = 999_999_999
# GİB's own e-Arşiv portal issues its invoices under this prefix.
RESERVED_PREFIXES = ("GIB",)


class SeriesExhausted(DomainError):
    code = "series_exhausted"
    message = _("Number series %(prefix)s has used all 999,999,999 numbers of %(year)s.")


def series_create(*, tenant: Tenant, prefix: str, kind: str, is_default: bool = False) -> NumberSeries:
    prefix = prefix.strip().upper()
    if prefix in RESERVED_PREFIXES:
        raise ValidationError(_("The prefix %(prefix)s is reserved by GİB."), code="prefix_reserved", params={"prefix": prefix})
    series = NumberSeries(tenant=tenant, prefix=prefix, kind=kind, is_default=is_default)
    series.full_clean()
    series.save()
    return series


def number_format(*, prefix: str, year: int, sequence: int) -> str:
    # GİB InvoiceIDCheck: matches(cbc:ID, '^[A-Z0-9]{3}20[0-9]{2}[0-9]{9}$')
    return f"{prefix}{year:04d}{sequence:09d}"


def number_allocate(*, series: NumberSeries, issue_date: datetime.date) -> str:
    """Take the next invoice ID of *series* for the year of *issue_date*.

    Call it inside the transaction that saves the invoice taking the number. The series row stays
    locked (SELECT ... FOR NO KEY UPDATE) until that transaction ends, so concurrent callers queue in
    order; if the transaction rolls back, so does the counter, and the number is not burnt. The lock
    leaves the row's key alone: a transaction that merely refers to the series (an invoice's foreign
    key, checked as it commits) does not wait for it, and so cannot hold what this one waits for.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_allocate must run inside the transaction that saves the invoice")
    if not 2000 <= issue_date.year <= 2099:
        raise ValidationError(_("An invoice year must lie between 2000 and 2099."), code="year_range")
    NumberSeries.objects.select_for_update(no_key=True).filter(pk=series.pk).get()
    counter, _created = NumberCounter.objects.get_or_create(series=series, year=issue_date.year)
    if counter.last_value >= SEQUENCE_MAX:
        raise SeriesExhausted(prefix=series.prefix, year=issue_date.year)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return number_format(prefix=series.prefix, year=issue_date.year, sequence=counter.last_value)


def number_taken_elsewhere(*, tenant: Tenant, number: str) -> None:
    """An invoice ID the tenant used at another integrator (moved in here): the series of its prefix,
    if the tenant has one, continues after it that year, so no number is given twice."""
    match = re.fullmatch(r"([A-Z0-9]{3})(20\d\d)(\d{9})", number)
    if match is None:
        return
    prefix, year, sequence = match.group(1), int(match.group(2)), int(match.group(3))
    series = NumberSeries.objects.select_for_update(no_key=True).filter(tenant=tenant, prefix=prefix).first()
    if series is None:
        return
    counter, _created = NumberCounter.objects.get_or_create(series=series, year=year)
    if counter.last_value < sequence:
        counter.last_value = sequence
        counter.save(update_fields=["last_value"])


def series_add(*, tenant: Tenant, prefix: str, kind: str, is_default: bool = False) -> NumberSeries:
    """A new series of the tenant's, from the portal: a prefix of three capital letters or digits
    (GİB's invoice ID ``PPPYYYYNNNNNNNNN``), not one the tenant has, not GİB's own. Made the default
    of its kind, it takes that place from the series that had it; its numbers start at 1 each year."""
    prefix = prefix.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{3}", prefix):
        raise ValidationError(_("A prefix is three capital letters or digits, such as ABC; %(prefix)s is not."), code="prefix_invalid",
                              params={"prefix": prefix or "—"})
    if kind not in NumberSeries.Kind.values:
        raise ValidationError(_("A series is for e-Fatura or e-Arşiv invoices."), code="series_kind")
    with transaction.atomic():
        if NumberSeries.objects.select_for_update().filter(tenant=tenant, prefix=prefix).exists():
            raise ValidationError(_("You have a series with the prefix %(prefix)s already."), code="prefix_taken", params={"prefix": prefix})
        if is_default:
            NumberSeries.objects.filter(tenant=tenant, kind=kind, is_default=True).update(is_default=False)
        return series_create(tenant=tenant, prefix=prefix, kind=kind, is_default=is_default)
