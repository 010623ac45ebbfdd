"""A return invoice (İade faturası) prepared from an invoice received: an e-Fatura is never cancelled;
the buyer who sends goods back issues an IADE invoice to its supplier, naming the invoice returned.

The return is prepared as the API's payload (``invoices.payload``), kept as a draft of the portal's
form, for a person to check (quantities returned, prices) and issue; nothing is issued here."""

from __future__ import annotations

from decimal import Decimal

from invoices import documents
from invoices.models import Invoice
from schematron.parsing import UnsafeOrBroken, parse_untrusted
from tenants.models import Tenant
from ubl import parse
from ubl.document import Line, Party

# What may be returned with an IADE: what was sold. A withholding's return (TEVKIFATIADE), an export
# and the public sector's invoices have their own ways.
RETURNABLE_PROFILES = ("TEMELFATURA", "TICARIFATURA")
RETURNABLE_TYPES = ("SATIS", "ISTISNA", "OZELMATRAH", "IHRACKAYITLI")
KDV = "0015"


def returnable(invoice: Invoice) -> bool:
    """Whether the platform prepares a return of *invoice*: an e-Fatura received, sold, and not refused."""
    return (invoice.direction == Invoice.Direction.INCOMING and invoice.profile in RETURNABLE_PROFILES
            and invoice.type_code in RETURNABLE_TYPES and invoice.answer != "RED")


def _amount(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def _party(party: Party) -> dict:
    kind = "tckn" if len(party.identifier) == 11 else "vkn"
    data = {kind: party.identifier, "name": party.name, "first_name": party.first_name, "last_name": party.last_name,
            "tax_office": party.tax_office, "email": party.email, "phone": party.phone,
            "address": {"street": party.address.street, "building_number": party.address.building_number,
                        "district": party.address.district, "city": party.address.city, "postal_code": party.address.postal_code,
                        "country": party.address.country or "Türkiye"}}
    return {key: value for key, value in data.items() if value}


def _line(line: Line) -> dict:
    kdv = next((tax for tax in line.taxes if tax.code == KDV), None)
    data = {"name": line.name, "quantity": _amount(line.quantity), "unit": line.unit_code, "unit_price": _amount(line.unit_price),
            "kdv_rate": _amount(kdv.percent) if kdv else "0", "description": line.description, "seller_code": line.seller_code,
            "buyer_code": line.buyer_code, "brand": line.brand, "model": line.model}
    if kdv and kdv.exemption_code:
        data |= {"kdv_exemption_code": kdv.exemption_code, "kdv_exemption_reason": kdv.exemption_reason}
    others = [{"code": tax.code, "rate": _amount(tax.percent), "name": tax.name} for tax in line.taxes if tax.code != KDV]
    if others:
        data["taxes"] = others
    allowances = [{"amount": _amount(a.amount), "reason": a.reason} for a in line.allowances_charges if not a.is_charge]
    if allowances:
        data["allowances"] = allowances
    return {key: value for key, value in data.items() if value not in ("", None)}


def return_payload(*, tenant: Tenant, invoice: Invoice) -> dict:
    """The IADE invoice that returns *invoice* whole to its supplier, as the API takes it.

    Raises ``ValueError`` for an invoice that is not *tenant*'s to return, or whose XML cannot be read."""
    if invoice.tenant_id != tenant.id or not returnable(invoice):
        raise ValueError("not returnable")
    try:
        document = parse.parse_invoice(parse_untrusted(documents.invoice_xml(invoice)).tree.getroot())
    except (UnsafeOrBroken, parse.ParseError) as exc:
        raise ValueError(str(exc)) from None
    payload = {
        "profile": "TEMELFATURA" if tenant.efatura_registered else "EARSIVFATURA",
        "type": "IADE",
        "currency": document.currency,
        "returns": [{"id": document.id or invoice.number, "issue_date": document.issue_date.isoformat()}],
        "customer": _party(document.supplier),
        "lines": [_line(line) for line in document.lines],
    }
    if document.exchange_rate is not None:
        payload["exchange_rate"] = _amount(document.exchange_rate)
    return payload
