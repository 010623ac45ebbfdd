"""Line, tax and document totals. Computed amounts round half up to two places, as GİB expects, and
every total is the sum of the rounded amounts below it, so the document always adds up."""

from decimal import ROUND_HALF_UP, Decimal

from ubl.document import KDV, Invoice, Line, TaxSubtotal, Totals

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def round2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _line_extension(line: Line) -> Decimal:
    adjustments = sum((ac.amount if ac.is_charge else -ac.amount for ac in line.allowances_charges), Decimal("0"))
    return round2(line.quantity * line.unit_price + adjustments)


def _compute_line(line: Line) -> None:
    line.line_extension = _line_extension(line)
    other_taxes = Decimal("0")
    for tax in sorted(line.taxes, key=lambda t: t.code == KDV):  # ÖTV and the like first: they are in KDV's base
        base = line.line_extension + (other_taxes if tax.code == KDV else 0)
        if tax.code == KDV and line.special_base is not None:
            base = line.special_base  # özel matrah: KDV on a base the law sets, already inside the price
        tax.taxable = base
        tax.amount = round2(base * tax.percent / HUNDRED)
        other_taxes += tax.amount if tax.code != KDV else 0
    kdv = sum((t.amount for t in line.taxes if t.code == KDV), Decimal("0"))
    for withholding in line.withholdings:
        withholding.taxable = kdv
        withholding.amount = round2(kdv * withholding.percent / HUNDRED)


def _subtotals(invoice: Invoice) -> list[TaxSubtotal]:
    groups: dict[tuple, TaxSubtotal] = {}
    for line in invoice.lines:
        for tax in line.taxes:
            key = (tax.code, tax.percent, tax.exemption_code)
            sub = groups.setdefault(key, TaxSubtotal(tax.code, tax.percent, Decimal("0"), Decimal("0"), tax.name, tax.exemption_code, tax.exemption_reason))
            sub.taxable += tax.taxable
            sub.amount += tax.amount
    return list(groups.values())


def _withholding_subtotals(invoice: Invoice) -> list[TaxSubtotal]:
    groups: dict[tuple, TaxSubtotal] = {}
    for line in invoice.lines:
        for w in line.withholdings:
            sub = groups.setdefault((w.code, w.percent), TaxSubtotal(w.code, w.percent, Decimal("0"), Decimal("0"), w.name))
            sub.taxable += w.taxable
            sub.amount += w.amount
    return list(groups.values())


def compute(invoice: Invoice) -> Invoice:
    """Fill every computed amount of *invoice*, in place, and return it."""
    for line in invoice.lines:
        _compute_line(line)
    invoice.tax_subtotals = _subtotals(invoice)
    invoice.withholding_subtotals = _withholding_subtotals(invoice)
    t = Totals()
    t.line_extension = sum((line.line_extension for line in invoice.lines), Decimal("0"))
    t.allowance_total = sum((ac.amount for ac in invoice.allowances_charges if not ac.is_charge), Decimal("0"))
    t.charge_total = sum((ac.amount for ac in invoice.allowances_charges if ac.is_charge), Decimal("0"))
    t.tax_exclusive = t.line_extension - t.allowance_total + t.charge_total
    # OZELMATRAH: the KDV is stated but not charged on top: it is inside the price (GİB's OZELMATRAH sample).
    charged = Decimal("0") if invoice.type_code == "OZELMATRAH" else tax_total(invoice)
    t.tax_inclusive = t.tax_exclusive + charged
    t.payable = t.tax_inclusive - sum((s.amount for s in invoice.withholding_subtotals), Decimal("0"))
    invoice.totals = t
    return invoice


def tax_total(invoice: Invoice) -> Decimal:
    return sum((s.amount for s in invoice.tax_subtotals), Decimal("0"))
