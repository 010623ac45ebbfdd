"""A tenant's e-Arşiv report of an Istanbul day: what goes into it, claimed, then built, signed,
validated and archived.

Claim, then build. ``report_claim`` takes what the day has not yet had reported (invoices sealed
that day, cancellations and objections recorded that day, none of them in a report that is not
failed) and writes the report rows and their items in one transaction: the items' partial unique
indexes let only one claim take each thing, so two workers never report the same invoice, and a
report whose worker died before building it is still there, with what it holds, for the next run
(``report_build`` is idempotent: it builds what has no document yet). The day's boundaries are
Istanbul's: 00:00 to 24:00 in Europe/Istanbul, whatever the server's zone.

Large days are split into bölümler of ``EARSIV_REPORT_PART_SIZE`` things, each its own report
(its own raporNo, its bölümNo)."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from archive.models import Document
from archive.services import document_store, documents_bytes
from delivery.models import Link
from delivery.services import link_for, link_url
from earsiv.building import Cancelled, Header, IssuedInvoice, Objected, build_report
from earsiv.models import Cancellation, Item, Objection, Report
from invoices.models import Invoice
from invoices.status import Status
from schematron.earsiv import validate_report
from signing.services import report_seal
from tenants.models import Tenant

ISTANBUL = ZoneInfo("Europe/Istanbul")
logger = logging.getLogger(__name__)


def day_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The Istanbul day *day* as moments: from its midnight to the next."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=ISTANBUL)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=ISTANBUL)


def istanbul_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ISTANBUL).date()


def _unreported(kind: str):
    """Not in an active item of *kind* (the item's field of that name points at it)."""
    return ~Exists(Item.objects.filter(kind=kind, active=True, **{kind: OuterRef("pk")}))


def issued_on(*, tenant: Tenant, day: dt.date):
    """The tenant's e-Arşiv invoices sealed on the Istanbul day *day* (the seal's archived moment)."""
    start, end = day_window(day)
    return Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.OUTGOING, channel=Invoice.Channel.EARSIV,
                                  status=Status.KEPT, document__kind=Document.Kind.INVOICE_SEALED,
                                  document__created_at__gte=start, document__created_at__lt=end)


def pending(*, tenant: Tenant, day: dt.date) -> list[tuple[str, int, int | None]]:
    """What the day has not yet had in a report that is not failed: (kind, invoice id, row id)."""
    start, end = day_window(day)
    invoices = issued_on(tenant=tenant, day=day).filter(_unreported(Item.Kind.INVOICE)).order_by("id").values_list("id", flat=True)
    cancellations = (Cancellation.objects.filter(tenant=tenant, created_at__gte=start, created_at__lt=end)
                     .filter(_unreported(Item.Kind.CANCELLATION)).order_by("id").values_list("invoice_id", "id"))
    objections = (Objection.objects.filter(tenant=tenant, created_at__gte=start, created_at__lt=end)
                  .filter(_unreported(Item.Kind.OBJECTION)).order_by("id").values_list("invoice_id", "id"))
    return ([(Item.Kind.INVOICE, invoice_id, None) for invoice_id in invoices]
            + [(Item.Kind.CANCELLATION, invoice_id, row) for invoice_id, row in cancellations]
            + [(Item.Kind.OBJECTION, invoice_id, row) for invoice_id, row in objections])


def report_claim(*, tenant: Tenant, day: dt.date, corrects: Report | None = None, now: dt.datetime | None = None,
                 ready: bool = False) -> list[Report]:
    """The reports (one per bölüm) of what *day* has pending, with their items, in one transaction;
    none when nothing is pending or another worker claimed it first. The claimer builds them under
    a lease (``EARSIV_CLAIM_SECONDS``), or, *ready*, leaves them due at once to whoever sends them
    (``earsiv.sending.report_send`` builds what it is given unbuilt)."""
    things = pending(tenant=tenant, day=day)
    if not things:
        return []
    size = settings.EARSIV_REPORT_PART_SIZE
    chunks = [things[i:i + size] for i in range(0, len(things), size)]
    moment = now or timezone.now()
    try:
        with transaction.atomic():
            reports = []
            for part, chunk in enumerate(chunks, start=1):
                report = Report.objects.create(tenant=tenant, day=day, part=part, parts=len(chunks), corrects=corrects, created_at=moment,
                                               invoices=sum(k == Item.Kind.INVOICE for k, _i, _r in chunk),
                                               cancellations=sum(k == Item.Kind.CANCELLATION for k, _i, _r in chunk),
                                               objections=sum(k == Item.Kind.OBJECTION for k, _i, _r in chunk),
                                               next_at=moment if ready else moment + dt.timedelta(seconds=settings.EARSIV_CLAIM_SECONDS))
                Item.objects.bulk_create([Item(report=report, kind=kind, invoice_id=invoice_id,
                                               cancellation_id=row if kind == Item.Kind.CANCELLATION else None,
                                               objection_id=row if kind == Item.Kind.OBJECTION else None)
                                          for kind, invoice_id, row in chunk], batch_size=1000)
                reports.append(report)
    except IntegrityError:  # another worker claimed some of it meanwhile: its reports hold it
        logger.info("e-Arşiv report of %s for %s: claimed by another worker", day, tenant.identifier)
        return []
    return reports


def _links(invoices: list[Invoice]) -> dict[int, str]:
    found = dict(Link.objects.filter(invoice__in=invoices, revoked_at__isnull=True).values_list("invoice_id", "token"))
    urls = {invoice_id: f"{settings.PUBLIC_URL}/e/{token}" for invoice_id, token in found.items()}
    for invoice in invoices:
        if invoice.id not in urls:
            urls[invoice.id] = link_url(link_for(invoice=invoice))
    return urls


def report_xml(report: Report) -> bytes:
    """*report*'s XML, unsigned, built from its items and the archived documents they name."""
    items = list(report.items.select_related("invoice__document", "cancellation", "objection").order_by("id"))
    invoices = [item.invoice for item in items if item.kind == Item.Kind.INVOICE]
    urls = _links(invoices)
    header = Header(taxpayer=report.tenant.identifier, preparer=settings.INTEGRATOR_VKN, number=str(report.number).upper(),
                    day=report.day, part=report.part)
    issued = (IssuedInvoice(number=i.number, uuid=str(i.uuid), signed=signed, url=urls[i.id])
              for i, signed in zip(invoices, documents_bytes(i.document for i in invoices)))  # read a few ahead, never all at once
    cancelled = [Cancelled(number=item.invoice.number, day=item.cancellation.day, amount=item.invoice.payable_amount)
                 for item in items if item.kind == Item.Kind.CANCELLATION]
    objected = [Objected(number=item.invoice.number, method=item.objection.method, document_number=item.objection.document_number,
                         document_date=item.objection.document_date, description=item.objection.description)
                for item in items if item.kind == Item.Kind.OBJECTION]
    return build_report(header, issued, cancelled, objected)


def report_build(*, report_id: int, now: dt.datetime | None = None) -> Report:
    """Build, seal and validate the report, and archive it as signed; the report is then due to be
    sent. A report built already is returned as it is. One that does not pass GİB's schema and rules
    is failed with the reasons (its items are let go), never sent."""
    report = Report.objects.select_related("tenant").get(id=report_id)
    if report.document_id is not None or report.state != Report.State.BUILT:
        return report
    moment = now or timezone.now()
    signed = report_seal(tenant=report.tenant, xml=report_xml(report), now=moment)
    issues = validate_report(signed)
    if issues:
        text = "; ".join(str(issue) for issue in issues[:20])
        logger.error("e-Arşiv report %s does not pass GİB's schema and rules: %s", report.number, text)
        return report_fail(report=report, code="invalid", text=text)
    document = document_store(tenant=report.tenant, kind=Document.Kind.EARSIV_REPORT, data=signed, subject=("earsiv_report", report.id))
    Report.objects.filter(id=report.id, document__isnull=True).update(document=document, next_at=moment)
    report.refresh_from_db()
    return report


def report_fail(*, report: Report, code: str, text: str, now: dt.datetime | None = None) -> Report:
    """FAILED with GİB's code and text; what it held is let go, for the day's next report."""
    with transaction.atomic():
        Report.objects.filter(id=report.id).update(state=Report.State.FAILED, gib_code=code[:20], gib_text=text,
                                                   finished_at=now or timezone.now(), next_at=None)
        Item.objects.filter(report=report).update(active=False)
    report.refresh_from_db()
    return report


def day_report(*, tenant: Tenant, day: dt.date, corrects: Report | None = None, now: dt.datetime | None = None) -> list[Report]:
    """Claim and build the day's reports (what the day has pending); the built ones are returned."""
    return [report_build(report_id=report.id, now=now) for report in report_claim(tenant=tenant, day=day, corrects=corrects, now=now)]
