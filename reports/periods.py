"""The range a report covers, read from a request's ``from``, ``to`` and ``granularity``."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from integrator.errors import DomainError
from reports.selectors import DAY, MONTH, Period

MAX_DAYS = {DAY: 366, MONTH: 3660}  # a year of days, ten years of months


class PeriodInvalid(DomainError):
    code = "period_invalid"
    status = 400


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PeriodInvalid(_("%(name)s must be a date as YYYY-MM-DD; got %(value)r."), name=name, value=value) from None


def default_period(*, today: dt.date) -> Period:
    """The last twelve months, this one included."""
    year, month = divmod(today.year * 12 + today.month - 1 - 11, 12)
    return Period(dt.date(year, month + 1, 1), today, MONTH)


def period_from(query, *, today: dt.date) -> Period:
    """The period of *query* (a QueryDict); what it leaves out is the last twelve months by month."""
    fallback = default_period(today=today)
    granularity = query.get("granularity") or MONTH
    if granularity not in MAX_DAYS:
        raise PeriodInvalid(_("granularity must be month or day; got %(value)r."), value=granularity)
    end = _date(query["to"], "to") if query.get("to") else fallback.end
    start = _date(query["from"], "from") if query.get("from") else (
        fallback.start if granularity == MONTH else end - dt.timedelta(days=30))
    if start > end:
        raise PeriodInvalid(_("from (%(start)s) is after to (%(end)s)."), start=start.isoformat(), end=end.isoformat())
    if (end - start).days >= MAX_DAYS[granularity]:
        raise PeriodInvalid(_("A report by %(granularity)s covers at most %(days)s days; choose a shorter range."),
                            granularity=granularity, days=MAX_DAYS[granularity])
    return Period(start, end, granularity)
