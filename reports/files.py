"""A report's table as a file: CSV (UTF-8 with a BOM, so spreadsheets read Turkish letters) or XLSX
(openpyxl; numbers as numbers). The same rows and values as the page's table and chart."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from reports.selectors import Period, Table

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def filename(table: Table, period: Period, fmt: str) -> str:
    return f"{table.name}-{period.start.isoformat()}-{period.end.isoformat()}-{period.granularity}.{fmt}"


def table_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([row[c.key] for c in table.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = table.name[:31]
    sheet.append([str(c.label) for c in table.columns])
    for row in table.rows:
        sheet.append([row[c.key] for c in table.columns])
    for index, column in enumerate(table.columns, start=1):
        if column.kind in ("money", "percent"):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "#,##0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


WRITERS = {"csv": table_csv, "xlsx": table_xlsx}
