"""The JSON an ERP posts to issue an invoice, checked field by field, and turned into invoice data.

The shape (every amount a decimal string or number; dates ``YYYY-MM-DD``)::

    {
      "profile": "TICARIFATURA",          # TEMELFATURA, TICARIFATURA, EARSIVFATURA, IHRACAT, KAMU
      "type": "SATIS",                    # SATIS, IADE, TEVKIFAT, TEVKIFATIADE, ISTISNA, OZELMATRAH, IHRACKAYITLI
      "issue_date": "2026-11-21",         # default: today in Istanbul
      "issue_time": "14:05:00",           # optional
      "series": "ABC",                    # optional: a prefix of the tenant's; default: its default series
      "currency": "TRY", "exchange_rate": "34.2150",   # the rate is required for another currency
      "notes": ["..."],
      "order": {"id": "SIP-1", "issue_date": "2026-11-20"},
      "despatches": [{"id": "IRS2026000000001", "issue_date": "2026-11-20"}],
      "returns": [{"id": "ABC2026000000001", "issue_date": "2026-11-01"}],   # IADE: the invoices returned
      "customer": {"vkn": "1234567890" | "tckn": "12345678950", "name": "...", "first_name": "...",
                   "last_name": "...", "tax_office": "...", "email": "...", "phone": "...",
                   "address": {"street": "...", "building_number": "...", "district": "...", "city": "...",
                               "postal_code": "...", "country": "Türkiye", "country_code": "TR"}},
      "buyer": {... same as customer ...},       # IHRACAT/KAMU: the buyer behind the customer
      "payment": {"iban": "TR...", "due_date": "2026-12-21"},
      "internet_sale": {                  # e-Arşiv: a sale made on the internet (VUK General Communiqué 509)
        "website": "https://magaza.example.com.tr",
        "payment_method": "KREDIKARTI/BANKAKARTI",   # EFT/HAVALE, KAPIDAODEME, ODEMEARACISI, DIGER, "DIGER - <how>"
        "payment_agent": "...",                      # required for ODEMEARACISI
        "payment_date": "2026-11-21",                # required but for KAPIDAODEME and DIGER
        "carrier": {"vkn": "..." | "tckn": "...", "name": "..."},
        "despatch_date": "2026-11-21"},
      "replaces_despatch": true,          # the invoice stands in for the despatch note (İrsaliye yerine geçer)
      "allowances": [{"amount": "10.00", "reason": "..."}], "charges": [...],   # document level
      "lines": [{
        "name": "...", "quantity": "2", "unit": "C62", "unit_price": "100.00",
        "kdv_rate": "20", "kdv_exemption_code": "301", "kdv_exemption_reason": "...",
        "taxes": [{"code": "0071", "rate": "25", "name": "ÖTV"}],
        "withholding": {"code": "606", "rate": "90"},
        "allowances": [{"amount": "5", "reason": "iskonto"}], "charges": [],
        "description": "...", "note": "...", "seller_code": "...", "buyer_code": "...", "brand": "...",
        "model": "...", "commodity_code": "...", "origin_country": "TR"
      }]
    }
"""

import re
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from invoices.rules import rule_errors
from tenants.identifiers import tckn_is_valid, vkn_is_valid
from ubl.document import (
    INVOICE_TYPES,
    KDV,
    PAYMENT_METHODS,
    PROFILES,
    Address,
    AllowanceCharge,
    DocumentReference,
    Export,
    InternetSale,
    Invoice,
    Line,
    Party,
    Tax,
    Withholding,
)

AMOUNT = {"max_digits": 18, "decimal_places": 2, "min_value": Decimal("0")}
QUANTITY = {"max_digits": 18, "decimal_places": 6, "min_value": Decimal("0")}
RATE = {"max_digits": 5, "decimal_places": 2, "min_value": Decimal("0"), "max_value": Decimal("100")}
# Identifiers GİB allows in place of a real one: a consumer who gives no TCKN (e-Arşiv), a foreign buyer.
PLACEHOLDER_IDS = {"11111111111", "2222222222"}
# GİB's DeliveryTermCodeList.
INCOTERMS = ("CFR", "CIF", "CIP", "CPT", "DAF", "DDP", "DDU", "DEQ", "DES", "EXW", "FAS", "FCA", "FOB", "DAP", "DPU")
# IHRACAT invoices are addressed to the customs administration; the buyer abroad is BuyerCustomerParty.
CUSTOMS = {
    "vkn": "1460415308",
    "name": "Gümrük ve Ticaret Bakanlığı Gümrükler Genel Müdürlüğü- Bilgi İşlem Dairesi Başkanlığı",
    "first_name": "",
    "last_name": "",
    "tax_office": "Ulus",
    "email": "",
    "phone": "",
    "address": {"street": "", "building_number": "", "district": "Ulus", "city": "Ankara", "postal_code": "", "country": "Türkiye", "country_code": ""},
}


class AddressSerializer(serializers.Serializer):
    street = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")
    building_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    district = serializers.CharField(max_length=100)
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    country = serializers.CharField(max_length=100, required=False, default="Türkiye")
    country_code = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")


class PartySerializer(serializers.Serializer):
    vkn = serializers.RegexField(r"^\d{10}$", required=False, error_messages={"invalid": _("A VKN has exactly 10 digits.")})
    tckn = serializers.RegexField(r"^\d{11}$", required=False, error_messages={"invalid": _("A TCKN has exactly 11 digits.")})
    name = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    tax_office = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    address = AddressSerializer()

    def validate_vkn(self, value):
        if value not in PLACEHOLDER_IDS and not vkn_is_valid(value):
            raise serializers.ValidationError(_("%(value)s is not a valid VKN: its check digit is wrong.") % {"value": value})
        return value

    def validate_tckn(self, value):
        if value not in PLACEHOLDER_IDS and not tckn_is_valid(value):
            raise serializers.ValidationError(_("%(value)s is not a valid TCKN: its check digits are wrong.") % {"value": value})
        return value

    def validate(self, data):
        if bool(data.get("vkn")) == bool(data.get("tckn")):
            raise serializers.ValidationError(_("Give exactly one of vkn and tckn."))
        if data.get("vkn") and not data["name"]:
            raise serializers.ValidationError({"name": _("A company (VKN) needs its title in name.")})
        if data.get("tckn") and not (data["first_name"] and data["last_name"]):
            raise serializers.ValidationError({"first_name": _("A person (TCKN) needs first_name and last_name.")})
        return data


class ReferenceSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=50)
    issue_date = serializers.DateField()


class AllowanceSerializer(serializers.Serializer):
    amount = serializers.DecimalField(**AMOUNT)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class TaxSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^\d{4}$", error_messages={"invalid": _("A tax code has 4 digits, such as 0071.")})
    rate = serializers.DecimalField(**RATE)
    name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")

    def validate_code(self, value):
        if value == KDV:
            raise serializers.ValidationError(_("Give KDV with kdv_rate, not among taxes."))
        return value


class WithholdingSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^\d{3}$", error_messages={"invalid": _("A withholding code has 3 digits, such as 606.")})
    rate = serializers.DecimalField(**RATE)


class PackageSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    quantity = serializers.DecimalField(**QUANTITY, required=False, default=None)
    type = serializers.RegexField(r"^[A-Z0-9]{2}$", required=False, default="")


class ForeignBuyerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=250)
    tax_number = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    address = AddressSerializer()


class ExportSerializer(serializers.Serializer):
    incoterms = serializers.ChoiceField(choices=INCOTERMS)
    transport_mode = serializers.ChoiceField(choices=[str(n) for n in range(10)])
    delivery_address = AddressSerializer()
    buyer = ForeignBuyerSerializer()


class LineSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=250)
    quantity = serializers.DecimalField(**QUANTITY)
    unit = serializers.RegexField(r"^[A-Z0-9]{2,3}$", error_messages={"invalid": _("unit is a UN/ECE code such as C62, KGM or HUR.")})
    unit_price = serializers.DecimalField(max_digits=21, decimal_places=8, min_value=Decimal("0"))
    kdv_rate = serializers.DecimalField(**RATE)
    kdv_exemption_code = serializers.RegexField(r"^\d{3}$", required=False, default="")
    kdv_exemption_reason = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")
    taxes = TaxSerializer(many=True, required=False, default=list)
    withholding = WithholdingSerializer(required=False, allow_null=True, default=None)
    allowances = AllowanceSerializer(many=True, required=False, default=list)
    charges = AllowanceSerializer(many=True, required=False, default=list)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    seller_code = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    buyer_code = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    brand = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    model = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    special_base = serializers.DecimalField(**AMOUNT, required=False, default=None)
    gtip = serializers.RegexField(r"^\d{12}$", required=False, default="", error_messages={"invalid": _("A GTİP code has 12 digits.")})
    origin_country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    package = PackageSerializer(required=False, allow_null=True, default=None)

    def validate(self, data):
        if data["kdv_rate"] == 0 and not (data["kdv_exemption_code"] and data["kdv_exemption_reason"]):
            raise serializers.ValidationError(
                {"kdv_exemption_code": _("A line without KDV needs kdv_exemption_code and kdv_exemption_reason.")}
            )
        return data


class CarrierSerializer(serializers.Serializer):
    vkn = serializers.RegexField(r"^\d{10}$", required=False, error_messages={"invalid": _("A VKN has exactly 10 digits.")})
    tckn = serializers.RegexField(r"^\d{11}$", required=False, error_messages={"invalid": _("A TCKN has exactly 11 digits.")})
    name = serializers.CharField(max_length=250)

    def validate_vkn(self, value):
        if not vkn_is_valid(value):
            raise serializers.ValidationError(_("%(value)s is not a valid VKN: its check digit is wrong.") % {"value": value})
        return value

    def validate_tckn(self, value):
        if not tckn_is_valid(value):
            raise serializers.ValidationError(_("%(value)s is not a valid TCKN: its check digits are wrong.") % {"value": value})
        return value

    def validate(self, data):
        if bool(data.get("vkn")) == bool(data.get("tckn")):
            raise serializers.ValidationError(_("Give exactly one of vkn and tckn."))
        return data


# GİB's e-Arşiv report: a payment "DIGER" may say how, as "DIGER - <how>".
OTHER_PAYMENT = re.compile(r"^DIGER - \S.*$")
UNDATED_PAYMENTS = ("KAPIDAODEME", "DIGER")


class InternetSaleSerializer(serializers.Serializer):
    """What GİB's e-Arşiv report asks of an internet sale (its internetSatisBilgi)."""

    website = serializers.RegexField(r"^\S{2,}$", max_length=250, error_messages={"invalid": _("The web address of the sale, such as https://magaza.example.com.tr.")})
    payment_method = serializers.CharField(max_length=100)
    payment_agent = serializers.CharField(max_length=250, required=False, allow_blank=True, default="")
    payment_date = serializers.DateField(required=False, allow_null=True, default=None)
    carrier = CarrierSerializer(error_messages={"required": _("An internet sale names who carries the goods (carrier: vkn or tckn, and name).")})
    despatch_date = serializers.DateField(error_messages={"required": _("An internet sale says when the goods were sent (despatch_date).")})

    def validate_payment_method(self, value):
        if value not in PAYMENT_METHODS and not OTHER_PAYMENT.match(value):
            raise serializers.ValidationError(_("payment_method is one of %(methods)s, or \"DIGER - \" and how.") % {"methods": ", ".join(PAYMENT_METHODS)})
        return value

    def validate(self, data):
        method = data["payment_method"]
        if data["payment_date"] is None and not method.startswith(UNDATED_PAYMENTS):
            raise serializers.ValidationError({"payment_date": _("A sale paid by %(method)s needs its payment_date.") % {"method": method}})
        if method == "ODEMEARACISI" and not data["payment_agent"]:
            raise serializers.ValidationError({"payment_agent": _("A sale paid through an intermediary (ODEMEARACISI) names it in payment_agent.")})
        return data


class PaymentSerializer(serializers.Serializer):
    iban = serializers.RegexField(r"^TR\d{7}[A-Z0-9]{17}$", required=False, default="", error_messages={"invalid": _("A Turkish IBAN is TR followed by 24 characters.")})
    due_date = serializers.DateField(required=False, default=None)


class InvoicePayloadSerializer(serializers.Serializer):
    profile = serializers.ChoiceField(choices=PROFILES)
    type = serializers.ChoiceField(choices=INVOICE_TYPES)
    issue_date = serializers.DateField(required=False, default=None)
    issue_time = serializers.TimeField(required=False, default=None)
    series = serializers.RegexField(r"^[A-Z0-9]{3}$", required=False, default="")
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False, default="TRY")
    exchange_rate = serializers.DecimalField(max_digits=18, decimal_places=6, min_value=Decimal("0.000001"), required=False, default=None)
    notes = serializers.ListField(child=serializers.CharField(max_length=1000), required=False, default=list, max_length=20)
    order = ReferenceSerializer(required=False, allow_null=True, default=None)
    despatches = ReferenceSerializer(many=True, required=False, default=list)
    returns = ReferenceSerializer(many=True, required=False, default=list)
    customer = PartySerializer(required=False, allow_null=True, default=None)
    # The customer's postbox to send to; by default its main one on GİB's registered-user list.
    receiver_alias = serializers.RegexField(r"^urn:mail:\S+@\S+$", max_length=255, required=False, default="")
    buyer = PartySerializer(required=False, allow_null=True, default=None)
    export = ExportSerializer(required=False, allow_null=True, default=None)
    payment = PaymentSerializer(required=False, allow_null=True, default=None)
    internet_sale = InternetSaleSerializer(required=False, allow_null=True, default=None)
    replaces_despatch = serializers.BooleanField(required=False, default=False)
    allowances = AllowanceSerializer(many=True, required=False, default=list)
    charges = AllowanceSerializer(many=True, required=False, default=list)
    lines = LineSerializer(many=True, allow_empty=False, max_length=10000)

    def validate(self, data):
        """GİB's rules for the profile and the type, on the invoice this payload makes (``invoices.rules``,
        which XML passes through too); a customer, but for IHRACAT (addressed to the customs)."""
        errors = {} if data["profile"] == "IHRACAT" or data["customer"] is not None else {"customer": _("This field is required.")}
        if data["internet_sale"] is not None and data["profile"] not in INTERNET_SALE_PROFILES:
            errors["internet_sale"] = _("An internet sale is told on an e-Arşiv invoice: EARSIVFATURA, or TEMELFATURA or TICARIFATURA to a customer who gets e-Arşiv.")
        if data["replaces_despatch"] and data["despatches"]:
            errors["replaces_despatch"] = _("An invoice that stands in for the despatch note refers to no despatch note (despatches).")
        errors.update(rule_errors(payload_to_invoice(data, supplier=Party(identifier=""))))
        if errors:
            raise serializers.ValidationError(errors)
        return data


# An internet sale is e-Arşiv's (GİB's e-Arşiv report carries it); TEMELFATURA and TICARIFATURA become
# e-Arşiv for a customer not on GİB's list (directory.routing), so they may carry one too.
INTERNET_SALE_PROFILES = ("EARSIVFATURA", "TEMELFATURA", "TICARIFATURA")


def _party(data: dict) -> Party:
    return Party(
        identifier=data.get("vkn") or data.get("tckn"),
        name=data["name"],
        first_name=data["first_name"],
        last_name=data["last_name"],
        tax_office=data["tax_office"],
        address=Address(**data["address"]),
        email=data["email"],
        phone=data["phone"],
    )


def _line(data: dict) -> Line:
    kdv = Tax(KDV, data["kdv_rate"], "KDV", exemption_code=data["kdv_exemption_code"], exemption_reason=data["kdv_exemption_reason"])
    withholding = data["withholding"]
    return Line(
        name=data["name"],
        quantity=data["quantity"],
        unit_code=data["unit"],
        unit_price=data["unit_price"],
        taxes=[Tax(t["code"], t["rate"], t["name"]) for t in data["taxes"]] + [kdv],
        withholdings=[Withholding(withholding["code"], withholding["rate"])] if withholding else [],
        allowances_charges=[AllowanceCharge(False, a["amount"], a["reason"]) for a in data["allowances"]]
        + [AllowanceCharge(True, c["amount"], c["reason"]) for c in data["charges"]],
        commodity_code=data["gtip"],
        special_base=data["special_base"],
        package_id=(data["package"] or {}).get("id", ""),
        package_quantity=(data["package"] or {}).get("quantity"),
        package_type=(data["package"] or {}).get("type", ""),
        **{k: data[k] for k in ("description", "note", "seller_code", "buyer_code", "brand", "model", "origin_country")},
    )


def _export(data: dict) -> tuple[Export, Party]:
    buyer = data["buyer"]
    party = Party(
        identifier="",
        name=buyer["name"],
        legal_name=buyer["name"],
        legal_id=buyer["tax_number"],
        address=Address(**buyer["address"]),
        extra_ids=[("PARTYTYPE", "EXPORT")],  # GİB: an IHRACAT buyer is marked PARTYTYPE=EXPORT
    )
    return Export(data["incoterms"], data["transport_mode"], Address(**data["delivery_address"])), party


def _reference(data: dict, type_code: str = "") -> DocumentReference:
    return DocumentReference(id=data["id"], issue_date=data["issue_date"], type_code=type_code)


def _internet_sale(data: dict | None) -> InternetSale | None:
    if data is None:
        return None
    carrier = data["carrier"]
    return InternetSale(
        website=data["website"],
        payment_method=data["payment_method"],
        payment_agent=data["payment_agent"],
        payment_date=data["payment_date"],
        carrier=Party(identifier=carrier.get("vkn") or carrier.get("tckn"), name=carrier["name"]),
        despatch_date=data["despatch_date"],
    )


def payload_to_invoice(data: dict, *, supplier: Party) -> Invoice:
    """Invoice data from a payload already checked by ``InvoicePayloadSerializer``."""
    export, buyer = _export(data["export"]) if data["export"] else (None, _party(data["buyer"]) if data["buyer"] else None)
    return Invoice(
        profile=data["profile"],
        type_code=data["type"],
        issue_date=data["issue_date"] or timezone.localdate(),
        issue_time=data["issue_time"],
        supplier=supplier,
        customer=_party(data["customer"] or CUSTOMS),
        buyer_customer=buyer,
        export=export,
        lines=[_line(line) for line in data["lines"]],
        currency=data["currency"],
        exchange_rate=data["exchange_rate"],
        notes=list(data["notes"]),
        order=_reference(data["order"]) if data["order"] else None,
        despatches=[_reference(d) for d in data["despatches"]],
        billing_references=[_reference(r, "IADE") for r in data["returns"]],  # GİB: DocumentTypeCode IADE
        allowances_charges=[AllowanceCharge(False, a["amount"], a["reason"]) for a in data["allowances"]]
        + [AllowanceCharge(True, c["amount"], c["reason"]) for c in data["charges"]],
        payment_iban=(data["payment"] or {}).get("iban", ""),
        payment_due=(data["payment"] or {}).get("due_date"),
        internet_sale=_internet_sale(data["internet_sale"]),
        replaces_despatch=data["replaces_despatch"],
    )
