"""The tests' one clock.

A test seals, stamps, issues and checks at ``NOW``: the moment this run started, to the second. The
test PKI issues its certificates around it (from a month before to a year after), and the tests'
invoices are dated ``TODAY``, Istanbul's day at that moment. The platform's own code reads the real
clock (a worker seals at the real time; the validator's seven-day rule counts back from the real
day), and that clock only moves on from ``NOW`` during a run: a seal made at any moment of the run
lies within its certificate, and an invoice dated ``TODAY`` is never older than the seven days the
rule allows, also when the run crosses midnight or the new year.

So no test depends on the calendar day, the hour or the year it runs. A test that needs the real
"today" mid-run (to compare with what the platform dated itself) asks ``today()``.

``GOLDEN_DAY`` is the one fixed day: the date the golden files carry. Only pure builds compared with
those files use it; nothing dated with it meets the real clock.
"""

import datetime as dt
from zoneinfo import ZoneInfo

ISTANBUL = ZoneInfo("Europe/Istanbul")

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TODAY = NOW.astimezone(ISTANBUL).date()
YEAR = TODAY.year  # the year in the numbers of invoices dated TODAY (AAA{YEAR}000000001)

# The test PKI's certificates hold from a month before NOW to a year after it.
VALID_FROM = NOW - dt.timedelta(days=30)
VALID_DAYS = 395

GOLDEN_DAY = dt.date(2026, 11, 20)


def today() -> dt.date:
    """Istanbul's day now (it may be the day after TODAY, late in a run that crossed midnight)."""
    return dt.datetime.now(ISTANBUL).date()


def istanbul(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(ISTANBUL)
