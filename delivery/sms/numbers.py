"""Turkish mobile numbers as people write them, made one form: the ten digits after +90, 5XXXXXXXXX."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from integrator.errors import DomainError

SEPARATORS = str.maketrans("", "", " \t-./()")  # what people put between the digits


class InvalidNumber(DomainError):
    code = "delivery_invalid_number"
    message = _("%(number)s is not a Turkish mobile phone number (0 5XX XXX XX XX).")


def mobile_number(value: str) -> str:
    """"0532 123 45 67", "+90 532 123 45 67", "0090…", "905321234567", "5321234567" → "5321234567".

    Anything else is refused with InvalidNumber: a landline (0212…), a number abroad, letters, too
    few or too many digits. Turkish mobiles are the numbers of the 5 area, ten digits after +90.
    """
    digits = (value or "").strip().translate(SEPARATORS)
    for prefix in ("+90", "0090", "90", "0"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 10:
            digits = digits[len(prefix):]
            break
    if not (len(digits) == 10 and digits.isascii() and digits.isdigit() and digits.startswith("5")):
        raise InvalidNumber(number=(value or "").strip() or '""')
    return digits
