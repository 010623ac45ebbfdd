"""Template helpers for the invoice pages."""

from django import template
from django.utils import translation

from envelopes import codes

register = template.Library()


@register.filter
def gib_meaning(code) -> str:
    """What GİB's status code (or sendDocument fault) *code* means, in the page's language; "" for a
    code that is not GİB's (KABUL, RED, a schematron rule)."""
    text = str(code if code is not None else "").strip()
    if not text.isdigit():
        return ""
    number = int(text)
    entry = codes.FAULTS.get(number) or codes.status(number)
    english = (translation.get_language() or "").startswith("en")
    return entry.text_en if english else entry.text_tr
