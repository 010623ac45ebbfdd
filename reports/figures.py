"""Keeping the day figures right: an invoice's share is added when it is saved and moved when it
changes state or GİB code, in the same transaction as the change (the caller's), so a report never
sees an invoice counted twice or not at all.

Every figure is a sum of rows, one per *slot*: on PostgreSQL each database connection takes a slot
of its own for as long as it lives (a session advisory lock), and adds to its own rows only. Two
transactions therefore never write the same figure row: a tenant's invoices moving in many workers
at once neither wait for one another on the day's figures nor deadlock over them, in whatever order
each takes its invoices. Reports sum the slots; slot 0 is the rebuild's (and, should every slot be
taken, everyone's). SQLite writes one transaction at a time: slot 0 always.

The caller (invoices' services) hands the share over as plain values: this app stands below the
invoices it counts, so that the services that change them can keep its figures."""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from reports.models import DayFigure, DayParty, DayTax

logger = logging.getLogger(__name__)
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


SLOTS = 1023  # more than the connections a PostgreSQL server takes
SLOT_LOCKS = 0x66696775  # the advisory locks' first key: "figu"
TAKE_SLOT = (  # the first free slot from one that depends on the connection, so that most take theirs at the first try
    "SELECT slot FROM (SELECT (pg_backend_pid() + i) %% {slots} + 1 AS slot FROM generate_series(0, {slots} - 1) AS i) AS slots "
    "WHERE pg_try_advisory_lock(%s, slot) LIMIT 1").format(slots=SLOTS)
_slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # the database's connection → its slot


def connection_slot() -> int:
    """This connection's slot (taken at its first figure, kept until it closes)."""
    if connection.vendor != "postgresql":
        return 0
    connection.ensure_connection()
    raw = connection.connection
    slot = _slots.get(raw)
    if slot is None:
        with connection.cursor() as cursor:
            cursor.execute(TAKE_SLOT, [SLOT_LOCKS])
            taken = cursor.fetchone()
        if taken is None:
            logger.warning("every figure slot is taken: this connection shares slot 0")
        slot = _slots[raw] = taken[0] if taken else 0
    return slot


def _upsert(model, rows: list[tuple[dict, dict]], replaced: tuple[str, ...] = ()) -> None:
    """One INSERT … ON CONFLICT DO UPDATE for *rows* ((key, values) pairs, distinct keys, in this
    connection's slot): the summed columns are added, those in *replaced* replaced (PostgreSQL and
    SQLite alike)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    q = connection.ops.quote_name
    slot = connection_slot()
    names = [*rows[0][0], "slot", *rows[0][1]]
    key = [*rows[0][0], "slot"]
    sets = [f"{q(c)} = EXCLUDED.{q(c)}" if c in replaced else f"{q(c)} = {table}.{q(c)} + EXCLUDED.{q(c)}" for c in rows[0][1]]
    placeholders = "(" + ", ".join(["%s"] * len(names)) + ")"
    sql = (f"INSERT INTO {table} ({', '.join(map(q, names))}) VALUES {', '.join([placeholders] * len(rows))} "
           f"ON CONFLICT ({', '.join(map(q, key))}) DO UPDATE SET {', '.join(sets)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for keyed, values in rows for value in (*keyed.values(), slot, *values.values())])


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


KEYS = {DayFigure: ("tenant_id", "monthly", "day", "direction", "currency", "status", "gib_code", "profile", "type_code"),
        DayParty: ("tenant_id", "monthly", "day", "direction", "currency", "counted", "identifier"),
        DayTax: ("tenant_id", "monthly", "day", "direction", "currency", "counted", "withholding", "code", "percent")}
REPLACED = {DayParty: ("name",)}


class Moves:
    """Shares added, taken away and moved, summed by row: ``apply`` writes them, one statement per
    table (the rows in one order), however many invoices moved."""

    def __init__(self):
        self.rows: dict[type, dict[tuple, dict]] = {model: {} for model in KEYS}

    def _row(self, model, key: tuple, values: dict) -> None:
        found = self.rows[model].get(key)
        if found is None:
            self.rows[model][key] = dict(values)
            return
        for column, value in values.items():
            found[column] = value if column in REPLACED.get(model, ()) else found[column] + value

    def add(self, share: Share, sign: int = 1) -> Moves:
        """Add *share* to its day's and its month's figures (*sign* -1: take it away)."""
        counted = share.status not in NOT_COUNTED
        for monthly, day in ((False, share.day), (True, _month(share.day))):
            base = (share.tenant_id, monthly, day, share.direction, share.currency)
            self._figure(share, base, sign)
            self._row(DayParty, (*base, counted, share.party),
                      {"count": sign, "payable_cents": sign * cents(share.payable), "name": share.party_name[:250]})
            for tax in share.taxes:
                self._row(DayTax, (*base, counted, tax.withholding, tax.code, tax.percent),
                          {"count": sign, "taxable_cents": sign * cents(tax.taxable), "amount_cents": sign * cents(tax.amount)})
        return self

    def _figure(self, share: Share, base: tuple, sign: int) -> None:
        self._row(DayFigure, (*base, share.status, share.gib_code, share.profile, share.type_code),
                  {"count": sign, "payable_cents": sign * cents(share.payable), "tax_cents": sign * cents(share.tax)})

    def move(self, before: Share, after: Share) -> Moves:
        """The invoice of *before* is now *after*: its share leaves one row for another. The rows by
        party and by tax change only when it starts or stops being counted."""
        if before == after:
            return self
        if (before.status in NOT_COUNTED) != (after.status in NOT_COUNTED):
            return self.add(before, -1).add(after)
        for share, sign in ((before, -1), (after, 1)):
            for monthly, day in ((False, share.day), (True, _month(share.day))):
                self._figure(share, (share.tenant_id, monthly, day, share.direction, share.currency), sign)
        return self

    def apply(self) -> None:
        for model, rows in self.rows.items():
            changed = [(dict(zip(KEYS[model], key)), values) for key, values in sorted(rows.items())
                       if any(values[c] for c in values if c not in REPLACED.get(model, ()))]
            _upsert(model, changed, replaced=REPLACED.get(model, ()))
        self.rows = {model: {} for model in KEYS}


def figures_add(*, share: Share, sign: int = 1) -> None:
    """Add *share* to its day's and its month's figures (*sign* -1: take it away)."""
    Moves().add(share, sign).apply()


def figures_move(*, before: Share, after: Share) -> None:
    """The invoice of *before* is now *after*: its share moves (``Moves.move``)."""
    Moves().move(before, after).apply()
