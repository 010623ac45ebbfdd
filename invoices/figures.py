"""An invoice's share of the reports' day figures (``reports.figures``), as its services save it
and move it from state to state."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from django.db import connection, transaction

from invoices.models import Invoice, InvoiceTax
from reports.figures import NOT_COUNTED, Moves, Share, TaxShare, figures_move
from reports.models import DayFigure, DayParty, DayTax
from ubl import document as ubl


def taxes_record(*, invoice: Invoice, document: ubl.Invoice) -> list[InvoiceTax]:
    """Keep the document's tax and withholding subtotals beside *invoice*, and add its share."""
    return taxes_record_many(recorded=[(invoice, document)])


def taxes_record_many(*, recorded: list[tuple[Invoice, ubl.Invoice]]) -> list[InvoiceTax]:
    """``taxes_record`` for many (invoice, document) pairs: one statement for the rows, one a table for the shares."""
    moves, every = Moves(), []
    for invoice, document in recorded:
        rows = [InvoiceTax(invoice=invoice, withholding=False, code=s.code, percent=s.percent, taxable=s.taxable, amount=s.amount)
                for s in document.tax_subtotals]
        rows += [InvoiceTax(invoice=invoice, withholding=True, code=s.code, percent=s.percent, taxable=s.taxable, amount=s.amount)
                 for s in document.withholding_subtotals]
        moves.add(share_of(invoice, rows))
        every += rows
    InvoiceTax.objects.bulk_create(every)
    moves.apply()
    return every


def share_of(invoice: Invoice, taxes: list[InvoiceTax] | None = None) -> Share:
    """What *invoice*, as it stands in memory, adds to its day's figures."""
    summed: dict[tuple, list[Decimal]] = {}
    for tax in invoice.taxes.all() if taxes is None else taxes:
        pair = summed.setdefault((tax.withholding, tax.code, Decimal(tax.percent).quantize(Decimal("0.01"))), [Decimal(0), Decimal(0)])
        pair[0] += tax.taxable
        pair[1] += tax.amount
    party, name = invoice.counterparty
    return Share(
        tenant_id=invoice.tenant_id, day=invoice.issue_date, direction=invoice.direction, currency=invoice.currency,
        status=invoice.status, gib_code=invoice.gib_code or 0, profile=invoice.profile, type_code=invoice.type_code,
        party=party, party_name=name, payable=invoice.payable_amount, tax=invoice.tax_amount,
        taxes=tuple(TaxShare(w, code, percent, taxable, amount) for (w, code, percent), (taxable, amount) in sorted(summed.items())),
    )


def share_before(invoice: Invoice, *, to: str | None = None) -> Share:
    """*invoice*'s share as it stands, before a move to *to* (None: its status stays). Its taxes are
    read only when the move starts or stops it being counted: only then do they move."""
    flips = to is not None and (invoice.status in NOT_COUNTED) != (to in NOT_COUNTED)
    return share_of(invoice, None if flips else [])


def figures_follow(*, before: Share, invoice: Invoice) -> None:
    """*invoice* changed state or GİB code since *before* was taken: move its share."""
    figures_move(before=before, after=_now(before, invoice))


def figures_follow_many(*, moved: list[tuple[Share, Invoice]]) -> None:
    """``figures_follow`` for many (share before, invoice) pairs, in one statement a table."""
    moves = Moves()
    for before, invoice in moved:
        moves.move(before, _now(before, invoice))
    moves.apply()


def _now(before: Share, invoice: Invoice) -> Share:
    return replace(before, status=invoice.status, gib_code=invoice.gib_code or 0)


REBUILT = {  # each table's day rows, summed by the database from the invoices of one tenant
    DayFigure: ("SELECT tenant_id, {false}, issue_date, direction, currency, status, COALESCE(gib_code, 0), profile, type_code, COUNT(*), "
                "[cents](payable_amount), [cents](tax_amount) FROM invoices_invoice WHERE tenant_id = %s "
                "GROUP BY tenant_id, issue_date, direction, currency, status, COALESCE(gib_code, 0), profile, type_code",
                "tenant_id monthly day direction currency status gib_code profile type_code count payable_cents tax_cents"),
    DayParty: ("SELECT tenant_id, {false}, issue_date, direction, currency, status NOT IN ({not_counted}), "
               "CASE WHEN direction = 'out' THEN customer_identifier ELSE supplier_identifier END, "
               "MAX(CASE WHEN direction = 'out' THEN customer_name ELSE supplier_name END), COUNT(*), [cents](payable_amount) "
               "FROM invoices_invoice WHERE tenant_id = %s GROUP BY tenant_id, issue_date, direction, currency, status NOT IN ({not_counted}), "
               "CASE WHEN direction = 'out' THEN customer_identifier ELSE supplier_identifier END",
               "tenant_id monthly day direction currency counted identifier name count payable_cents"),
    DayTax: ("SELECT i.tenant_id, {false}, i.issue_date, i.direction, i.currency, i.status NOT IN ({not_counted}), t.withholding, t.code, "
             "t.percent, COUNT(DISTINCT i.id), [cents](t.taxable), [cents](t.amount) FROM invoices_invoicetax t "
             "JOIN invoices_invoice i ON i.id = t.invoice_id WHERE i.tenant_id = %s GROUP BY i.tenant_id, i.issue_date, i.direction, "
             "i.currency, i.status NOT IN ({not_counted}), t.withholding, t.code, t.percent",
             "tenant_id monthly day direction currency counted withholding code percent count taxable_cents amount_cents"),
}
SUMMED = {"count", "payable_cents", "tax_cents", "taxable_cents", "amount_cents"}


def figures_rebuild(*, tenant) -> int:
    """Sum *tenant*'s figures again from its invoices and their taxes, replacing what was kept (after
    a bulk load, or for invoices saved before the figures were kept): the day rows from the invoices,
    the month rows from the day rows, both by the database. The number of invoices counted. Run it
    while nothing else writes the tenant's invoices."""
    q = connection.ops.quote_name
    month = "CAST(date_trunc('month', day) AS date)" if connection.vendor == "postgresql" else "date(day, 'start of month')"
    words = {"false": "FALSE", "not_counted": ", ".join(f"'{status}'" for status in sorted(NOT_COUNTED))}
    with transaction.atomic(), connection.cursor() as cursor:
        for model, (select, columns) in REBUILT.items():
            table, names = q(model._meta.db_table), columns.split()
            model.objects.filter(tenant=tenant).delete()
            cursor.execute(f"INSERT INTO {table} ({', '.join(map(q, names))}) {_in_cents(select.format(**words))}", [tenant.id])
            cursor.execute(f"INSERT INTO {table} ({', '.join(map(q, names))}) SELECT {', '.join(_month_column(q(n), n, month) for n in names)} "
                           f"FROM {table} WHERE tenant_id = %s AND NOT monthly "
                           f"GROUP BY {', '.join([month] + [q(n) for n in names if n not in SUMMED | {'monthly', 'day', 'name'}])}", [tenant.id])
    return Invoice.objects.filter(tenant=tenant).count()


def _month_column(quoted: str, name: str, month: str) -> str:
    """A month row's column, summed from its day rows."""
    if name == "monthly":
        return "TRUE"
    if name == "day":
        return month
    if name == "name":
        return f"MAX({quoted})"
    return f"SUM({quoted})" if name in SUMMED else quoted


def _in_cents(select: str) -> str:
    """``[cents](column)``: the sum of a money column in whole cents (exact on PostgreSQL's numeric)."""
    return re.sub(r"\[cents\]\(([\w.]+)\)", r"CAST(ROUND(100 * SUM(\1)) AS BIGINT)", select)
