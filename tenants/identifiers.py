"""Turkish tax identifiers: VKN (vergi kimlik numarası, 10 digits) and TCKN (T.C. kimlik numarası,
11 digits), each checked with its official check-digit algorithm."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def vkn_is_valid(value: str) -> bool:
    """GİB's VKN algorithm: the tenth digit checks the first nine."""
    if len(value) != 10 or not value.isascii() or not value.isdigit():
        return False
    total = 0
    for position, char in enumerate(value[:9], start=1):
        shifted = (int(char) + 10 - position) % 10
        total += 9 if shifted == 9 else (shifted * 2 ** (10 - position)) % 9
    return (10 - total % 10) % 10 == int(value[9])


def tckn_is_valid(value: str) -> bool:
    """NVİ's TCKN algorithm: no leading zero; digits 10 and 11 check the ones before them."""
    if len(value) != 11 or not value.isascii() or not value.isdigit() or value[0] == "0":
        return False
    d = [int(char) for char in value]
    tenth = (7 * sum(d[0:9:2]) - sum(d[1:8:2])) % 10
    return d[9] == tenth and d[10] == sum(d[:10]) % 10


def validate_tax_identifier(value: str) -> None:
    """A VKN or a TCKN, with a message saying what is wrong with it."""
    if not value.isascii() or not value.isdigit():
        raise ValidationError(
            _("A VKN/TCKN has only digits; %(value)s has other characters."), code="not_digits", params={"value": value}
        )
    if len(value) == 10:
        if not vkn_is_valid(value):
            raise ValidationError(_("%(value)s is not a valid VKN: its check digit is wrong."), code="vkn_check", params={"value": value})
    elif len(value) == 11:
        if not tckn_is_valid(value):
            raise ValidationError(_("%(value)s is not a valid TCKN: its check digits are wrong."), code="tckn_check", params={"value": value})
    else:
        raise ValidationError(
            _("A VKN has 10 digits and a TCKN 11; %(value)s has %(length)d."),
            code="length",
            params={"value": value, "length": len(value)},
        )
