"""Texts of failed asserts: templates with ``{n}`` filled with the values a run reported.

GİB writes its assert texts in Turkish only.  Their English texts live in ``gib_messages_en.json``,
keyed by GİB's Turkish template (whitespace normalised, NFC), not by rule id or position: when GİB
republishes its schematron, a text it left unchanged keeps its translation, and a changed or new
one falls back to an English sentence that names the rule and quotes GİB's Turkish text.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

from schematron.compiler import AssertInfo, normalize_space

CATALOG = Path(__file__).resolve().parent / "gib_messages_en.json"
PLACEHOLDER = re.compile(r"\{(\d+)\}")


def fill(template: str, values: tuple[str, ...] | list[str]) -> str:
    """``template`` with each ``{n}`` replaced by ``values[n]``; white space normalised as before."""

    def value(match: re.Match) -> str:
        number = int(match[1])
        # A placeholder without a value stays visible rather than failing the whole report.
        return values[number] if number < len(values) else match[0]

    return normalize_space(PLACEHOLDER.sub(value, template))


def catalog_key(template: str) -> str:
    return unicodedata.normalize("NFC", normalize_space(template))


@cache
def english_templates() -> dict[str, str]:
    """Turkish template → English template, as shipped in the catalog."""
    entries = json.loads(CATALOG.read_text(encoding="utf-8"))
    return {catalog_key(turkish): english for turkish, english in entries.items()}


def english(info: AssertInfo, values: tuple[str, ...]) -> str:
    """The English text of a failed GİB assert; never empty."""
    if not info.message:
        return f"GİB rule {info.rule} failed: {info.test}"
    template = english_templates().get(catalog_key(info.message))
    if template is None:
        return f"GİB rule {info.rule} failed (no English text for it yet). GİB's message: {fill(info.message, values)}"
    return fill(template, values)
