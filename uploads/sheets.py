"""The Excel sheet of a bulk upload: one row per invoice line, the invoice's columns repeated on
each of its lines, the lines of one invoice grouped by its key (``invoice_key``). The template the
portal offers (``template``) heads each column with its label and, in brackets, its key: the key is
what is read back, so a template in either language reads the same.

Each invoice becomes the documented JSON payload (``invoices.payload``), checked as the API checks it;
what the sheet itself gets wrong (no key column, a line without its invoice's key, cells of one
invoice that differ) refuses the sheet or that invoice with the row and the column."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from integrator.errors import DomainError

KEY = "invoice_key"
ETTN = "ettn"  # optional: given, the invoice keeps it, so a sheet sent again issues nothing new
# (key, label): the invoice's columns, then the line's. A customer is a VKN (10 digits) with its
# title, or a TCKN (11 digits) with a first and a last name.
INVOICE_COLUMNS = [
    (KEY, _("Invoice key")),
    (ETTN, _("ETTN (optional)")),
    ("profile", _("Profile")),
    ("type", _("Type")),
    ("issue_date", _("Issue date")),
    ("currency", _("Currency")),
    ("exchange_rate", _("Exchange rate")),
    ("customer_vkn_tckn", _("Customer VKN/TCKN")),
    ("customer_name", _("Customer title")),
    ("customer_first_name", _("Customer first name")),
    ("customer_last_name", _("Customer last name")),
    ("customer_tax_office", _("Tax office")),
    ("customer_street", _("Street")),
    ("customer_district", _("District")),
    ("customer_city", _("City")),
    ("customer_email", _("E-mail")),
    ("customer_phone", _("Phone")),
    ("receiver_alias", _("Receiver alias")),
    ("note", _("Note")),
]
LINE_COLUMNS = [
    ("line_name", _("Item")),
    ("line_quantity", _("Quantity")),
    ("line_unit", _("Unit code")),
    ("line_unit_price", _("Unit price")),
    ("line_discount", _("Discount amount")),
    ("line_kdv_rate", _("KDV rate (%)")),
    ("line_kdv_exemption_code", _("KDV exemption code")),
    ("line_kdv_exemption_reason", _("KDV exemption reason")),
]
COLUMNS = INVOICE_COLUMNS + LINE_COLUMNS
EXAMPLE = {KEY: "1", "profile": "TICARIFATURA", "type": "SATIS", "currency": "TRY", "customer_vkn_tckn": "4840847211",
           "customer_name": "B Gıda Ltd. Şti.", "customer_tax_office": "Çankaya", "customer_district": "Çankaya",
           "customer_city": "Ankara", "line_name": "Pamuklu kumaş", "line_quantity": "12.5", "line_unit": "MTR",
           "line_unit_price": "40.10", "line_kdv_rate": "20"}
MAX_ROWS = 20_000
_BRACKETED = re.compile(r"\[([a-z_]+)\]\s*$")


class SheetInvalid(DomainError):
    """The sheet, or one invoice of it, as it cannot be read; worded when shown (``str``), in the language then active."""

    code = "sheet_invalid"
    message = _("The sheet cannot be read.")


def template(*, today: dt.date) -> bytes:
    """The template, headed in the active language, with one example line dated *today*."""
    book = Workbook()
    sheet = book.active
    sheet.title = "fatura"
    sheet.append([f"{label} [{key}]" for key, label in COLUMNS])
    sheet.append([today.isoformat() if key == "issue_date" else EXAMPLE.get(key, "") for key, _label in COLUMNS])
    for index, (key, _label) in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(str(sheet.cell(row=1, column=index).value)) + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _key(header) -> str:
    text = str(header or "").strip()
    found = _BRACKETED.search(text)
    return found.group(1) if found else text.lower()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(Decimal(repr(value)).normalize()) if value != int(value) else str(int(value))
    return str(value).strip()


def invoices(data: bytes) -> list[tuple[str, int, dict | None, SheetInvalid | None]]:
    """(key, first row, payload, problem) for each invoice of the sheet, in the order they first
    appear; the payload is None when the problem refuses it. Raises SheetInvalid when the sheet as a
    whole cannot be read."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises what zipfile, lxml and its own readers raise
        raise SheetInvalid(_("The sheet cannot be read: it is not an Excel workbook (.xlsx) (%(kind)s)."), kind=type(exc).__name__) from None
    rows = book.worksheets[0].iter_rows(values_only=True)
    keys = [_key(header) for header in next(rows, ())]
    if KEY not in keys:
        raise SheetInvalid(_("The sheet cannot be read: its first row names no %(key)s column."), key=KEY)
    groups: dict[str, tuple[int, list[dict]]] = {}
    for number, values in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            raise SheetInvalid(_("The sheet cannot be read: it has more than %(limit)s rows."), limit=MAX_ROWS)
        row = {key: _cell(value) for key, value in zip(keys, values) if key}
        if not any(row.values()):
            continue
        key = row.get(KEY, "")
        if not key:
            raise SheetInvalid(_("The sheet cannot be read: row %(row)s has no %(key)s."), row=number, key=KEY)
        groups.setdefault(key, (number, []))[1].append(row)
    book.close()
    if not groups:
        raise SheetInvalid(_("The sheet cannot be read: it holds no invoice lines."))
    return [(key, first, *_payload(rows)) for key, (first, rows) in groups.items()]


def _payload(rows: list[dict]) -> tuple[dict | None, SheetInvalid | None]:
    first = rows[0]
    for row in rows[1:]:
        for key, _label in INVOICE_COLUMNS:
            if row.get(key, "") and row.get(key, "") != first.get(key, ""):
                return None, SheetInvalid(_("Its lines differ in %(column)s: “%(first)s” and “%(other)s”."), column=key,
                                          first=first.get(key, ""), other=row.get(key, ""))
    return _invoice(first, rows), None


def _given(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in ("", None)}


def _invoice(first: dict, rows: list[dict]) -> dict:
    identifier = first.get("customer_vkn_tckn", "")
    customer = _given({
        "tckn" if len(identifier) == 11 else "vkn": identifier, "name": first.get("customer_name", ""),
        "first_name": first.get("customer_first_name", ""), "last_name": first.get("customer_last_name", ""),
        "tax_office": first.get("customer_tax_office", ""), "email": first.get("customer_email", ""),
        "phone": first.get("customer_phone", ""),
    })
    customer["address"] = _given({"street": first.get("customer_street", ""), "district": first.get("customer_district", ""),
                                  "city": first.get("customer_city", "")})
    payload = _given({
        ETTN: first.get(ETTN, ""), "profile": first.get("profile", ""), "type": first.get("type", "") or "SATIS", "issue_date": first.get("issue_date", ""),
        "currency": first.get("currency", ""), "exchange_rate": first.get("exchange_rate", ""),
        "receiver_alias": first.get("receiver_alias", ""),
    })
    payload["customer"] = customer
    if first.get("note"):
        payload["notes"] = [first["note"]]
    payload["lines"] = [_line(row) for row in rows]
    return payload


def _line(row: dict) -> dict:
    line = _given({
        "name": row.get("line_name", ""), "quantity": row.get("line_quantity", ""), "unit": row.get("line_unit", ""),
        "unit_price": row.get("line_unit_price", ""), "kdv_rate": row.get("line_kdv_rate", ""),
        "kdv_exemption_code": row.get("line_kdv_exemption_code", ""), "kdv_exemption_reason": row.get("line_kdv_exemption_reason", ""),
    })
    if row.get("line_discount"):
        line["allowances"] = [{"amount": row["line_discount"], "reason": "İskonto"}]
    return line
