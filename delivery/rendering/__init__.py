"""Drawing an invoice as a PDF, in three steps (``delivery.pdf.pdf_render`` is the door):

- ``page``: the document's HTML through its design (its own XSLT, else GİB's ``general.xslt``, else the
  platform's), made safe to lay out, with the platform's part put in: the karekod and the phrases.
- ``layout``: that HTML laid out on A4 by weasyprint, with DejaVu fonts only and nothing fetched from
  outside, and the PDF's metadata.
- ``worker``: both run in a process of their own, with a deadline and a memory cap, since libxslt and
  the layout run in C where nothing else can stop them.
"""

from django.utils.translation import gettext_lazy as _

from invoices.display import DisplayError


class PdfError(DisplayError):
    code = "pdf_error"
    message = _("The PDF cannot be made: %(reason)s.")


class PdfTimedOut(PdfError):
    code = "pdf_timed_out"
    message = _("The PDF cannot be made: drawing it took longer than %(seconds)s seconds.")


class PdfTooLarge(PdfError):
    code = "pdf_too_large"
    message = _("The PDF cannot be made: drawing it needed more than %(megabytes)s MB of memory.")
