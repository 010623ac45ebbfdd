"""An upload's report: a row per file (its name, what became of it, the invoice's number and ETTN,
and each reason with GİB's rule, the XPath and the line), as CSV or as an Excel workbook, in the
language of the person who asks."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from schematron.validation import localized
from uploads.models import Upload, UploadFile

COLUMNS = [_("File"), _("Result"), _("Invoice number"), _("ETTN"), _("Rule"), _("XPath"), _("Line"), _("Reason")]


def rows(upload: Upload):
    """The report's rows after its heading: one per reason of a refused file, one for each other file."""
    yield [str(column) for column in COLUMNS]
    duplicate = _("already here") if upload.purpose == Upload.Purpose.MOVE_IN else _("duplicate")
    for file in UploadFile.objects.filter(upload=upload).order_by("position").defer("data", "payload").iterator(chunk_size=500):
        result = str(duplicate) if file.duplicate else file.get_state_display()
        for error in file.errors or [{}]:
            yield [file.name, result, file.number, file.uuid, error.get("rule", ""), error.get("xpath") or "",
                   error.get("line") or "", localized(error) if error else ""]


def as_csv(upload: Upload) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows(upload):
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # with its BOM, Excel reads the Turkish letters as UTF-8


def as_xlsx(upload: Upload) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_("Upload")))
    for number, row in enumerate(rows(upload)):
        if number == 0:
            sheet.append([_bold(sheet, value) for value in row])
        else:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _bold(sheet, value):
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True)
    return cell
