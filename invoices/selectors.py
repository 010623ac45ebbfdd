"""Reads of invoices, always within one tenant: another tenant's invoice is simply not found."""

from __future__ import annotations

import datetime as dt
import uuid as uuidlib
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from invoices.models import Invoice
from invoices.search import terms
from invoices.status import Status
from tenants.models import Tenant
from ubl.response import ANSWER_WINDOW, answer_deadline, answer_open, needs_answer


@dataclass(frozen=True)
class InvoiceFilter:
    """What a list (the API's, the portal's) may be narrowed by; empty fields do not narrow."""

    statuses: tuple[str, ...] = ()
    profile: str = ""
    type_code: str = ""
    party: str = ""  # the customer's VKN/TCKN of an outgoing invoice, the supplier's of an incoming one
    search: str = ""  # words of the number, the ETTN, the other party's VKN/TCKN or name (invoices.search)
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None
    amount_min: Decimal | None = None  # the payable amount, in the invoice's currency
    amount_max: Decimal | None = None
    currency: str = ""
    gib_code: int | None = None
    awaiting_answer: bool | None = None  # incoming only: TICARIFATURA still within its 8 days
    answer_closing: bool = False  # incoming only: of those, the ones whose time to answer ends within ANSWER_CLOSING


def _other_party(direction: str) -> str:
    return "customer" if direction == Invoice.Direction.OUTGOING else "supplier"


def invoices_of(*, tenant: Tenant, direction: str | None, filters: InvoiceFilter = InvoiceFilter(),
                now: dt.datetime | None = None) -> QuerySet[Invoice]:
    """The tenant's invoices of *direction* (both when None) that *filters* keep: the one search of
    the API's lists, the portal's lists and the portal's search page."""
    invoices = Invoice.objects.filter(tenant=tenant).select_related("envelope")
    if direction:
        invoices = invoices.filter(direction=direction)
    narrowing = {
        "status__in": filters.statuses, "profile": filters.profile, "type_code": filters.type_code, "currency": filters.currency,
        "issue_date__gte": filters.issued_from, "issue_date__lte": filters.issued_to,
        "payable_amount__gte": filters.amount_min, "payable_amount__lte": filters.amount_max,
    }
    invoices = invoices.filter(**{field: value for field, value in narrowing.items() if value not in (None, "", ())})
    if filters.gib_code is not None:
        invoices = invoices.filter(gib_code=filters.gib_code)
    if filters.party:
        invoices = invoices.filter(_party_is(direction, filters.party))
    for term in terms(filters.search):
        invoices = invoices.filter(search_text__contains=term)
    now = now or dt.datetime.now(dt.UTC)
    if filters.awaiting_answer is not None:
        awaiting = _awaiting_answer(now)
        invoices = invoices.filter(awaiting) if filters.awaiting_answer else invoices.exclude(awaiting)
    if filters.answer_closing:
        invoices = invoices.filter(_awaiting_answer(now), _answer_closing(now))
    return invoices


def _party_is(direction: str | None, identifier: str) -> Q:
    if direction:
        return Q(**{f"{_other_party(direction)}_identifier": identifier})
    return Q(direction=Invoice.Direction.OUTGOING, customer_identifier=identifier) | Q(
        direction=Invoice.Direction.INCOMING, supplier_identifier=identifier)


def _awaiting_answer(now: dt.datetime) -> Q:
    """Incoming TICARIFATURA invoices still unanswered within their 8 days (``answer_open``, as a filter)."""
    return Q(profile="TICARIFATURA", status=Status.RECEIVED, received_at__gte=now - ANSWER_WINDOW)


def _answer_closing(now: dt.datetime) -> Q:
    return Q(received_at__lt=now - ANSWER_WINDOW + ANSWER_CLOSING)


ANSWER_CLOSING = dt.timedelta(days=2)
NEEDS_A_PERSON = (Status.INVALID, Status.HELD, Status.FAILED)  # outgoing invoices that go no further by themselves


def attention_of(*, tenant: Tenant, direction: str, now: dt.datetime) -> dict[str, int]:
    """What needs a person in a list, counted in one query: outgoing, the invoices invalid, held for
    a seal and failed at GİB (by status); incoming, those awaiting an answer and those whose time
    to answer ends within two days."""
    invoices = Invoice.objects.filter(tenant=tenant, direction=direction)
    if direction == Invoice.Direction.OUTGOING:  # the few that need a person, by the (tenant, status) index
        counts = dict(invoices.filter(status__in=NEEDS_A_PERSON).values_list("status").annotate(n=Count("id")).order_by())
        return {status: counts.get(status, 0) for status in NEEDS_A_PERSON}
    awaiting = _awaiting_answer(now)
    return invoices.filter(awaiting).aggregate(awaiting=Count("id"), closing=Count("id", filter=_answer_closing(now)))


def awaiting_answer_of(*, tenant: Tenant, now: dt.datetime) -> QuerySet[Invoice]:
    return invoices_of(tenant=tenant, direction=Invoice.Direction.INCOMING, filters=InvoiceFilter(awaiting_answer=True), now=now)


def invoice_get(*, tenant: Tenant, direction: str, uuid) -> Invoice | None:
    """The tenant's invoice with this ETTN in this direction, with its history; None otherwise."""
    return (
        Invoice.objects.filter(tenant=tenant, direction=direction, uuid=uuid)
        .select_related("envelope", "document")
        .prefetch_related("status_changes")
        .first()
    )


@dataclass(frozen=True)
class AnswerState:
    """Where an invoice stands on KABUL/RED: whether it takes one, and until when it may be given."""

    needed: bool
    open: bool
    deadline: dt.datetime | None


def answer_state(invoice: Invoice, now: dt.datetime) -> AnswerState:
    if invoice.direction != Invoice.Direction.INCOMING or not needs_answer(invoice.profile) or invoice.received_at is None:
        return AnswerState(needed=False, open=False, deadline=None)
    unanswered = invoice.status == Status.RECEIVED
    return AnswerState(needed=True, open=unanswered and answer_open(received_at=invoice.received_at, now=now),
                       deadline=answer_deadline(invoice.received_at))


def profiles_of(*, tenant: Tenant, direction: str) -> list[str]:
    """The profiles the tenant's invoices of *direction* use: the choices of the portal's profile filter."""
    return list(Invoice.objects.filter(tenant=tenant, direction=direction).values_list("profile", flat=True).order_by("profile").distinct())


def outgoing_counts(*, tenant: Tenant) -> list[tuple[str, str, int]]:
    """(status, label, count) for each status the tenant's outgoing invoices are in, in the pipeline's order."""
    outgoing = Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.OUTGOING)
    counts = dict(outgoing.values_list("status").annotate(n=Count("id")).order_by())
    return [(value, label, counts[value]) for value, label in Status.choices if counts.get(value)]


def incoming_count(*, tenant: Tenant) -> int:
    return Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.INCOMING).count()


def invoices_paid_by(*, tenant: Tenant, references: list[str]) -> dict[str, list[Invoice]]:
    """The tenant's invoices each ledger reference paid for: an envelope's UUID (its invoices), or an
    invoice's number; by reference, in their order."""
    envelopes, numbers = set(), set()
    for reference in references:
        try:
            envelopes.add(uuidlib.UUID(reference))
        except ValueError:
            numbers.add(reference)
    found: dict[str, list[Invoice]] = {}
    outgoing = Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.OUTGOING)
    for invoice in outgoing.filter(Q(envelope__uuid__in=envelopes) | Q(number__in=numbers)).select_related("envelope").order_by("number"):
        paid = [str(invoice.envelope.uuid)] if invoice.envelope_id and invoice.envelope.uuid in envelopes else []
        for reference in paid + ([invoice.number] if invoice.number in numbers else []):
            found.setdefault(reference, []).append(invoice)
    return found


def attention_by_tenant(*, tenants, now: dt.datetime) -> dict[int, dict[str, int]]:
    """``attention_of`` for many tenants at once, in two queries: per tenant, the outgoing invoices
    invalid, held for a seal and failed at GİB, and the incoming ones awaiting an answer and those
    whose time to answer ends within two days."""
    ids = [tenant.id for tenant in tenants]
    found = {i: {"invalid": 0, "held": 0, "failed": 0, "awaiting": 0, "closing": 0} for i in ids}
    outgoing = Invoice.objects.filter(tenant_id__in=ids, direction=Invoice.Direction.OUTGOING, status__in=NEEDS_A_PERSON)
    for tenant_id, status, n in outgoing.values_list("tenant_id", "status").annotate(n=Count("id")).order_by():
        found[tenant_id][status] = n
    incoming = Invoice.objects.filter(_awaiting_answer(now), tenant_id__in=ids, direction=Invoice.Direction.INCOMING)
    for row in incoming.values("tenant_id").annotate(awaiting=Count("id"), closing=Count("id", filter=_answer_closing(now))).order_by():
        found[row["tenant_id"]].update(awaiting=row["awaiting"], closing=row["closing"])
    return found
