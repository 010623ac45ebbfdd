"""An invoice as plain data: what the builder writes, what the parser reads, what the payload fills.

Money is ``Decimal`` throughout. Amounts a person or an ERP gives (prices, quantities, rates) are kept
as given; amounts the platform computes (line, tax and document totals) are rounded to two places by
``ubl.totals``.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

PROFILES = ("TEMELFATURA", "TICARIFATURA", "EARSIVFATURA", "IHRACAT", "KAMU")
INVOICE_TYPES = ("SATIS", "IADE", "TEVKIFAT", "TEVKIFATIADE", "ISTISNA", "OZELMATRAH", "IHRACKAYITLI")
KDV = "0015"  # GİB's tax type code for KDV (VAT)
# How an internet sale was paid: the odemeSekli values of GİB's e-Arşiv report ("DIGER - <how>" too).
PAYMENT_METHODS = ("KREDIKARTI/BANKAKARTI", "EFT/HAVALE", "KAPIDAODEME", "ODEMEARACISI", "DIGER")
# An internet sale's details travel as cac:AdditionalDocumentReference entries of these DocumentTypes
# (the convention is in ubl.build's docstring).
INTERNET_SALE, PAYMENT_METHOD, PAYMENT_AGENT, PAYMENT_DATE = "INTERNET_SATIS", "ODEME_SEKLI", "ODEME_ARACISI", "ODEME_TARIHI"
# The note that makes an invoice stand in for the despatch note (VUK art. 230: the invoice goes with the goods).
REPLACES_DESPATCH = "İrsaliye yerine geçer."


@dataclass
class Address:
    street: str = ""
    building_number: str = ""
    district: str = ""  # ilçe: cbc:CitySubdivisionName
    city: str = ""  # il: cbc:CityName
    postal_code: str = ""
    country: str = "Türkiye"
    country_code: str = ""


@dataclass
class Party:
    """A supplier or customer. ``identifier`` is a VKN (10 digits) or TCKN (11 digits)."""

    identifier: str
    name: str = ""  # company title; empty for a person
    first_name: str = ""
    last_name: str = ""
    tax_office: str = ""
    address: Address = field(default_factory=Address)
    email: str = ""
    phone: str = ""
    website: str = ""
    legal_name: str = ""  # PartyLegalEntity/RegistrationName: an export buyer's registered name
    legal_id: str = ""  # PartyLegalEntity/CompanyID: its tax number at home
    nationality: str = ""  # a tourist buyer (YOLCUBERABERFATURA): country code and passport
    passport_id: str = ""
    passport_date: datetime.date | None = None
    extra_ids: list[tuple[str, str]] = field(default_factory=list)  # (schemeID, value): MERSISNO, TICARETSICILNO, ...

    @property
    def scheme(self) -> str:
        return "TCKN" if len(self.identifier) == 11 else "VKN" if self.identifier else ""


@dataclass
class AllowanceCharge:
    is_charge: bool
    amount: Decimal
    reason: str = ""
    rate: Decimal | None = None  # MultiplierFactorNumeric, as a fraction (0.1 for 10 %)
    base_amount: Decimal | None = None


@dataclass
class Tax:
    """One tax on a line: KDV, ÖTV and the others, by GİB's tax type code."""

    code: str  # 0015 KDV, 0071 ÖTV (I), 4080 ÖİV, ...
    percent: Decimal
    name: str = ""
    amount: Decimal | None = None  # computed when None
    taxable: Decimal | None = None  # what it is computed on; computed when None
    exemption_code: str = ""
    exemption_reason: str = ""
    calculation_sequence: str = ""  # "-1": stated, not added to the invoice (YATIRIMTESVIK)


@dataclass
class Withholding:
    """Tevkifat: part of the KDV withheld by the buyer."""

    code: str  # 601..627 (KDV tevkifat), 801.. (others)
    percent: Decimal  # of the KDV amount, e.g. 90 for 9/10
    name: str = ""
    amount: Decimal | None = None
    taxable: Decimal | None = None


@dataclass
class Line:
    name: str
    quantity: Decimal
    unit_code: str  # UN/ECE Rec 20, e.g. C62 (piece), KGM, LTR, HUR
    unit_price: Decimal
    taxes: list[Tax] = field(default_factory=list)
    withholdings: list[Withholding] = field(default_factory=list)
    allowances_charges: list[AllowanceCharge] = field(default_factory=list)
    id: str = ""
    description: str = ""
    note: str = ""
    seller_code: str = ""
    buyer_code: str = ""
    manufacturer_code: str = ""
    brand: str = ""
    model: str = ""
    commodity_code: str = ""  # GTİP for exports
    origin_country: str = ""
    additional_ids: list[tuple[str, str]] = field(default_factory=list)  # (schemeID, value): ETIKETNO, KUNYENO, ...
    classification_codes: list[str] = field(default_factory=list)  # YATIRIMTESVIK: the spending type, 01..04
    instances: list[tuple[str, str]] = field(default_factory=list)  # (ProductTraceID, SerialID) of machines
    special_base: Decimal | None = None  # OZELMATRAH: the legal base KDV is computed on, instead of the price
    package_id: str = ""  # exports: the container or package the goods travel in
    package_quantity: Decimal | None = None
    package_type: str = ""  # UN/ECE Rec 21 code, e.g. CN (container), PK (package)
    line_extension: Decimal | None = None  # computed when None


@dataclass
class DocumentReference:
    id: str
    issue_date: datetime.date | None
    type_code: str = ""
    type: str = ""
    id_scheme: str = ""


@dataclass
class Export:
    """IHRACAT: how the goods leave Türkiye, stated on every line as GİB's rules ask."""

    incoterms: str  # DeliveryTermCodeList: CIF, FOB, EXW, ...
    transport_mode: str  # TransportModeCodeList: 1 sea, 3 road, 4 air, ...
    delivery_address: Address


@dataclass
class InternetSale:
    """An e-Arşiv invoice of a sale made on the internet (VUK General Communiqué 509): what GİB's
    e-Arşiv report asks of it. ``ubl.build`` writes it as ``cac:AdditionalDocumentReference`` entries
    and ``cac:Delivery``."""

    website: str  # where the sale was made; also the supplier's cbc:WebsiteURI
    payment_method: str  # one of PAYMENT_METHODS, or "DIGER - <how>"
    payment_agent: str = ""  # the payment intermediary (iyzico, PayTR, ...)
    payment_date: datetime.date | None = None
    carrier: Party | None = None  # who carries the goods: identifier (VKN/TCKN) and name
    despatch_date: datetime.date | None = None


@dataclass
class Totals:
    line_extension: Decimal = Decimal("0")
    tax_exclusive: Decimal = Decimal("0")
    tax_inclusive: Decimal = Decimal("0")
    allowance_total: Decimal = Decimal("0")
    charge_total: Decimal = Decimal("0")
    payable_rounding: Decimal = Decimal("0")
    payable: Decimal = Decimal("0")


@dataclass
class TaxSubtotal:
    code: str
    percent: Decimal
    taxable: Decimal
    amount: Decimal
    name: str = ""
    exemption_code: str = ""
    exemption_reason: str = ""
    calculation_sequence: str = ""


@dataclass
class Invoice:
    profile: str
    type_code: str
    issue_date: datetime.date
    supplier: Party
    customer: Party
    lines: list[Line]
    id: str = ""  # ABC2026000000001, from the tenant's number series
    uuid: str = ""  # ETTN
    issue_time: datetime.time | None = None
    currency: str = "TRY"
    exchange_rate: Decimal | None = None  # TRY per unit of currency, when currency is not TRY
    notes: list[str] = field(default_factory=list)
    order: DocumentReference | None = None
    despatches: list[DocumentReference] = field(default_factory=list)
    billing_references: list[DocumentReference] = field(default_factory=list)  # the invoices an IADE returns
    contracts: list[DocumentReference] = field(default_factory=list)  # YATIRIMTESVIK: the incentive certificate (YTBNO)
    allowances_charges: list[AllowanceCharge] = field(default_factory=list)
    signer_identifier: str = ""  # VKN/TCKN in cac:Signature; the supplier's unless an integrator seals
    buyer_customer: Party | None = None  # IHRACAT and KAMU: the real buyer behind the customer
    export: Export | None = None
    tax_representative: Party | None = None  # YOLCUBERABERFATURA: the intermediary (ARACIKURUMVKN)
    payment_iban: str = ""
    payment_due: datetime.date | None = None
    internet_sale: InternetSale | None = None
    replaces_despatch: bool = False  # the invoice carries the REPLACES_DESPATCH note
    # Computed by totals.compute(); filled by the parser from the XML.
    tax_subtotals: list[TaxSubtotal] = field(default_factory=list)
    withholding_subtotals: list[TaxSubtotal] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
