"""Invoice data → UBL-TR 1.2 XML. One function per section, each writing its elements in the order
GİB's schema (UBL-Invoice-2.1.xsd, UBL-TR 1.2.1 package) requires; the GİB rule a line satisfies is
named beside it.

Two things UBL-TR has no element of its own for are written as Turkish integrators write them (and as
``ubl.parse`` and the PDF, ``delivery.pdf``, read them back):

- **An internet sale** (e-Arşiv, VUK General Communiqué 509; ``Invoice.internet_sale``): the web
  address is the supplier's ``cbc:WebsiteURI``; each detail is one ``cac:AdditionalDocumentReference``
  whose ``cbc:DocumentType`` names it and whose ``cbc:ID`` holds its value (its ``cbc:IssueDate``,
  which the schema requires and GİB's rules keep from the future, is the invoice's own)::

      INTERNET_SATIS  the web address of the sale        https://magaza.example.com.tr
      ODEME_SEKLI     how it was paid (GİB's odemeSekli)  KREDIKARTI/BANKAKARTI, EFT/HAVALE, KAPIDAODEME,
                                                          ODEMEARACISI, DIGER or "DIGER - <how>"
      ODEME_ARACISI   the payment intermediary            iyzico
      ODEME_TARIHI    the day it was paid, YYYY-MM-DD     2026-11-20

  The carrier is ``cac:Delivery/cac:CarrierParty`` (its VKN or TCKN and its name; the schema's
  required address left empty) and the despatch date ``cac:Delivery/cac:Despatch/cbc:ActualDespatchDate``.
- **"İrsaliye yerine geçer"** (``Invoice.replaces_despatch``): the ``cbc:Note`` "İrsaliye yerine geçer.",
  after the invoice's other notes.
"""

import base64
import dataclasses
from decimal import Decimal
from functools import cache
from pathlib import Path

from lxml import etree

from ubl.document import (
    INTERNET_SALE,
    PAYMENT_AGENT,
    PAYMENT_DATE,
    PAYMENT_METHOD,
    REPLACES_DESPATCH,
    AllowanceCharge,
    DocumentReference,
    Export,
    Invoice,
    Line,
    Party,
    TaxSubtotal,
)
from ubl.names import EXT, INVOICE_NS, NSMAP, SLOT_NS, cac, cbc
from ubl.words import amount_in_words

DEFAULT_XSLT = Path(__file__).with_name("default.xslt")


@cache
def default_xslt() -> bytes:
    """The platform's design, read once per process: it goes into every invoice without one of its own."""
    return DEFAULT_XSLT.read_bytes()


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v})
    if text is not None:
        element.text = text
    return element


def _opt(parent: etree._Element, tag: str, text: str | None) -> None:
    if text:
        _el(parent, tag, text)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _amount(parent, tag: str, value: Decimal, currency: str) -> None:
    _el(parent, cbc(tag), _money(value), currencyID=currency)


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def extensions(root) -> None:
    """The empty seal slot every sealed UBL-TR document starts with (invoices and application responses)."""
    # GİB schema: ext:UBLExtensions is required; the seal goes in its ExtensionContent.
    content = _el(_el(_el(root, f"{{{EXT}}}UBLExtensions"), f"{{{EXT}}}UBLExtension"), f"{{{EXT}}}ExtensionContent")
    etree.SubElement(content, f"{{{SLOT_NS}}}SealSlot", nsmap={"slot": SLOT_NS})


def _header(root, inv: Invoice) -> None:
    _el(root, cbc("UBLVersionID"), "2.1")  # UBLVersionIDCheck
    _el(root, cbc("CustomizationID"), "TR1.2")  # CustomizationIDCheck
    _el(root, cbc("ProfileID"), inv.profile)  # ProfileIDCheck: a known scenario
    _el(root, cbc("ID"), inv.id)  # InvoiceIDCheck: ^[A-Z0-9]{3}20[0-9]{2}[0-9]{9}$
    _el(root, cbc("CopyIndicator"), "false")
    _el(root, cbc("UUID"), inv.uuid)  # UUIDCheck: the ETTN, 8-4-4-4-12 hex
    _el(root, cbc("IssueDate"), inv.issue_date.isoformat())
    if inv.issue_time is not None:
        _el(root, cbc("IssueTime"), inv.issue_time.replace(microsecond=0).isoformat())
    _el(root, cbc("InvoiceTypeCode"), inv.type_code)  # InvoiceTypeCodeList
    for note in inv.notes:
        _el(root, cbc("Note"), note)
    if inv.replaces_despatch and REPLACES_DESPATCH not in inv.notes:
        _el(root, cbc("Note"), REPLACES_DESPATCH)
    _el(root, cbc("DocumentCurrencyCode"), inv.currency)  # CurrencyCodeList
    _el(root, cbc("LineCountNumeric"), str(len(inv.lines)))  # LineCountNumeric = count(cac:InvoiceLine)


def _reference(parent, tag: str, ref: DocumentReference) -> None:
    element = _el(parent, tag)
    _el(element, cbc("ID"), ref.id, schemeID=ref.id_scheme)
    _el(element, cbc("IssueDate"), ref.issue_date.isoformat() if ref.issue_date else "")
    _opt(element, cbc("DocumentTypeCode"), ref.type_code)
    _opt(element, cbc("DocumentType"), ref.type)


def _references(root, inv: Invoice) -> None:
    if inv.order is not None:
        order = _el(root, cac("OrderReference"))
        _el(order, cbc("ID"), inv.order.id)
        _el(order, cbc("IssueDate"), inv.order.issue_date.isoformat())
    for ref in inv.billing_references:
        # IADE: each returned invoice as InvoiceDocumentReference, DocumentTypeCode IADE, a 16-character ID.
        _reference(_el(root, cac("BillingReference")), cac("InvoiceDocumentReference"), ref)
    for ref in inv.despatches:
        _reference(root, cac("DespatchDocumentReference"), ref)
    for ref in inv.contracts:
        _reference(root, cac("ContractDocumentReference"), ref)


def _xslt(root, inv: Invoice, xslt: bytes) -> None:
    ref = _el(root, cac("AdditionalDocumentReference"))
    _el(ref, cbc("ID"), inv.uuid)
    _el(ref, cbc("IssueDate"), inv.issue_date.isoformat())
    _el(ref, cbc("DocumentType"), "XSLT")  # the display template GİB's viewers apply
    attachment = _el(ref, cac("Attachment"))
    _el(
        attachment,
        cbc("EmbeddedDocumentBinaryObject"),
        base64.b64encode(xslt).decode(),
        characterSetCode="UTF-8",
        encodingCode="Base64",
        filename=f"{inv.id}.xslt",
        mimeCode="application/xml",
    )


def _internet_sale(root, inv: Invoice) -> None:
    sale = inv.internet_sale
    if sale is None:
        return
    details = ((INTERNET_SALE, sale.website), (PAYMENT_METHOD, sale.payment_method), (PAYMENT_AGENT, sale.payment_agent),
               (PAYMENT_DATE, sale.payment_date.isoformat() if sale.payment_date else ""))
    for kind, value in details:
        if value:
            ref = _el(root, cac("AdditionalDocumentReference"))
            _el(ref, cbc("ID"), value)
            _el(ref, cbc("IssueDate"), inv.issue_date.isoformat())  # TimeCheck: never after today
            _el(ref, cbc("DocumentType"), kind)


def _delivery(root, inv: Invoice) -> None:
    sale = inv.internet_sale
    if sale is None or not (sale.carrier or sale.despatch_date):
        return
    delivery = _el(root, cac("Delivery"))
    if sale.carrier is not None:
        carrier = _el(delivery, cac("CarrierParty"))
        _el(_el(carrier, cac("PartyIdentification")), cbc("ID"), sale.carrier.identifier, schemeID=sale.carrier.scheme)
        _el(_el(carrier, cac("PartyName")), cbc("Name"), sale.carrier.name)  # PartyIdentificationPartyNamePersonCheck
        _address(carrier, sale.carrier)  # the schema requires one; the e-Arşiv report asks no address
    if sale.despatch_date is not None:
        _el(_el(delivery, cac("Despatch")), cbc("ActualDespatchDate"), sale.despatch_date.isoformat())


def _signature(root, inv: Invoice) -> None:
    # Each seal's Id must be unique across an envelope (xsd:ID), so it carries the invoice number.
    signature(root, signer=inv.signer_identifier or inv.supplier.identifier, signatory=inv.supplier, seal_id=f"Signature_{inv.id}")


def signature(root, *, signer: str, signatory: Party, seal_id: str) -> None:
    """cac:Signature naming the seal's holder and pointing at the ds:Signature ``signing.xades.sign`` will
    give the Id *seal_id*; shared by invoices and application responses."""
    element = _el(root, cac("Signature"))
    _el(element, cbc("ID"), signer, schemeID="VKN_TCKN")  # SignatureCheck: schemeID VKN_TCKN, 10 or 11 digits
    party = _el(element, cac("SignatoryParty"))
    _el(_el(party, cac("PartyIdentification")), cbc("ID"), signer, schemeID="VKN" if len(signer) == 10 else "TCKN")
    _address(party, signatory)
    external = _el(_el(element, cac("DigitalSignatureAttachment")), cac("ExternalReference"))
    _el(external, cbc("URI"), f"#{seal_id}")


def _address(parent, party: Party, tag: str = "PostalAddress") -> None:
    a = party.address
    address = _el(parent, cac(tag))
    _opt(address, cbc("StreetName"), a.street)
    _opt(address, cbc("BuildingNumber"), a.building_number)
    _el(address, cbc("CitySubdivisionName"), a.district)  # required by the schema
    _el(address, cbc("CityName"), a.city)  # required by the schema
    _opt(address, cbc("PostalZone"), a.postal_code)
    country = _el(address, cac("Country"))
    _opt(country, cbc("IdentificationCode"), a.country_code)
    _el(country, cbc("Name"), a.country)


def _party(parent, party: Party) -> None:
    party_content(_el(parent, cac("Party")), party)


def _person(parent, party: Party) -> None:
    person = _el(parent, cac("Person"))  # a TCKN party needs cac:Person with FirstName and FamilyName
    _el(person, cbc("FirstName"), party.first_name)
    _el(person, cbc("FamilyName"), party.last_name)
    _opt(person, cbc("NationalityID"), party.nationality)  # TaxFreeNationalityIDCheck
    if party.passport_id:
        passport = _el(person, cac("IdentityDocumentReference"))  # PassportIDCheck
        _el(passport, cbc("ID"), party.passport_id)
        _el(passport, cbc("IssueDate"), party.passport_date.isoformat() if party.passport_date else "")


def party_content(element, party: Party) -> None:
    """The children of a UBL PartyType: cac:Party of an invoice, cac:SenderParty of an application response."""
    _opt(element, cbc("WebsiteURI"), party.website)
    if party.identifier:  # PartyIdentificationSchemeIDCheck: one VKN or TCKN, of 10 or 11 digits
        _el(_el(element, cac("PartyIdentification")), cbc("ID"), party.identifier, schemeID=party.scheme)
    for scheme, value in party.extra_ids:
        _el(_el(element, cac("PartyIdentification")), cbc("ID"), value, schemeID=scheme)
    if party.name:
        _el(_el(element, cac("PartyName")), cbc("Name"), party.name)  # a company (VKN) needs its title
    _address(element, party)
    if party.tax_office:
        _el(_el(_el(element, cac("PartyTaxScheme")), cac("TaxScheme")), cbc("Name"), party.tax_office)
    if party.legal_name or party.legal_id:
        entity = _el(element, cac("PartyLegalEntity"))  # IHRACAT: the buyer's RegistrationName is required
        _opt(entity, cbc("RegistrationName"), party.legal_name)
        _opt(entity, cbc("CompanyID"), party.legal_id)
    if party.phone or party.email:
        contact = _el(element, cac("Contact"))
        _opt(contact, cbc("Telephone"), party.phone)
        _opt(contact, cbc("ElectronicMail"), party.email)
    if party.scheme == "TCKN" or party.first_name or party.last_name:
        _person(element, party)


def _parties(root, inv: Invoice) -> None:
    supplier = inv.supplier
    if inv.internet_sale is not None and not supplier.website:
        supplier = dataclasses.replace(supplier, website=inv.internet_sale.website)  # the sale's web address
    _party(_el(root, cac("AccountingSupplierParty")), supplier)
    _party(_el(root, cac("AccountingCustomerParty")), inv.customer)
    if inv.buyer_customer is not None:
        _party(_el(root, cac("BuyerCustomerParty")), inv.buyer_customer)
    if inv.tax_representative is not None:
        party_content(_el(root, cac("TaxRepresentativeParty")), inv.tax_representative)


def _payment(root, inv: Invoice) -> None:
    if not (inv.payment_iban or inv.payment_due):
        return
    means = _el(root, cac("PaymentMeans"))
    _el(means, cbc("PaymentMeansCode"), "42" if inv.payment_iban else "1")  # 42: payment to a bank account
    _opt(means, cbc("PaymentDueDate"), inv.payment_due.isoformat() if inv.payment_due else "")
    if inv.payment_iban:
        account = _el(means, cac("PayeeFinancialAccount"))
        _el(account, cbc("ID"), inv.payment_iban)
        _el(account, cbc("CurrencyCode"), inv.currency)


def _allowance_charge(parent, ac: AllowanceCharge, currency: str) -> None:
    element = _el(parent, cac("AllowanceCharge"))
    _el(element, cbc("ChargeIndicator"), "true" if ac.is_charge else "false")
    _opt(element, cbc("AllowanceChargeReason"), ac.reason)
    if ac.rate is not None:
        _el(element, cbc("MultiplierFactorNumeric"), _number(ac.rate))
    _amount(element, "Amount", ac.amount, currency)
    if ac.base_amount is not None:
        _amount(element, "BaseAmount", ac.base_amount, currency)


def _exchange_rate(root, inv: Invoice) -> None:
    if inv.currency == "TRY" or inv.exchange_rate is None:
        return
    rate = _el(root, cac("PricingExchangeRate"))  # a foreign-currency invoice states its rate to TRY
    _el(rate, cbc("SourceCurrencyCode"), inv.currency)
    _el(rate, cbc("TargetCurrencyCode"), "TRY")
    _el(rate, cbc("CalculationRate"), _number(inv.exchange_rate))


def _tax_category(parent, sub: TaxSubtotal) -> None:
    category = _el(parent, cac("TaxCategory"))
    _opt(category, cbc("TaxExemptionReasonCode"), sub.exemption_code)
    _opt(category, cbc("TaxExemptionReason"), sub.exemption_reason)  # required for a 0-amount KDV
    scheme = _el(category, cac("TaxScheme"))
    _opt(scheme, cbc("Name"), sub.name)
    _el(scheme, cbc("TaxTypeCode"), sub.code)  # TaxType / WithholdingTaxType code lists


def _tax_total(parent, tag: str, subs: list[TaxSubtotal], currency: str) -> None:
    total = _el(parent, cac(tag))
    _amount(total, "TaxAmount", sum((s.amount for s in subs), Decimal("0")), currency)
    for sub in subs:
        element = _el(total, cac("TaxSubtotal"))
        _amount(element, "TaxableAmount", sub.taxable, currency)
        _amount(element, "TaxAmount", sub.amount, currency)
        _opt(element, cbc("CalculationSequenceNumeric"), sub.calculation_sequence)
        _el(element, cbc("Percent"), _number(sub.percent))
        _tax_category(element, sub)


def _monetary_total(root, inv: Invoice) -> None:
    t, c = inv.totals, inv.currency
    total = _el(root, cac("LegalMonetaryTotal"))
    _amount(total, "LineExtensionAmount", t.line_extension, c)
    _amount(total, "TaxExclusiveAmount", t.tax_exclusive, c)
    _amount(total, "TaxInclusiveAmount", t.tax_inclusive, c)
    if t.allowance_total:
        _amount(total, "AllowanceTotalAmount", t.allowance_total, c)
    if t.charge_total:
        _amount(total, "ChargeTotalAmount", t.charge_total, c)
    if t.payable_rounding:
        _amount(total, "PayableRoundingAmount", t.payable_rounding, c)
    _amount(total, "PayableAmount", t.payable, c)


def _line_subtotals(line: Line) -> list[TaxSubtotal]:
    return [
        TaxSubtotal(t.code, t.percent, t.taxable, t.amount, t.name, t.exemption_code, t.exemption_reason, t.calculation_sequence)
        for t in line.taxes
    ]


def _item(parent, line: Line) -> None:
    item = _el(parent, cac("Item"))
    _opt(item, cbc("Description"), line.description)
    _el(item, cbc("Name"), line.name)
    _opt(item, cbc("BrandName"), line.brand)
    _opt(item, cbc("ModelName"), line.model)
    for tag, code in (("BuyersItemIdentification", line.buyer_code), ("SellersItemIdentification", line.seller_code),
                      ("ManufacturersItemIdentification", line.manufacturer_code)):
        if code:
            _el(_el(item, cac(tag)), cbc("ID"), code)
    for scheme, value in line.additional_ids:
        _el(_el(item, cac("AdditionalItemIdentification")), cbc("ID"), value, schemeID=scheme)
    if line.origin_country:
        _el(_el(item, cac("OriginCountry")), cbc("IdentificationCode"), line.origin_country)
    for code in line.classification_codes:
        _el(_el(item, cac("CommodityClassification")), cbc("ItemClassificationCode"), code)
    for trace_id, serial_id in line.instances:
        instance = _el(item, cac("ItemInstance"))
        _opt(instance, cbc("ProductTraceID"), trace_id)
        _opt(instance, cbc("SerialID"), serial_id)


def _line_delivery(parent, line: Line, export: Export) -> None:
    # IHRACAT rules: each line states its delivery address, INCOTERMS, GTİP and transport mode.
    delivery = _el(parent, cac("Delivery"))
    _address(delivery, Party("", address=export.delivery_address), "DeliveryAddress")
    _el(_el(delivery, cac("DeliveryTerms")), cbc("ID"), export.incoterms, schemeID="INCOTERMS")
    shipment = _el(delivery, cac("Shipment"))
    _el(shipment, cbc("ID"), "")
    _el(_el(shipment, cac("GoodsItem")), cbc("RequiredCustomsID"), line.commodity_code)
    _el(_el(shipment, cac("ShipmentStage")), cbc("TransportModeCode"), export.transport_mode)
    if line.package_id or line.package_type:
        package = _el(_el(shipment, cac("TransportHandlingUnit")), cac("ActualPackage"))
        _opt(package, cbc("ID"), line.package_id)
        _opt(package, cbc("Quantity"), _number(line.package_quantity) if line.package_quantity is not None else "")
        _opt(package, cbc("PackagingTypeCode"), line.package_type)


def _line(root, line: Line, number: int, inv: Invoice) -> None:
    currency = inv.currency
    element = _el(root, cac("InvoiceLine"))
    _el(element, cbc("ID"), line.id or str(number))
    _opt(element, cbc("Note"), line.note)
    _el(element, cbc("InvoicedQuantity"), _number(line.quantity), unitCode=line.unit_code)  # UnitCodeList
    _amount(element, "LineExtensionAmount", line.line_extension, currency)
    if inv.export is not None:
        _line_delivery(element, line, inv.export)
    for ac in line.allowances_charges:
        _allowance_charge(element, ac, currency)
    if line.taxes:
        _tax_total(element, "TaxTotal", _line_subtotals(line), currency)
    if line.withholdings:
        subs = [TaxSubtotal(w.code, w.percent, w.taxable, w.amount, w.name) for w in line.withholdings]
        _tax_total(element, "WithholdingTaxTotal", subs, currency)
    _item(element, line)
    _el(_el(element, cac("Price")), cbc("PriceAmount"), _number(line.unit_price), currencyID=currency)  # as given


def build_invoice(inv: Invoice, *, xslt: bytes | None = None) -> etree._Element:
    """The UBL-TR tree of *inv*, whose totals must already be computed (``totals.compute``)."""
    root = etree.Element(f"{{{INVOICE_NS}}}Invoice", nsmap=NSMAP)
    extensions(root)
    _header(root, inv)
    _references(root, inv)
    _xslt(root, inv, xslt if xslt is not None else default_xslt())
    _internet_sale(root, inv)
    _signature(root, inv)
    _parties(root, inv)
    _delivery(root, inv)
    _payment(root, inv)
    for ac in inv.allowances_charges:
        _allowance_charge(root, ac, inv.currency)
    _exchange_rate(root, inv)
    _tax_total(root, "TaxTotal", inv.tax_subtotals, inv.currency)  # at least one TaxTotal
    if inv.withholding_subtotals:
        _tax_total(root, "WithholdingTaxTotal", inv.withholding_subtotals, inv.currency)
    _monetary_total(root, inv)
    for number, line in enumerate(inv.lines, start=1):
        _line(root, line, number, inv)
    return root


def with_amount_in_words(inv: Invoice) -> Invoice:
    """Add the "Yalnız: ..." note for the payable amount, once."""
    words = amount_in_words(inv.totals.payable, inv.currency)
    if words not in inv.notes:
        inv.notes.insert(0, words)
    return inv


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
