"""Keeping the day figures right: an invoice's share is added when it is saved and moved when it
changes state or GİB code, in the same transaction as the change (the caller's), so a report never
sees an invoice counted twice or not at all.

The caller (invoices' services) hands the share over as plain values: this app stands below the
invoices it counts, so that the services that change them can keep its figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from reports.models import DayFigure, DayParty, DayTax

NOT_COUNTED = frozenset({"invalid"})  # failed validation: numbered, never an invoice in law; only the status report shows them


@dataclass(frozen=True)
class TaxShare:
    withholding: bool
    code: str
    percent: Decimal
    taxable: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Share:
    """What one invoice adds to its day's figures."""

    tenant_id: int
    day: dt.date
    direction: str
    currency: str
    status: str
    gib_code: int
    profile: str
    type_code: str
    party: str
    party_name: str
    payable: Decimal
    tax: Decimal
    taxes: tuple[TaxShare, ...] = field(default=())


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _upsert(model, key: dict, added: dict, replaced: dict | None = None) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding *added* to the row of *key* (PostgreSQL and SQLite alike)."""
    table = connection.ops.quote_name(model._meta.db_table)
    q = connection.ops.quote_name
    values = {**key, **added, **(replaced or {})}
    columns = ", ".join(q(c) for c in values)
    sets = [f"{q(c)} = {table}.{q(c)} + EXCLUDED.{q(c)}" for c in added] + [f"{q(c)} = EXCLUDED.{q(c)}" for c in (replaced or {})]
    sql = (f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(values))}) "
           f"ON CONFLICT ({', '.join(q(c) for c in key)}) DO UPDATE SET {', '.join(sets)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, list(values.values()))


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_figure(share: Share, sign: int) -> None:
    for monthly, day in ((False, share.day), (True, _month(share.day))):
        _upsert(DayFigure, {"tenant_id": share.tenant_id, "monthly": monthly, "day": day, "direction": share.direction,
                            "currency": share.currency, "status": share.status, "gib_code": share.gib_code, "profile": share.profile,
                            "type_code": share.type_code},
                {"count": sign, "payable_cents": sign * cents(share.payable), "tax_cents": sign * cents(share.tax)})


def figures_add(*, share: Share, sign: int = 1) -> None:
    """Add *share* to its day's and its month's figures (*sign* -1: take it away)."""
    _add_figure(share, sign)
    for monthly, day in ((False, share.day), (True, _month(share.day))):
        base = {"tenant_id": share.tenant_id, "monthly": monthly, "day": day, "direction": share.direction, "currency": share.currency,
                "counted": share.status not in NOT_COUNTED}
        _upsert(DayParty, {**base, "identifier": share.party}, {"count": sign, "payable_cents": sign * cents(share.payable)},
                {"name": share.party_name[:250]})
        for tax in share.taxes:
            _upsert(DayTax, {**base, "withholding": tax.withholding, "code": tax.code, "percent": tax.percent},
                    {"count": sign, "taxable_cents": sign * cents(tax.taxable), "amount_cents": sign * cents(tax.amount)})


def figures_move(*, before: Share, after: Share) -> None:
    """The invoice of *before* is now *after*: its share leaves one row for another. The rows by
    party and by tax change only when it starts or stops being counted."""
    if before == after:
        return
    if (before.status in NOT_COUNTED) != (after.status in NOT_COUNTED):
        figures_add(share=before, sign=-1)
        figures_add(share=after)
        return
    _add_figure(before, -1)
    _add_figure(after, 1)
