"""UBL-TR 1.2 invoice XML → invoice data: bulk uploads and incoming invoices become the same objects
the builder writes. Untrusted bytes go through ``schematron.parsing.parse_untrusted`` first."""

import base64
import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _
from lxml import etree

from integrator.errors import DomainError
from ubl.document import (
    INTERNET_SALE,
    KDV,
    PAYMENT_AGENT,
    PAYMENT_DATE,
    PAYMENT_METHOD,
    REPLACES_DESPATCH,
    Address,
    AllowanceCharge,
    DocumentReference,
    Export,
    InternetSale,
    Invoice,
    Line,
    Party,
    Tax,
    TaxSubtotal,
    Totals,
    Withholding,
)
from ubl.names import NS

PACKAGE = "cac:Delivery/cac:Shipment/cac:TransportHandlingUnit/cac:ActualPackage"


class ParseError(DomainError, ValueError):
    """The XML is well-formed but not a document the model can hold; says where, in the active language."""

    code = "parse_error"


def _text(node, path: str) -> str:
    found = node.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _decimal(node, path: str, default: Decimal | None = None) -> Decimal | None:
    text = _text(node, path)
    if not text:
        return default
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ParseError(_("%(path)s: %(text)r is not a number"), path=path, text=text) from None


def _iso(node, path: str, kind: type, width: int, form: str):
    # UBL allows a time zone after a date or time; the model keeps the local part.
    text = _text(node, path)
    try:
        return kind.fromisoformat(text[:width]) if text else None
    except ValueError:
        raise ParseError(_("%(path)s: %(text)r is not a date or time (%(form)s)"), path=path, text=text, form=form) from None


def _date(node, path: str) -> datetime.date | None:
    return _iso(node, path, datetime.date, 10, "YYYY-MM-DD")


def _time(node, path: str) -> datetime.time | None:
    return _iso(node, path, datetime.time, 8, "hh:mm:ss")


def _address(node) -> Address:
    if node is None:
        return Address()
    return Address(
        street=_text(node, "cbc:StreetName"),
        building_number=_text(node, "cbc:BuildingNumber"),
        district=_text(node, "cbc:CitySubdivisionName"),
        city=_text(node, "cbc:CityName"),
        postal_code=_text(node, "cbc:PostalZone"),
        country=_text(node, "cac:Country/cbc:Name"),
        country_code=_text(node, "cac:Country/cbc:IdentificationCode"),
    )


def _party(node) -> Party:
    if node is None:
        raise ParseError(_("the invoice has no supplier or customer party"))
    ids = [(i.get("schemeID", ""), (i.text or "").strip()) for i in node.findall("cac:PartyIdentification/cbc:ID", NS)]
    # A foreign buyer (IHRACAT, YOLCUBERABER) has no VKN/TCKN, only ids such as PARTYTYPE.
    main = next(((s, v) for s, v in ids if s in ("VKN", "TCKN")), ("", ""))
    return Party(
        identifier=main[1],
        name=_text(node, "cac:PartyName/cbc:Name"),
        first_name=_text(node, "cac:Person/cbc:FirstName"),
        last_name=_text(node, "cac:Person/cbc:FamilyName"),
        tax_office=_text(node, "cac:PartyTaxScheme/cac:TaxScheme/cbc:Name"),
        address=_address(node.find("cac:PostalAddress", NS)),
        email=_text(node, "cac:Contact/cbc:ElectronicMail"),
        phone=_text(node, "cac:Contact/cbc:Telephone"),
        website=_text(node, "cbc:WebsiteURI"),
        legal_name=_text(node, "cac:PartyLegalEntity/cbc:RegistrationName"),
        legal_id=_text(node, "cac:PartyLegalEntity/cbc:CompanyID"),
        nationality=_text(node, "cac:Person/cbc:NationalityID"),
        passport_id=_text(node, "cac:Person/cac:IdentityDocumentReference/cbc:ID"),
        passport_date=_date(node, "cac:Person/cac:IdentityDocumentReference/cbc:IssueDate"),
        extra_ids=[(s, v) for s, v in ids if (s, v) != main],
    )


def _reference(node) -> DocumentReference:
    id_node = node.find("cbc:ID", NS)
    return DocumentReference(
        id=_text(node, "cbc:ID"),
        id_scheme=id_node.get("schemeID", "") if id_node is not None else "",
        issue_date=_date(node, "cbc:IssueDate"),
        type_code=_text(node, "cbc:DocumentTypeCode"),
        type=_text(node, "cbc:DocumentType"),
    )


def _allowance_charge(node) -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=_text(node, "cbc:ChargeIndicator") == "true",
        amount=_decimal(node, "cbc:Amount", Decimal("0")),
        reason=_text(node, "cbc:AllowanceChargeReason"),
        rate=_decimal(node, "cbc:MultiplierFactorNumeric"),
        base_amount=_decimal(node, "cbc:BaseAmount"),
    )


def _subtotal(node) -> TaxSubtotal:
    return TaxSubtotal(
        code=_text(node, "cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode"),
        percent=_decimal(node, "cbc:Percent", Decimal("0")),
        taxable=_decimal(node, "cbc:TaxableAmount", Decimal("0")),
        amount=_decimal(node, "cbc:TaxAmount", Decimal("0")),
        name=_text(node, "cac:TaxCategory/cac:TaxScheme/cbc:Name"),
        exemption_code=_text(node, "cac:TaxCategory/cbc:TaxExemptionReasonCode"),
        exemption_reason=_text(node, "cac:TaxCategory/cbc:TaxExemptionReason"),
        calculation_sequence=_text(node, "cbc:CalculationSequenceNumeric"),
    )


def _subtotals(node, path: str) -> list[TaxSubtotal]:
    return [_subtotal(s) for s in node.findall(f"{path}/cac:TaxSubtotal", NS)]


def _line(node) -> Line:
    quantity = node.find("cbc:InvoicedQuantity", NS)
    taxes = [
        Tax(s.code, s.percent, s.name, s.amount, s.taxable, s.exemption_code, s.exemption_reason, s.calculation_sequence)
        for s in _subtotals(node, "cac:TaxTotal")
    ]
    withholdings = [Withholding(s.code, s.percent, s.name, s.amount, s.taxable) for s in _subtotals(node, "cac:WithholdingTaxTotal")]
    return Line(
        name=_text(node, "cac:Item/cbc:Name"),
        quantity=_decimal(node, "cbc:InvoicedQuantity", Decimal("0")),
        unit_code=quantity.get("unitCode", "") if quantity is not None else "",
        unit_price=_decimal(node, "cac:Price/cbc:PriceAmount", Decimal("0")),
        taxes=taxes,
        withholdings=withholdings,
        allowances_charges=[_allowance_charge(ac) for ac in node.findall("cac:AllowanceCharge", NS)],
        id=_text(node, "cbc:ID"),
        description=_text(node, "cac:Item/cbc:Description"),
        note=_text(node, "cbc:Note"),
        seller_code=_text(node, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
        buyer_code=_text(node, "cac:Item/cac:BuyersItemIdentification/cbc:ID"),
        manufacturer_code=_text(node, "cac:Item/cac:ManufacturersItemIdentification/cbc:ID"),
        brand=_text(node, "cac:Item/cbc:BrandName"),
        model=_text(node, "cac:Item/cbc:ModelName"),
        origin_country=_text(node, "cac:Item/cac:OriginCountry/cbc:IdentificationCode"),
        commodity_code=_text(node, "cac:Delivery/cac:Shipment/cac:GoodsItem/cbc:RequiredCustomsID"),
        additional_ids=[(i.get("schemeID", ""), (i.text or "").strip()) for i in node.findall("cac:Item/cac:AdditionalItemIdentification/cbc:ID", NS)],
        classification_codes=[(c.text or "").strip() for c in node.findall("cac:Item/cac:CommodityClassification/cbc:ItemClassificationCode", NS)],
        instances=[(_text(i, "cbc:ProductTraceID"), _text(i, "cbc:SerialID")) for i in node.findall("cac:Item/cac:ItemInstance", NS)],
        package_id=_text(node, f"{PACKAGE}/cbc:ID"),
        package_quantity=_decimal(node, f"{PACKAGE}/cbc:Quantity"),
        package_type=_text(node, f"{PACKAGE}/cbc:PackagingTypeCode"),
        line_extension=_decimal(node, "cbc:LineExtensionAmount", Decimal("0")),
    )


def _totals(node) -> Totals:
    t = node.find("cac:LegalMonetaryTotal", NS)
    if t is None:
        raise ParseError(_("the invoice has no cac:LegalMonetaryTotal"))
    zero = Decimal("0")
    return Totals(
        line_extension=_decimal(t, "cbc:LineExtensionAmount", zero),
        tax_exclusive=_decimal(t, "cbc:TaxExclusiveAmount", zero),
        tax_inclusive=_decimal(t, "cbc:TaxInclusiveAmount", zero),
        allowance_total=_decimal(t, "cbc:AllowanceTotalAmount", zero),
        charge_total=_decimal(t, "cbc:ChargeTotalAmount", zero),
        payable_rounding=_decimal(t, "cbc:PayableRoundingAmount", zero),
        payable=_decimal(t, "cbc:PayableAmount", zero),
    )


def _payment(inv: Invoice, root) -> None:
    means = root.find("cac:PaymentMeans", NS)
    if means is not None:
        inv.payment_iban = _text(means, "cac:PayeeFinancialAccount/cbc:ID")
        inv.payment_due = _date(means, "cbc:PaymentDueDate")


def _order(root) -> DocumentReference | None:
    order = root.find("cac:OrderReference", NS)
    return None if order is None else DocumentReference(_text(order, "cbc:ID"), _date(order, "cbc:IssueDate"))


def _export(root) -> Export | None:
    """Export terms, read from the first line that states them (the builder writes them on every line)."""
    delivery = root.find("cac:InvoiceLine/cac:Delivery[cac:DeliveryTerms]", NS)
    if delivery is None or root.findtext("cbc:ProfileID", namespaces=NS) != "IHRACAT":
        return None
    return Export(
        incoterms=_text(delivery, "cac:DeliveryTerms/cbc:ID"),
        transport_mode=_text(delivery, "cac:Shipment/cac:ShipmentStage/cbc:TransportModeCode"),
        delivery_address=_address(delivery.find("cac:DeliveryAddress", NS)),
    )


def says_replaces_despatch(note: str) -> bool:
    """Whether a cbc:Note is "İrsaliye yerine geçer." however it is cased, dotted or spelt in ASCII."""
    return _folded(note).rstrip(". ") == _folded(REPLACES_DESPATCH).rstrip(". ")


def _folded(text: str) -> str:
    return " ".join(text.translate(_ASCII).lower().split())


_ASCII = str.maketrans("çğıİöşüÇĞÖŞÜ", "cgiIosuCGOSU")


def _details(root) -> dict[str, str]:
    """The internet sale's cac:AdditionalDocumentReference entries, by cbc:DocumentType (ubl.build)."""
    kinds = (INTERNET_SALE, PAYMENT_METHOD, PAYMENT_AGENT, PAYMENT_DATE)
    details: dict[str, str] = {}
    for ref in root.findall("cac:AdditionalDocumentReference", NS):
        kind = _text(ref, "cbc:DocumentType").upper()
        if kind in kinds:
            details.setdefault(kind, _text(ref, "cbc:ID"))
    return details


def _internet_sale(root) -> InternetSale | None:
    details = _details(root)
    if INTERNET_SALE not in details:
        return None
    carrier = root.find("cac:Delivery/cac:CarrierParty", NS)
    date = details.get(PAYMENT_DATE, "")
    try:
        paid = datetime.date.fromisoformat(date) if date else None
    except ValueError:
        raise ParseError(_("%(path)s: %(text)r is not a date or time (%(form)s)"), path="ODEME_TARIHI", text=date, form="YYYY-MM-DD") from None
    return InternetSale(
        website=details[INTERNET_SALE],
        payment_method=details.get(PAYMENT_METHOD, ""),
        payment_agent=details.get(PAYMENT_AGENT, ""),
        payment_date=paid,
        carrier=None if carrier is None else Party(identifier=_text(carrier, "cac:PartyIdentification/cbc:ID"),
                                                   name=_text(carrier, "cac:PartyName/cbc:Name")),
        despatch_date=_date(root, "cac:Delivery/cac:Despatch/cbc:ActualDespatchDate"),
    )


def embedded_xslt(root) -> bytes | None:
    """The display XSLT the invoice carries, if any."""
    for ref in root.findall("cac:AdditionalDocumentReference", NS):
        blob = ref.find("cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS)
        if _text(ref, "cbc:DocumentType").upper() == "XSLT" and blob is not None and (blob.text or "").strip():
            return base64.b64decode(blob.text)
    return None


def parse_summary(root: etree._Element) -> Invoice:
    """What a summary of the invoice needs (e-Arşiv's report): its type, dates, currency, customer,
    tax and withholding subtotals, totals and internet sale; its lines are not read."""
    if root.tag != f"{{{NS['inv']}}}Invoice":
        raise ParseError(_("the root element is %(root)s, not %(expected)s"), root=etree.QName(root).localname, expected="Invoice")
    rate = root.find("cac:PricingExchangeRate", NS)
    inv = Invoice(
        profile=_text(root, "cbc:ProfileID"), type_code=_text(root, "cbc:InvoiceTypeCode"), issue_date=_date(root, "cbc:IssueDate"),
        supplier=Party(identifier=""), customer=_party(root.find("cac:AccountingCustomerParty/cac:Party", NS)), lines=[],
        id=_text(root, "cbc:ID"), uuid=_text(root, "cbc:UUID"), issue_time=_time(root, "cbc:IssueTime"),
        currency=_text(root, "cbc:DocumentCurrencyCode"),
        exchange_rate=_decimal(rate, "cbc:CalculationRate") if rate is not None else None,
        tax_subtotals=_subtotals(root, "cac:TaxTotal"), withholding_subtotals=_subtotals(root, "cac:WithholdingTaxTotal"), totals=_totals(root),
    )
    inv.internet_sale = _internet_sale(root)
    return inv


def parse_invoice(root: etree._Element) -> Invoice:
    if root.tag != f"{{{NS['inv']}}}Invoice":
        raise ParseError(_("the root element is %(root)s, not %(expected)s"), root=etree.QName(root).localname, expected="Invoice")
    rate = root.find("cac:PricingExchangeRate", NS)
    inv = Invoice(
        profile=_text(root, "cbc:ProfileID"),
        type_code=_text(root, "cbc:InvoiceTypeCode"),
        issue_date=_date(root, "cbc:IssueDate"),
        supplier=_party(root.find("cac:AccountingSupplierParty/cac:Party", NS)),
        customer=_party(root.find("cac:AccountingCustomerParty/cac:Party", NS)),
        lines=[_line(line) for line in root.findall("cac:InvoiceLine", NS)],
        id=_text(root, "cbc:ID"),
        uuid=_text(root, "cbc:UUID"),
        issue_time=_time(root, "cbc:IssueTime"),
        currency=_text(root, "cbc:DocumentCurrencyCode"),
        exchange_rate=_decimal(rate, "cbc:CalculationRate") if rate is not None else None,
        notes=[(n.text or "") for n in root.findall("cbc:Note", NS) if not says_replaces_despatch(n.text or "")],
        order=_order(root),
        despatches=[_reference(r) for r in root.findall("cac:DespatchDocumentReference", NS)],
        billing_references=[_reference(r) for r in root.findall("cac:BillingReference/cac:InvoiceDocumentReference", NS)],
        contracts=[_reference(r) for r in root.findall("cac:ContractDocumentReference", NS)],
        allowances_charges=[_allowance_charge(ac) for ac in root.findall("cac:AllowanceCharge", NS)],
        signer_identifier=_text(root, "cac:Signature/cbc:ID"),
        tax_subtotals=_subtotals(root, "cac:TaxTotal"),
        withholding_subtotals=_subtotals(root, "cac:WithholdingTaxTotal"),
        totals=_totals(root),
    )
    buyer = root.find("cac:BuyerCustomerParty/cac:Party", NS)
    inv.buyer_customer = _party(buyer) if buyer is not None else None
    inv.export = _export(root)
    representative = root.find("cac:TaxRepresentativeParty", NS)
    inv.tax_representative = _party(representative) if representative is not None else None
    inv.replaces_despatch = any(says_replaces_despatch(n.text or "") for n in root.findall("cbc:Note", NS))
    inv.internet_sale = _internet_sale(root)
    if inv.type_code == "OZELMATRAH":  # the KDV base the law sets travels as the KDV's taxable amount
        for line in inv.lines:
            line.special_base = next((t.taxable for t in line.taxes if t.code == KDV), None)
    _payment(inv, root)
    return inv
