"""Amounts in Turkish words, for the "Yalnız: ..." note printed on every invoice."""

from decimal import Decimal

from ubl.totals import round2

ONES = ["", "Bir", "İki", "Üç", "Dört", "Beş", "Altı", "Yedi", "Sekiz", "Dokuz"]
TENS = ["", "On", "Yirmi", "Otuz", "Kırk", "Elli", "Altmış", "Yetmiş", "Seksen", "Doksan"]
SCALES = ["", "Bin", "Milyon", "Milyar", "Trilyon", "Katrilyon"]
CURRENCIES = {"TRY": ("TL", "Kuruş"), "USD": ("ABD Doları", "Sent"), "EUR": ("Avro", "Sent"), "GBP": ("İngiliz Sterlini", "Peni")}


def _hundreds(number: int) -> list[str]:
    hundreds, rest = divmod(number, 100)
    words = [] if hundreds == 0 else ["Yüz"] if hundreds == 1 else [ONES[hundreds], "Yüz"]  # "Yüz", never "Bir Yüz"
    return words + [w for w in (TENS[rest // 10], ONES[rest % 10]) if w]


def number_in_words(number: int) -> str:
    if number == 0:
        return "Sıfır"
    words: list[str] = []
    for scale in range(len(SCALES) - 1, -1, -1):
        group = number // 1000**scale % 1000
        if group == 0:
            continue
        if scale == 1 and group == 1:
            words.append("Bin")  # "Bin", never "Bir Bin"
        else:
            words += _hundreds(group) + ([SCALES[scale]] if scale else [])
    return " ".join(words)


def amount_in_words(amount: Decimal, currency: str = "TRY") -> str:
    """``Yalnız: Bin İki Yüz Otuz Dört TL Elli Kuruş``."""
    major_name, minor_name = CURRENCIES.get(currency, (currency, "Kuruş"))
    major, minor = divmod(int(round2(abs(amount)) * 100), 100)
    text = f"Yalnız: {number_in_words(major)} {major_name}"
    return f"{text} {number_in_words(minor)} {minor_name}" if minor else text
