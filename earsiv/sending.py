"""A built report's way to GİB and back: sent, polled until GİB's final code, corrected and sent
again when GİB fails it; and the tenant told when a day is late or failed for good.

Safe with many workers, as ``envelopes.polling`` is: a step claims its report with a conditional
update that moves ``next_at`` forward (a lease, ``EARSIV_CLAIM_SECONDS``) and acts only when that
update changed one row; no transaction is open while GİB is called. A worker that dies holding a
claim leaves a lease that lapses, and the tick takes the report up again: a report sent whose
answer was lost is sent again under the same raporNo, which GİB (and the hub) know already, so it
counts as sent. A failed report keeps its row and its archived XML; what it held is let go in the
same transaction, and the correction (a new report, ``corrects`` naming the failed one) takes it
up at once: nothing is lost, and two successful reports never hold the same thing."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from archive.services import document_bytes
from earsiv.models import Report
from earsiv.reporting import ISTANBUL, day_report, report_build, report_fail
from envelopes.gib.client import GibUnavailable
from envelopes.gib.earsiv import EArsivFault, earsiv_client
from signing.services import soap_seal
from tenants.webhooks import EARSIV_REPORT_FAILED, EARSIV_REPORT_LATE, webhook_event

logger = logging.getLogger(__name__)
ALREADY_RECEIVED = "113"  # the local hub's fault for a raporNo it has: the report went before


def _claim(report_id: int, states, now: dt.datetime, **changes) -> bool:
    lease = now + dt.timedelta(seconds=settings.EARSIV_CLAIM_SECONDS)
    due = Q(next_at__lte=now) | Q(next_at__isnull=True)
    return Report.objects.filter(due, id=report_id, state__in=states).update(next_at=lease, **changes) == 1


def _backoff(count: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(settings.EARSIV_POLL_FIRST * 2 ** max(count - 1, 0), settings.EARSIV_POLL_MAX))


def _client(report: Report):
    return earsiv_client(sign=lambda envelope: soap_seal(tenant=report.tenant, envelope=envelope))


def report_send(*, report_id: int, now: dt.datetime | None = None) -> Report:
    """Send a built report, once claimed; SENT, or BUILT again with the next try further off."""
    now = now or timezone.now()
    if not _claim(report_id, [Report.State.BUILT], now, tries=F("tries") + 1):
        return Report.objects.get(id=report_id)
    report = Report.objects.select_related("tenant", "document").get(id=report_id)
    if report.document_id is None:  # claimed before it was built (its builder died): build it first
        report = report_build(report_id=report.id, now=now)
        if report.state != Report.State.BUILT:
            return report
    number = str(report.number).upper()
    try:
        answer = _client(report).send_report(number=number, xml=document_bytes(report.document))
    except GibUnavailable as exc:
        logger.warning("e-Arşiv report %s not sent (try %s): %s", number, report.tries, exc)
        Report.objects.filter(id=report.id).update(gib_text=str(exc), next_at=now + _backoff(report.tries))
        return Report.objects.get(id=report.id)
    except EArsivFault as exc:
        if exc.fault_code != ALREADY_RECEIVED:
            return _failed(report, code=f"fault {exc.fault_code}", text=exc.text, now=now)
        answer = exc.text
    Report.objects.filter(id=report.id).update(state=Report.State.SENT, sent_at=now, gib_text=answer[:2000],
                                               next_at=now + dt.timedelta(seconds=settings.EARSIV_POLL_FIRST))
    return Report.objects.get(id=report.id)


def report_poll(*, report_id: int, now: dt.datetime | None = None) -> Report:
    """Ask GİB for a sent report's status: 30 DONE, 10/15 PROCESSING (asked again later, with
    backoff), anything else FAILED and corrected."""
    now = now or timezone.now()
    if not _claim(report_id, [Report.State.SENT, Report.State.PROCESSING], now, polls=F("polls") + 1):
        return Report.objects.get(id=report_id)
    report = Report.objects.select_related("tenant").get(id=report_id)
    try:
        status = _client(report).batch_status(str(report.number).upper())
    except (GibUnavailable, EArsivFault) as exc:
        logger.warning("e-Arşiv report %s: no status (%s)", report.number, exc)
        Report.objects.filter(id=report.id).update(next_at=now + _backoff(report.polls))
        return Report.objects.get(id=report.id)
    if status.done:
        Report.objects.filter(id=report.id).update(state=Report.State.DONE, gib_code=str(status.code), gib_text=status.text,
                                                   finished_at=now, next_at=None)
    elif status.processing:
        Report.objects.filter(id=report.id).update(state=Report.State.PROCESSING, gib_code=str(status.code), gib_text=status.text,
                                                   next_at=now + _backoff(report.polls))
    else:
        return _failed(report, code=str(status.code), text=status.text, now=now)
    return Report.objects.get(id=report.id)


def corrections_of(report: Report) -> int:
    count, current = 0, report
    while current.corrects_id is not None:
        count, current = count + 1, Report.objects.get(id=current.corrects_id)
    return count


def _failed(report: Report, *, code: str, text: str, now: dt.datetime) -> Report:
    """FAILED with GİB's answer; corrected at once, unless it is a correction made too many times
    already: then the tenant is told, and a person must look."""
    report = report_fail(report=report, code=code, text=text, now=now)
    logger.warning("e-Arşiv report %s of %s failed at GİB: %s %s", report.number, report.day, code, text)
    if corrections_of(report) < settings.EARSIV_CORRECTIONS:
        day_report(tenant=report.tenant, day=report.day, corrects=report, now=now)
    else:
        _flag(report, EARSIV_REPORT_FAILED, now)
    return report


def _flag(report: Report, event: str, now: dt.datetime) -> None:
    if Report.objects.filter(id=report.id, flagged_at__isnull=True).update(flagged_at=now) == 1:
        webhook_event(tenant=report.tenant, event=event, data={
            "report": str(report.number).upper(), "day": report.day, "part": report.part, "state": report.state,
            "code": report.gib_code, "text": report.gib_text, "deadline": deadline_of(report.day)})


def deadline_of(day: dt.date) -> dt.datetime:
    """The end of the day ``EARSIV_REPORT_DEADLINE_DAYS`` after *day*, in Istanbul."""
    return dt.datetime.combine(day + dt.timedelta(days=settings.EARSIV_REPORT_DEADLINE_DAYS + 1), dt.time(), tzinfo=ISTANBUL)


def reports_flag_late(*, now: dt.datetime | None = None) -> int:
    """Tell each tenant whose day's report is not done by its deadline (once a report)."""
    now = now or timezone.now()
    late = 0
    for report in Report.objects.filter(flagged_at__isnull=True).exclude(state__in=[Report.State.DONE, Report.State.FAILED]).select_related("tenant"):
        if deadline_of(report.day) <= now:
            _flag(report, EARSIV_REPORT_LATE, now)
            late += 1
    return late


LOOKBACK_DAYS = 7  # days before yesterday whose leftovers (a correction, a late seal) are still looked for


def _active_tenants(since: dt.datetime):
    from earsiv.models import Cancellation, Objection
    from invoices.models import Invoice
    from tenants.models import Tenant

    ids = set(Invoice.objects.filter(channel=Invoice.Channel.EARSIV, direction=Invoice.Direction.OUTGOING, document__created_at__gte=since)
              .values_list("tenant_id", flat=True).distinct())
    ids |= set(Cancellation.objects.filter(created_at__gte=since).values_list("tenant_id", flat=True).distinct())
    ids |= set(Objection.objects.filter(created_at__gte=since).values_list("tenant_id", flat=True).distinct())
    return Tenant.objects.filter(id__in=ids).order_by("id")


def earsiv_due(*, now: dt.datetime | None = None) -> tuple[list[int], list[int]]:
    """Beat's look: each tenant's ended days claimed into reports (what they have pending), late
    days flagged; returns the reports due to be built and sent, and those due to be polled."""
    from earsiv.reporting import istanbul_day, report_claim

    now = now or timezone.now()
    today = istanbul_day(now)
    days = [today - dt.timedelta(days=back) for back in range(LOOKBACK_DAYS, 0, -1)]
    since = dt.datetime.combine(days[0], dt.time(), tzinfo=ISTANBUL)
    for tenant in _active_tenants(since):
        for day in days:
            report_claim(tenant=tenant, day=day, now=now)
    reports_flag_late(now=now)
    due = Q(next_at__lte=now) | Q(next_at__isnull=True)
    send = list(Report.objects.filter(due, state=Report.State.BUILT).order_by("id").values_list("id", flat=True))
    poll = list(Report.objects.filter(due, state__in=[Report.State.SENT, Report.State.PROCESSING]).order_by("id").values_list("id", flat=True))
    return send, poll
