"""The PDF of an invoice: ``pdf_render`` turns a sealed UBL-TR invoice (or an incoming one, a
stranger's) into an A4 PDF, as the buyer reads it.

It is drawn through the invoice's own design, with GİB's karekod and the phrases integrators print,
fetching nothing from outside, with DejaVu fonts only, in a worker process that is stopped when a
design loops or grows (``PDF_RENDER_SECONDS``, ``PDF_RENDER_MEMORY_MB``). How, step by step:
``delivery.rendering`` (``page``, ``layout``, ``worker``); the karekod: ``delivery.karekod``.
"""

from __future__ import annotations

from pathlib import Path

from delivery.rendering import PdfError, PdfTimedOut, PdfTooLarge
from delivery.rendering.page import DESPATCH_PHRASE, EARSIV_PHRASE, INTERNET_PHRASE
from delivery.rendering.worker import draw
from schematron.package import PackageError, active_package

__all__ = ["DESPATCH_PHRASE", "EARSIV_PHRASE", "INTERNET_PHRASE", "PdfError", "PdfTimedOut", "PdfTooLarge", "pdf_render"]

GIB_DESIGN = "general.xslt"  # GİB's own design, in the installed package's xslt/ folder


def pdf_render(xml: bytes) -> bytes:
    """The invoice *xml* as the bytes of an A4 PDF. Raises invoices.display's DisplayError for what
    cannot be drawn: StylesheetRefused for a design that fails, PdfTimedOut and PdfTooLarge for one
    that runs out of time or memory, PdfError for anything else; never lxml's or weasyprint's errors."""
    return draw(xml, gib_design=_gib_design())


def _gib_design() -> Path | None:
    """GİB's general.xslt from the installed package: the design of an invoice that brings none."""
    try:
        path = active_package().path / "xslt" / GIB_DESIGN
    except PackageError:
        return None
    return path if path.is_file() else None
