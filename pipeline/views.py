"""The portal's invoice form ("Yeni fatura") and its drafts: where a person's invoice begins, as
an ERP's begins at the API.

The page builds the API's payload (``invoices.payload``) as one types and sends it here as JSON:
its totals (``ubl.totals``, as the invoice will carry them), its check (the API's serializer and
rules, then every validation layer), its preview (the invoice through its XSLT, sandboxed), saving it
as a draft, and issuing it down the API's way (``pipeline.flow``). Only those who may issue reach
any of it; a draft or customer of another tenant does not exist here."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from integrator.errors import DomainError
from invoices import drafts
from invoices.display import DisplayError, render_html, sandboxed
from invoices.models import Invoice
from invoices.services import PayloadInvalid, draft_from_payload, draft_preview, draft_xml
from invoices.views import _context
from pipeline.flow import draft_submit
from schematron.codelists import code_list
from schematron.validation import localized
from tenants.audit import audit_note, audit_quiet
from tenants.identifiers import tckn_is_valid, vkn_is_valid
from tenants.ledger import InsufficientCredits, check_can_send, credits_balance
from tenants.roles import Permission
from tenants.views import membership_or_404

# The units people invoice in most, first and named; the rest of GİB's list after them.
COMMON_UNITS = {
    "C62": "Adet", "KGM": "Kilogram", "GRM": "Gram", "LTR": "Litre", "MTR": "Metre", "MTK": "Metrekare",
    "MTQ": "Metreküp", "HUR": "Saat", "DAY": "Gün", "MON": "Ay", "ANN": "Yıl", "SET": "Set", "PA": "Paket",
    "BX": "Kutu", "KWH": "Kilovatsaat", "TNE": "Ton",
}
KDV_RATES = ("20", "10", "1", "0")
CURRENCIES = ("TRY", "USD", "EUR", "GBP", "CHF", "JPY", "RUB", "CNY", "AED", "SAR")
FORM_PROFILES = ("TEMELFATURA", "TICARIFATURA", "KAMU", "EARSIVFATURA")
FORM_TYPES = ("SATIS", "IADE", "TEVKIFAT", "ISTISNA", "IHRACKAYITLI", "OZELMATRAH")
# Which of GİB's exemption lists a type's lines choose from (GİB's UBL-TR_Codelist.xml).
EXEMPTION_LISTS = {
    "ISTISNA": "istisnaTaxExemptionReasonCodeType",
    "OZELMATRAH": "ozelMatrahTaxExemptionReasonCodeType",
    "IHRACKAYITLI": "ihracExemptionReasonCodeType",
}


def _issuer(request, identifier: str):
    membership = membership_or_404(request, identifier)
    if not membership.can(Permission.ISSUE):
        raise PermissionDenied
    return membership


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    return body if isinstance(body, dict) else {}


def _payload(body: dict) -> dict:
    payload = body.get("payload")
    return payload if isinstance(payload, dict) else {}


def _draft_id(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _code_lists() -> dict:
    withholding = code_list("WithholdingTaxTypeWithPercent")
    return {
        "units": [[code, COMMON_UNITS[code]] for code in COMMON_UNITS] + [[c, ""] for c in code_list("UnitCodeList") if c not in COMMON_UNITS],
        "withholdings": [[code[:3], code[3:]] for code in withholding if len(code) == 5],
        "taxes": [code for code in code_list("TaxType") if code != "0015"],
        "exemptions": {kind: code_list(name) for kind, name in EXEMPTION_LISTS.items()} | {"": code_list("TaxExemptionReasonCodeType")},
        "kdv_rates": list(KDV_RATES),
    }


def _texts() -> dict:
    """What the page's script says, in the page's language."""
    return {
        "saved": _("Draft saved."),
        "registered": _("On GİB's list: the invoice goes as e-Fatura to the postbox chosen."),
        "not_registered": _("Not on GİB's list: the invoice is an e-Arşiv invoice; give an e-mail or phone to deliver it."),
        "invalid_id": _("Give a valid VKN (10 digits) or TCKN (11 digits)."),
        "fix": _("The invoice is not ready: see the fields marked."),
        "failed": _("The platform did not answer; try again."),
        "valid": _("The invoice passes every check."),
        "discount": _("Discount"),
    }


@login_required
def invoice_form(request, identifier: str):
    membership = _issuer(request, identifier)
    tenant = membership.tenant
    saved = None
    if "draft" in request.GET:
        saved = drafts.saved_draft_get(tenant=tenant, draft_id=_draft_id(request.GET["draft"]) or 0)
        if saved is None:
            raise Http404
    context = _context(
        request, membership, saved=saved, today=timezone.localdate().isoformat(), customers=drafts.customers_of(tenant=tenant),
        profiles=FORM_PROFILES if tenant.efatura_registered else ("EARSIVFATURA",), types=FORM_TYPES, currencies=CURRENCIES,
        credits_empty=tenant.efatura_registered and credits_balance(tenant=tenant) < 1,
        form_data={"draft": saved.id if saved else None, "payload": saved.payload if saved else None, "codes": _code_lists(), "texts": _texts()},
    )
    return render(request, "portal/invoices/form.html", context)


@require_GET
@login_required
def customer_lookup(request, identifier: str):
    membership = _issuer(request, identifier)
    wanted = request.GET.get("id", "").strip()
    if not (len(wanted) == 10 and vkn_is_valid(wanted)) and not (len(wanted) == 11 and tckn_is_valid(wanted)):
        return JsonResponse({"error": _("Give a valid VKN (10 digits) or TCKN (11 digits).")}, status=400)
    return JsonResponse(drafts.customer_lookup(tenant=membership.tenant, identifier=wanted))


@audit_quiet  # a calculation: it changes nothing
@require_POST
@login_required
def form_totals(request, identifier: str):
    _issuer(request, identifier)
    return JsonResponse(drafts.payload_totals(_payload(_json_body(request))))


def _checked(tenant, payload: dict):
    """(draft, None) for a payload that passes every check, or (None, the answer naming what does not)."""
    try:
        draft = draft_from_payload(tenant=tenant, data=payload)
    except PayloadInvalid as exc:
        return None, JsonResponse({"errors": drafts.payload_errors(exc.errors), "issues": []}, status=422)
    except DomainError as exc:
        return None, JsonResponse({"errors": {"body": str(exc)}, "issues": []}, status=422)
    report = draft_preview(draft=draft)
    if not report.valid:
        issues = [{"rule": e.rule, "message": localized(e.as_dict()), "xpath": e.xpath or ""} for e in report.errors]
        return None, JsonResponse({"errors": {}, "issues": issues}, status=422)
    return draft, None


def _route(draft) -> dict:
    return {"profile": draft.document.profile, "channel": draft.decision.channel, "receiver_alias": draft.decision.alias}


@audit_quiet  # a calculation: it changes nothing
@require_POST
@login_required
def form_check(request, identifier: str):
    membership = _issuer(request, identifier)
    draft, refused = _checked(membership.tenant, _payload(_json_body(request)))
    return refused or JsonResponse({"errors": {}, "issues": [], **_route(draft)})


@audit_quiet  # a calculation: it changes nothing
@require_POST
@login_required
def form_preview(request, identifier: str):
    """The invoice as it will look, through its XSLT, in the form's sandboxed frame (posted there by a form)."""
    membership = _issuer(request, identifier)
    try:
        payload = json.loads(request.POST.get("payload", "{}"))
        draft = draft_from_payload(tenant=membership.tenant, data=payload if isinstance(payload, dict) else {})
        html = render_html(xml=draft_xml(draft=draft))
    except ValueError:
        html = _("The form could not be read.").encode()
    except (DomainError, DisplayError) as exc:
        text = "; ".join(drafts.payload_errors(exc.errors).values()) if isinstance(exc, PayloadInvalid) else str(exc)
        html = render(request, "portal/invoices/preview_refused.html", {"reason": text}).content
    return sandboxed(html, framed=True)


@require_POST
@login_required
def form_save(request, identifier: str):
    membership = _issuer(request, identifier)
    body = _json_body(request)
    draft_id = _draft_id(body.get("draft"))
    saved = drafts.draft_save(tenant=membership.tenant, user=request.user, payload=_payload(body), draft_id=draft_id)
    if saved is None:
        raise Http404
    url = reverse("portal:invoice-new", args=[identifier]) + f"?draft={saved.id}"
    return JsonResponse({"draft": saved.id, "url": url, "message": _("Draft saved.")})


@require_POST
@login_required
def form_issue(request, identifier: str):
    """Issue the form's invoice as the API would (checked, numbered, then on its way); its draft, if
    it came from one, is deleted in the same transaction."""
    membership = _issuer(request, identifier)
    body = _json_body(request)
    draft, refused = _checked(membership.tenant, _payload(body))
    if refused:
        return refused
    if draft.decision.channel == Invoice.Channel.EFATURA:
        try:
            check_can_send(tenant=membership.tenant)
        except InsufficientCredits as exc:  # it would only wait: say so now, issue nothing
            return JsonResponse({"errors": {"body": str(exc)}, "issues": []}, status=402)
    with transaction.atomic():
        invoice = draft_submit(tenant=membership.tenant, draft=draft)
        if _draft_id(body.get("draft")) is not None:
            drafts.draft_delete(tenant=membership.tenant, draft_id=_draft_id(body.get("draft")))
    audit_note(request, subject=("invoice", invoice.uuid), number=invoice.number)
    messages.success(request, _("Invoice %(number)s issued: it is on its way.") % {"number": invoice.number})
    url = reverse("portal:invoice", args=[identifier, str(Invoice.Direction.OUTGOING), uuid.UUID(str(invoice.uuid))])
    return JsonResponse({"url": url, "number": invoice.number})


@login_required
def draft_list(request, identifier: str):
    membership = _issuer(request, identifier)
    return render(request, "portal/invoices/drafts.html", _context(request, membership, drafts=drafts.drafts_of(tenant=membership.tenant)))


@require_POST
@login_required
def draft_delete(request, identifier: str, draft_id: int):
    membership = _issuer(request, identifier)
    if not drafts.draft_delete(tenant=membership.tenant, draft_id=draft_id):
        raise Http404
    messages.success(request, _("Draft deleted."))
    return redirect("portal:drafts", identifier=identifier)

