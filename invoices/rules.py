"""GİB's rules for profiles and types (IADE, TEVKIFAT, OZELMATRAH, IHRACAT, KAMU, a foreign currency),
checked on the invoice as data, whatever it came as: the JSON payload (``invoices.payload``) and
uploaded UBL-TR XML (``invoices.services.draft_from_xml``) both pass through ``rule_errors``.

GİB's schematron says most of this too, but later and in GİB's words about XPaths; these come first,
beside the field a person or an ERP fills in. Each error is keyed by that field of the payload.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from ubl import document as ubl

# The investment-incentive (YATIRIMTESVIK) types are GİB's too: YTBTEVKIFAT withholds as TEVKIFAT does.
# A withholding's return (TEVKIFATIADE) may carry the withholding again or not: GİB asks neither.
WITHHOLDING_TYPES = {"TEVKIFAT", "TEVKIFATIADE", "YTBTEVKIFAT", "YTBTEVKIFATIADE"}
WITHHELD_TYPES = {"TEVKIFAT", "YTBTEVKIFAT"}
RETURN_TYPES = {"IADE", "TEVKIFATIADE", "YTBIADE", "YTBTEVKIFATIADE"}
RETURN_PROFILES = ("TEMELFATURA", "EARSIVFATURA", "ILAC_TIBBICIHAZ", "YATIRIMTESVIK", "IDIS")  # GİB's InvoiceTypeCodeCheck


def rule_errors(document: ubl.Invoice) -> dict[str, str]:
    """The rules *document* breaks, by field; empty when it keeps them all."""
    errors: dict[str, str] = {}
    kind, profile, lines = document.type_code, document.profile, document.lines
    if document.currency != "TRY" and document.exchange_rate is None:
        errors["exchange_rate"] = _("An invoice in %(currency)s needs its exchange_rate to TRY.") % {"currency": document.currency}
    if kind in RETURN_TYPES and not document.billing_references:
        errors["returns"] = _("A return invoice (IADE) names the invoices it returns.")
    if kind in RETURN_TYPES and profile not in RETURN_PROFILES:
        errors["profile"] = _("GİB allows a return invoice (IADE) only as TEMELFATURA, EARSIVFATURA, ILAC_TIBBICIHAZ, YATIRIMTESVIK or IDIS.")
    withheld = any(line.withholdings for line in lines)
    if kind in WITHHELD_TYPES and not withheld:
        errors["lines"] = _("A TEVKIFAT invoice needs a withholding on at least one line.")
    if kind not in WITHHOLDING_TYPES | RETURN_TYPES and withheld:
        errors["type"] = _("Only TEVKIFAT invoices carry withholdings.")
    if kind == "OZELMATRAH" and any(line.special_base is None for line in lines):
        errors["lines"] = _("Every line of an OZELMATRAH invoice needs its special_base.")
    if profile == "IHRACAT":
        if document.export is None or document.buyer_customer is None:
            errors["export"] = _("An IHRACAT invoice needs export: incoterms, transport_mode, delivery_address and buyer.")
        if any(not line.commodity_code for line in lines):
            errors["lines"] = _("Every line of an IHRACAT invoice needs its 12-digit gtip.")
    if profile == "KAMU":
        if not document.payment_iban:
            errors["payment"] = _("A KAMU invoice needs the IBAN the public body pays to (payment.iban).")
        if document.buyer_customer is None:
            errors["buyer"] = _("A KAMU invoice names the public body that buys in buyer.")
    return errors
