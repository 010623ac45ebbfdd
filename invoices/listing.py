"""The portal's long lists (outgoing invoices, the inbox), sorted by a column and read page by page by
keyset: a page starts after (or ends before) the last row the person saw, so the hundredth page costs
what the first does, and an invoice that arrives while one reads does not shift the next page.

A cursor is the sort column's value and the row's id of the row at a page's edge, in the URL
(``after`` or ``before``, opaque base64); ties on the column are broken by the id, in the same
direction. A cursor that cannot be read starts the list from its beginning.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from invoices.models import Invoice

COUNT_CAP = 1000  # counting every match among a million invoices costs more than its page


@dataclass(frozen=True)
class Column:
    """A column a list may be sorted by: the model's field, and whether it first sorts newest first."""

    field: str
    descending: bool = False


@dataclass
class KeysetPage:
    rows: list[Invoice]
    sort: str  # the column's name, "-" before it when descending
    after: str  # the cursor of the next page, "" when this is the last
    before: str  # the cursor of the previous page, "" when this is the first
    count: int  # the matches, counted up to COUNT_CAP
    capped: bool  # more than COUNT_CAP match

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def keyset_page(invoices: QuerySet[Invoice], *, columns: dict[str, Column], sort: str, default: str, after: str = "",
                before: str = "", per_page: int = 25) -> KeysetPage:
    """The page of *invoices* sorted by *sort* (a name of *columns*, "-" before it for descending;
    *default* when it names none) that starts after the cursor *after*, or ends before *before*."""
    name = sort.removeprefix("-")
    if name not in columns:
        sort, name = default, default.removeprefix("-")
    column, descending = columns[name], sort.startswith("-")
    cursor, backwards = (_read(before, column), True) if before else (_read(after, column), False)
    forwards = not backwards
    rows = invoices.order_by(*_order(column.field, descending != backwards))
    if cursor is not None:
        rows = rows.filter(_beyond(column.field, cursor, descending != backwards))
    found = list(rows[: per_page + 1])
    more = len(found) > per_page
    found = found[:per_page]
    if backwards:
        found.reverse()
    edge_first, edge_last = (_write(found[0], column), _write(found[-1], column)) if found else ("", "")
    matches = invoices[: COUNT_CAP + 1].count()  # SELECT COUNT(*) FROM (… LIMIT cap + 1)
    return KeysetPage(
        rows=found, sort=sort, count=min(matches, COUNT_CAP), capped=matches > COUNT_CAP,
        after=edge_last if (more if forwards else cursor is not None) else "",
        before=edge_first if (more if backwards else cursor is not None) else "",
    )


def _order(field: str, descending: bool) -> tuple[str, str]:
    sign = "-" if descending else ""
    return f"{sign}{field}", f"{sign}id"


def _beyond(field: str, cursor: tuple, descending: bool) -> Q:
    value, row_id = cursor
    past = "lt" if descending else "gt"
    return Q(**{f"{field}__{past}": value}) | Q(**{field: value, f"id__{past}": row_id})


def _write(invoice: Invoice, column: Column) -> str:
    value = Invoice._meta.get_field(column.field).value_to_string(invoice)
    return base64.urlsafe_b64encode(json.dumps([value, invoice.id], ensure_ascii=False).encode()).decode().rstrip("=")


def _read(cursor: str, column: Column) -> tuple | None:
    if not cursor:
        return None
    try:
        value, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        value = Invoice._meta.get_field(column.field).to_python(value)
    except (binascii.Error, ValueError, TypeError, ValidationError):
        return None
    if value is None or not isinstance(row_id, int):
        return None
    return value, row_id
