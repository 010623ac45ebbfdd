"""The portal's invoice form: drafts kept to finish later, what the form knows of a customer, and
the totals shown as one types.

A draft is the API's payload as it stood (``invoices.payload``); it is checked only when it is
issued, by the same serializer and rules as the API. Every read and write is scoped to the tenant:
another tenant's draft does not exist."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from directory.lookup import registered_user
from integrator.api import field_errors
from invoices.models import Invoice, SavedDraft
from invoices.payload import AllowanceSerializer, LineSerializer, _line
from tenants.models import Tenant
from ubl import totals
from ubl.document import Address, AllowanceCharge, Party
from ubl.document import Invoice as Document

MAX_DRAFTS_LISTED = 200
MAX_CUSTOMERS_LISTED = 500


# --- drafts ---------------------------------------------------------------------------------------


def _customer_name(payload: dict) -> str:
    customer = payload.get("customer") if isinstance(payload, dict) else None
    if not isinstance(customer, dict):
        return ""
    name = customer.get("name") or " ".join(str(customer.get(k) or "") for k in ("first_name", "last_name")).strip()
    return str(name)[:250]


def draft_save(*, tenant: Tenant, user, payload: dict, draft_id: int | None = None) -> SavedDraft | None:
    """Keep *payload* as a new draft, or as the tenant's draft *draft_id* (None when it has no such draft)."""
    if draft_id is None:
        return SavedDraft.objects.create(tenant=tenant, payload=payload, customer_name=_customer_name(payload), created_by=user)
    with transaction.atomic():
        draft = SavedDraft.objects.select_for_update().filter(tenant=tenant, id=draft_id).first()
        if draft is None:
            return None
        draft.payload, draft.customer_name, draft.updated_at = payload, _customer_name(payload), timezone.now()
        draft.save(update_fields=["payload", "customer_name", "updated_at"])
    return draft


def draft_delete(*, tenant: Tenant, draft_id: int) -> bool:
    """Delete the tenant's draft *draft_id*; False when it has none."""
    deleted, _ = SavedDraft.objects.filter(tenant=tenant, id=draft_id).delete()
    return bool(deleted)


def drafts_of(*, tenant: Tenant):
    return SavedDraft.objects.filter(tenant=tenant)[:MAX_DRAFTS_LISTED]


def saved_draft_get(*, tenant: Tenant, draft_id: int) -> SavedDraft | None:
    return SavedDraft.objects.filter(tenant=tenant, id=draft_id).first()


# --- customers ------------------------------------------------------------------------------------


def customers_of(*, tenant: Tenant) -> list[tuple[str, str]]:
    """(VKN/TCKN, name) of those the tenant invoiced, the latest first."""
    rows = (
        Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.OUTGOING)
        .order_by("customer_identifier", "-issue_date", "-id")
        .values_list("customer_identifier", "customer_name", "issue_date")
    )
    latest: dict[str, tuple[str, object]] = {}
    for identifier, name, issued in rows.iterator():
        latest.setdefault(identifier, (name, issued))
    ordered = sorted(latest.items(), key=lambda item: item[1][1], reverse=True)[:MAX_CUSTOMERS_LISTED]
    return [(identifier, name) for identifier, (name, _issued) in ordered]


def customer_lookup(*, tenant: Tenant, identifier: str) -> dict:
    """What the form fills in for *identifier*: whether GİB lists it (then e-Fatura, with its
    postboxes to choose from) and the customer as the tenant last invoiced it."""
    user = registered_user(identifier)
    postboxes = [a.name for a in user.active_aliases if a.kind == "PK" and a.document_type == "Invoice"] if user else []
    last = (
        Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.OUTGOING, customer_identifier=identifier, payload__isnull=False)
        .order_by("-issue_date", "-id").values_list("payload", flat=True).first()
    )
    previous = last.get("customer") if isinstance(last, dict) and isinstance(last.get("customer"), dict) else None
    return {
        "identifier": identifier,
        "registered": bool(postboxes),
        "title": user.title if user else "",
        "postboxes": postboxes,
        "previous": previous,
    }


# --- totals ---------------------------------------------------------------------------------------


def _percent(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def payload_totals(payload: dict) -> dict:
    """The totals of the payload's lines, computed by ``ubl.totals`` as the invoice will carry them,
    and each line's errors; lines with errors count for nothing."""
    lines, errors = [], {}
    raw_lines = payload.get("lines") if isinstance(payload, dict) else None
    for index, raw in enumerate(raw_lines if isinstance(raw_lines, list) else []):
        checked = LineSerializer(data=raw)
        if checked.is_valid():
            lines.append(_line(checked.validated_data))
        else:
            errors |= payload_errors(field_errors(checked.errors, f"lines[{index}]"))
    nobody = Party(identifier="", address=Address())
    kind = payload.get("type") if isinstance(payload, dict) and isinstance(payload.get("type"), str) else "SATIS"
    document = totals.compute(Document(profile="", type_code=kind, issue_date=timezone.localdate(), supplier=nobody, customer=nobody, lines=lines,
                                       allowances_charges=_document_allowances(payload, errors)))
    t = document.totals
    return {
        "lines": [_amount(line.line_extension) for line in document.lines],
        "line_extension": _amount(t.line_extension),
        "taxes": [{"code": s.code, "percent": _percent(s.percent), "amount": _amount(s.amount)} for s in document.tax_subtotals],
        "withholdings": [{"code": s.code, "percent": _percent(s.percent), "amount": _amount(s.amount)} for s in document.withholding_subtotals],
        "tax_inclusive": _amount(t.tax_inclusive),
        "payable": _amount(t.payable),
        "errors": errors,
    }


def _document_allowances(payload, errors: dict) -> list[AllowanceCharge]:
    """The invoice's own discounts and charges (not a line's), as the payload gives them; one with errors counts for nothing."""
    found = []
    for key, is_charge in (("allowances", False), ("charges", True)):
        raw = payload.get(key) if isinstance(payload, dict) else None
        for index, item in enumerate(raw if isinstance(raw, list) else []):
            checked = AllowanceSerializer(data=item)
            if checked.is_valid():
                found.append(AllowanceCharge(is_charge, checked.validated_data["amount"], checked.validated_data["reason"]))
            else:
                errors |= payload_errors(field_errors(checked.errors, f"{key}[{index}]"))
    return found


def payload_errors(errors) -> dict[str, str]:
    """DRF's errors of a payload (or ``field_errors``' list of them) as the form shows them: one
    message per field path (``lines[0].quantity``)."""
    flat: dict[str, str] = {}
    listed = errors if isinstance(errors, list) and all(isinstance(e, dict) and "field" in e for e in errors) else field_errors(errors)
    for error in listed:
        flat.setdefault(error["field"], error["message"])
    return flat
