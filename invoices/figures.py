"""An invoice's share of the reports' day figures (``reports.figures``), as its services save it
and move it from state to state."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from invoices.models import Invoice, InvoiceTax
from reports.figures import Share, TaxShare, figures_add, figures_move
from ubl import document as ubl


def taxes_record(*, invoice: Invoice, document: ubl.Invoice) -> list[InvoiceTax]:
    """Keep the document's tax and withholding subtotals beside *invoice*, and add its share."""
    rows = [InvoiceTax(invoice=invoice, withholding=False, code=s.code, percent=s.percent, taxable=s.taxable, amount=s.amount)
            for s in document.tax_subtotals]
    rows += [InvoiceTax(invoice=invoice, withholding=True, code=s.code, percent=s.percent, taxable=s.taxable, amount=s.amount)
             for s in document.withholding_subtotals]
    InvoiceTax.objects.bulk_create(rows)
    figures_add(share=share_of(invoice, rows))
    return rows


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


def figures_follow(*, before: Share, invoice: Invoice) -> None:
    """*invoice* changed state or GİB code since *before* was taken: move its share."""
    figures_move(before=before, after=replace(before, status=invoice.status, gib_code=invoice.gib_code or 0))
