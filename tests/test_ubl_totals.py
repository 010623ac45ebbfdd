from decimal import Decimal as D

import pytest

from ubl import totals
from ubl.document import KDV, AllowanceCharge, Invoice, Line, Party, Tax, Withholding
from ubl.words import amount_in_words, number_in_words


@pytest.mark.parametrize(
    "number, words",
    [
        (0, "Sıfır"),
        (1, "Bir"),
        (11, "On Bir"),
        (100, "Yüz"),
        (101, "Yüz Bir"),
        (999, "Dokuz Yüz Doksan Dokuz"),
        (1000, "Bin"),
        (1001, "Bin Bir"),
        (2000, "İki Bin"),
        (100_000, "Yüz Bin"),
        (1_001_000, "Bir Milyon Bin"),
        (21_300_045, "Yirmi Bir Milyon Üç Yüz Bin Kırk Beş"),
        (1_000_000_000, "Bir Milyar"),
    ],
)
def test_numbers_in_turkish(number, words):
    assert number_in_words(number) == words


@pytest.mark.parametrize(
    "amount, currency, words",
    [
        ("1234.50", "TRY", "Yalnız: Bin İki Yüz Otuz Dört TL Elli Kuruş"),
        ("6001.5", "TRY", "Yalnız: Altı Bin Bir TL Elli Kuruş"),
        ("100", "TRY", "Yalnız: Yüz TL"),
        ("0.01", "TRY", "Yalnız: Sıfır TL Bir Kuruş"),
        ("0.005", "TRY", "Yalnız: Sıfır TL Bir Kuruş"),  # half up, as every amount
        ("12.30", "USD", "Yalnız: On İki ABD Doları Otuz Sent"),
        ("5", "EUR", "Yalnız: Beş Avro"),
    ],
)
def test_amounts_in_words(amount, currency, words):
    assert amount_in_words(D(amount), currency) == words


def _invoice(*lines, type_code="SATIS", **kw) -> Invoice:
    return totals.compute(Invoice("TEMELFATURA", type_code, None, Party("1234567890"), Party("4840847211"), list(lines), **kw))


def test_line_tax_and_document_totals_agree():
    inv = _invoice(
        Line("a", D("12.5"), "MTR", D("40.10"), taxes=[Tax(KDV, D("20"))]),
        Line("b", D("3"), "HUR", D("1500"), taxes=[Tax(KDV, D("20"))], allowances_charges=[AllowanceCharge(False, D("150"))]),
        Line("c", D("1"), "C62", D("0.333"), taxes=[Tax(KDV, D("10"))]),
    )
    assert [line.line_extension for line in inv.lines] == [D("501.25"), D("4350.00"), D("0.33")]
    assert [(s.percent, s.taxable, s.amount) for s in inv.tax_subtotals] == [(D(20), D("4851.25"), D("970.25")), (D(10), D("0.33"), D("0.03"))]
    t = inv.totals
    assert (t.line_extension, t.tax_exclusive, t.tax_inclusive, t.payable) == (D("4851.58"), D("4851.58"), D("5821.86"), D("5821.86"))


def test_otv_is_inside_the_kdv_base():
    inv = _invoice(Line("fuel", D("10"), "LTR", D("10"), taxes=[Tax(KDV, D("20")), Tax("0071", D("25"))]))
    otv, kdv = sorted(inv.lines[0].taxes, key=lambda t: t.code == KDV)
    assert (otv.taxable, otv.amount) == (D("100.00"), D("25.00"))
    assert (kdv.taxable, kdv.amount) == (D("125.00"), D("25.00"))
    assert inv.totals.payable == D("150.00")


def test_withholding_reduces_the_payable_amount():
    inv = _invoice(Line("labour", D("1"), "C62", D("20000"), taxes=[Tax(KDV, D("18"))], withholdings=[Withholding("606", D("90"))]), type_code="TEVKIFAT")
    assert inv.withholding_subtotals[0].amount == D("3240.00") and inv.withholding_subtotals[0].taxable == D("3600.00")
    assert (inv.totals.tax_inclusive, inv.totals.payable) == (D("23600.00"), D("20360.00"))


def test_document_allowances_and_charges():
    inv = _invoice(Line("a", D("1"), "C62", D("100"), taxes=[Tax(KDV, D("0"))]),
                   allowances_charges=[AllowanceCharge(False, D("10")), AllowanceCharge(True, D("2.5"))])
    assert (inv.totals.allowance_total, inv.totals.charge_total, inv.totals.tax_exclusive) == (D("10"), D("2.5"), D("92.50"))


def test_special_base_kdv_is_stated_not_charged():
    line = Line("rakı", D("1"), "C62", D("500"), taxes=[Tax(KDV, D("20"), exemption_code="806")], special_base=D("300"))
    inv = _invoice(line, type_code="OZELMATRAH")
    assert (line.taxes[0].taxable, line.taxes[0].amount) == (D("300"), D("60.00"))
    assert inv.totals.tax_inclusive == inv.totals.payable == D("500.00")
