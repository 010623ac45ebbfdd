"""An invoice's share of the reports' day figures (``reports.figures``), as its services save it
and move it from state to state."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Max, Q, Sum

from invoices.models import Invoice, InvoiceTax
from reports.figures import NOT_COUNTED, Share, TaxShare, cents, figures_add, figures_move
from reports.models import DayFigure, DayParty, DayTax
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


def figures_rebuild(*, tenant) -> int:
    """Sum *tenant*'s day figures again from its invoices and their taxes, replacing what was kept
    (after a bulk load, or for invoices saved before the figures were kept); the number of invoices
    counted. Run it while nothing else writes the tenant's invoices."""
    invoices = Invoice.objects.filter(tenant=tenant)
    base = ("issue_date", "direction", "currency")
    counted = ExpressionWrapper(~Q(status__in=NOT_COUNTED), output_field=BooleanField())
    with transaction.atomic():
        for model in (DayFigure, DayParty, DayTax):
            model.objects.filter(tenant=tenant).delete()
        figures = invoices.values(*base, "status", "gib_code", "profile", "type_code").annotate(n=Count("id"), payable=Sum("payable_amount"), tax=Sum("tax_amount"))
        DayFigure.objects.bulk_create((DayFigure(
            tenant=tenant, day=r["issue_date"], direction=r["direction"], currency=r["currency"], status=r["status"], gib_code=r["gib_code"] or 0,
            profile=r["profile"], type_code=r["type_code"], count=r["n"], payable_cents=cents(r["payable"]), tax_cents=cents(r["tax"]))
            for r in figures.order_by().iterator(chunk_size=5000)), batch_size=5000)
        for direction, who in ((Invoice.Direction.OUTGOING, "customer"), (Invoice.Direction.INCOMING, "supplier")):
            parties = (invoices.filter(direction=direction).annotate(counted=counted).values(*base, "counted", identifier=F(f"{who}_identifier"))
                       .annotate(n=Count("id"), payable=Sum("payable_amount"), name=Max(f"{who}_name")))
            DayParty.objects.bulk_create((DayParty(
                tenant=tenant, day=r["issue_date"], direction=r["direction"], currency=r["currency"], counted=r["counted"], identifier=r["identifier"],
                name=r["name"], count=r["n"], payable_cents=cents(r["payable"])) for r in parties.order_by().iterator(chunk_size=5000)), batch_size=5000)
        taxes = (InvoiceTax.objects.filter(invoice__tenant=tenant)
                 .annotate(counted=ExpressionWrapper(~Q(invoice__status__in=NOT_COUNTED), output_field=BooleanField()))
                 .values(*(f"invoice__{k}" for k in base), "counted", "withholding", "code", "percent")
                 .annotate(n=Count("invoice", distinct=True), taxable=Sum("taxable"), amount=Sum("amount")))
        DayTax.objects.bulk_create((DayTax(
            tenant=tenant, day=r["invoice__issue_date"], direction=r["invoice__direction"], currency=r["invoice__currency"],
            counted=r["counted"], withholding=r["withholding"], code=r["code"], percent=r["percent"], count=r["n"],
            taxable_cents=cents(r["taxable"]), amount_cents=cents(r["amount"])) for r in taxes.order_by().iterator(chunk_size=5000)), batch_size=5000)
    return invoices.count()
