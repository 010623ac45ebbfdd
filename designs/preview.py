"""A design shown on the tenant's sample invoice, the way documents are shown: the HTML through
``invoices.display`` (under DENY_ALL: nothing read or written from outside), the PDF in the PDF worker
(``delivery.rendering``: a deadline and a memory cap, so a design that loops or grows is stopped)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from delivery.rendering.worker import draw
from invoices.display import render_html
from tenants.models import Tenant
from designs.sample import sample_invoice


def preview_html(*, tenant: Tenant, xslt: bytes) -> bytes:
    xml, _invoice = sample_invoice(tenant=tenant)
    return render_html(xml=xml, fallback_xslt=xslt)


def preview_pdf(*, tenant: Tenant, xslt: bytes) -> bytes:
    """The sample drawn as a PDF through *xslt*. Raises DisplayError (StylesheetRefused, PdfTimedOut,
    PdfTooLarge…) for a design that cannot be drawn; it is never replaced by another design here."""
    xml, _invoice = sample_invoice(tenant=tenant)
    with tempfile.TemporaryDirectory(prefix="design-") as folder:
        path = Path(folder) / "design.xslt"
        path.write_bytes(xslt)
        return draw(xml, gib_design=path)
