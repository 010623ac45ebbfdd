"""Writes for invoices: issuing one from a payload, receiving one GİB delivers, and moving them
between states."""

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from lxml import etree

from archive.models import Document
from archive.services import Put, documents_record
from directory.routing import Route, route
from integrator.errors import DomainError
from invoices.figures import figures_follow, figures_follow_many, share_before, taxes_record, taxes_record_many
from invoices.models import Invoice, StatusChange
from invoices.payload import InvoicePayloadSerializer, payload_to_invoice
from invoices.rules import rule_errors
from invoices.status import TRANSITIONS, Status
from schematron.parsing import UnsafeOrBroken, parse_untrusted
from schematron.validation import Report, validate
from tenants.models import NumberSeries, Tenant
from tenants.numbering import number_allocate
from tenants.webhooks import webhook_invoices_received, webhook_invoices_status_changed
from ubl import build, parse, totals
from ubl import document as ubl
from ubl.document import Address, Party


class PayloadInvalid(DomainError):
    code = "payload_invalid"
    message = _("The invoice data is not valid; see the errors of each field.")

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__()


class NoSeries(DomainError):
    code = "no_series"
    message = _("%(tenant)s has no %(what)s number series; create one first.")


class ProfileNotAllowed(DomainError):
    code = "profile_not_allowed"
    message = _("%(tenant)s is not a registered e-Fatura user and can issue only e-Arşiv invoices.")


class NotUbl(DomainError):
    code = "not_ubl"
    message = _("The body is not a UBL-TR invoice: %(reason)s")


class SupplierMismatch(DomainError):
    code = "supplier_mismatch"
    message = _("The invoice's supplier is %(supplier)s; an invoice issued with this key must have %(tenant)s as its supplier.")


class DuplicateEttn(DomainError):
    code = "duplicate_ettn"
    message = _("An invoice with the ETTN %(uuid)s was issued already.")


class IllegalTransition(DomainError):
    code = "illegal_transition"
    message = _("An invoice cannot go from %(from)s to %(to)s.")


def tenant_party(tenant: Tenant) -> Party:
    """The tenant as the supplier of its invoices."""
    return Party(
        identifier=tenant.identifier,
        name=tenant.title,
        first_name=tenant.first_name if tenant.is_person else "",
        last_name=tenant.last_name if tenant.is_person else "",
        tax_office=tenant.tax_office,
        address=Address(street=tenant.street, district=tenant.district or tenant.city, city=tenant.city, postal_code=tenant.postal_code, country=tenant.country),
        email=tenant.email,
        phone=tenant.phone,
    )


def party_name(party: Party) -> str:
    return party.name or f"{party.first_name} {party.last_name}".strip()


def _series(*, tenant: Tenant, prefix: str, profile: str) -> NumberSeries:
    kind = NumberSeries.Kind.EARSIV if profile == "EARSIVFATURA" else NumberSeries.Kind.EFATURA
    series = NumberSeries.objects.filter(tenant=tenant, **({"prefix": prefix} if prefix else {"kind": kind, "is_default": True})).first()
    if series is None:
        raise NoSeries(tenant=tenant.display_name, what=prefix or kind.label)
    return series


def set_status(*, invoice: Invoice, to: str, code: str = "", text: str = "") -> Invoice:
    """Move *invoice* to *to* if the transition table allows it, and record the move; the reports'
    figures move with it, in the same transaction (``statuses_set`` of this one invoice)."""
    return statuses_set(invoices=[invoice], to=to, code=code, text=text)[0]


def statuses_set(*, invoices: list[Invoice], to: str, code: str = "", text: str = "", saved: tuple[str, ...] = (),
                 gib_code: int | None = None) -> list[Invoice]:
    """``set_status`` for many of one tenant's invoices at once (a step's batch), in a few statements
    whatever their number: the same checks, status changes, figures and webhooks. The fields named in
    *saved*, changed in memory by the caller, are saved with the status; with *gib_code*, GİB's last
    code is recorded too (``gib_code_set``: ``never_resend`` as each invoice holds it)."""
    if not invoices:
        return invoices
    for invoice in invoices:
        if to not in TRANSITIONS[invoice.status]:
            raise IllegalTransition(**{"from": invoice.status, "to": to})
    now = timezone.now()
    with transaction.atomic():
        befores = [share_before(invoice, to=to) for invoice in invoices]
        changes = StatusChange.objects.bulk_create([
            StatusChange(invoice=invoice, from_status=invoice.status, to_status=to, code=code, text=text, created_at=now)
            for invoice in invoices])
        for invoice in invoices:
            invoice.status, invoice.updated_at = to, now
            if gib_code is not None:
                invoice.gib_code = gib_code
        coded = ("gib_code", "never_resend") if gib_code is not None else ()
        _save_many(invoices, ["status", "updated_at", *saved, *coded])
        figures_follow_many(moved=list(zip(befores, invoices)))
        webhook_invoices_status_changed(tenant=invoices[0].tenant, moved=list(zip(invoices, changes)))
    return invoices


def _save_many(invoices: list[Invoice], fields: list[str]) -> None:
    """Save *fields* of *invoices*: those with one value for all in one UPDATE, the others in one
    ``bulk_update`` (a CASE per field and row, costly to build: only where values differ)."""
    same, differing = {}, []
    for name in fields:
        attname = Invoice._meta.get_field(name).attname
        values = {getattr(invoice, attname) for invoice in invoices}
        if len(values) == 1:
            same[attname] = values.pop()
        else:
            differing.append(name)
    Invoice.objects.filter(id__in=[invoice.id for invoice in invoices]).update(**same)
    if differing:
        Invoice.objects.bulk_update(invoices, differing)


def gib_code_set(*, invoice: Invoice, code: int, never_resend: bool) -> Invoice:
    """Record GİB's last code for *invoice*; the reports' figures by code move with it."""
    with transaction.atomic():
        before = share_before(invoice)
        invoice.gib_code, invoice.never_resend = code, never_resend
        invoice.save(update_fields=["gib_code", "never_resend", "updated_at"])
        figures_follow(before=before, invoice=invoice)
    return invoice


@dataclass
class Draft:
    """An invoice checked and routed, not yet numbered: what ``invoice_issue`` saves and
    ``draft_preview`` validates. ``xslt`` is the design to embed (None: the tenant's)."""

    document: ubl.Invoice
    decision: Route
    series: NumberSeries
    payload: dict | None = None
    xslt: bytes | None = None


def draft_from_payload(*, tenant: Tenant, data: dict) -> Draft:
    """Check *data* (the documented JSON payload) and route it."""
    serializer = InvoicePayloadSerializer(data=data)
    if not serializer.is_valid():
        raise PayloadInvalid(serializer.errors)
    checked = serializer.validated_data
    _check_profile(tenant, checked["profile"])
    document = payload_to_invoice(checked, supplier=tenant_party(tenant))
    decision = route(profile=document.profile, customer=document.customer.identifier, alias=checked["receiver_alias"])
    document.profile = decision.profile
    series = _series(tenant=tenant, prefix=checked["series"] if decision.profile == checked["profile"] else "", profile=decision.profile)
    build.with_amount_in_words(totals.compute(document))
    return Draft(document, decision, series, payload=data, xslt=tenant.display_xslt.encode() or None)


def draft_from_xml(*, tenant: Tenant, xml: bytes, receiver_alias: str = "", series: str = "") -> Draft:
    """A UBL-TR invoice an ERP wrote, to issue as the tenant's: the platform numbers it (its ID is
    replaced) and keeps its ETTN, lines, totals and design; its supplier must be the tenant."""
    root = untrusted_invoice(xml)
    try:
        document = parse.parse_invoice(root)
    except (parse.ParseError, ValueError, ArithmeticError) as exc:
        raise NotUbl(reason=exc) from None
    if document.supplier.identifier != tenant.identifier:
        raise SupplierMismatch(supplier=document.supplier.identifier or "?", tenant=tenant.identifier)
    _check_profile(tenant, document.profile)
    errors = rule_errors(document)  # as a payload's: GİB's rules for the profile and type, beside their field
    if errors:
        raise PayloadInvalid(errors)
    document.uuid = _ettn(document.uuid)
    decision = route(profile=document.profile, customer=document.customer.identifier, alias=receiver_alias)
    asked = document.profile
    document.profile = decision.profile
    series_row = _series(tenant=tenant, prefix=series if decision.profile == asked else "", profile=decision.profile)
    return Draft(document, decision, series_row, xslt=parse.embedded_xslt(root) or tenant.display_xslt.encode() or None)


def untrusted_invoice(xml: bytes):
    """The root of a UBL-TR invoice read from untrusted bytes; NotUbl for anything else."""
    try:
        root = parse_untrusted(xml).tree.getroot()
    except UnsafeOrBroken as exc:
        raise NotUbl(reason=exc) from None
    expected = f"{{{parse.NS['inv']}}}Invoice"
    if root.tag != expected:
        local = etree.QName(root).localname
        raise NotUbl(reason=parse.ParseError(_("the root element is %(root)s, not %(expected)s"), root=root.tag if local == "Invoice" else local,
                                             expected=expected if local == "Invoice" else "Invoice"))
    return root


def _ettn(value: str) -> str:
    """The ETTN the document carries, or a new one when it has none."""
    if not value:
        return str(uuid.uuid4()).upper()
    try:
        return str(uuid.UUID(value)).upper()
    except ValueError:
        raise NotUbl(reason=parse.ParseError(_("its UUID (ETTN) %(value)r is not a UUID"), value=value)) from None


def _check_profile(tenant: Tenant, profile: str) -> None:
    if not tenant.efatura_registered and profile != "EARSIVFATURA":
        raise ProfileNotAllowed(tenant=tenant.display_name)


def _built(draft: Draft, number: str) -> bytes:
    draft.document.id = number
    return build.to_bytes(build.build_invoice(draft.document, xslt=draft.xslt))


def draft_xml(*, draft: Draft) -> bytes:
    """The draft as UBL-TR, without taking a number: built with the series' next-number shape
    (``PPPYYYY000000001``) and an ETTN of its own when it has none yet, then left as it was."""
    document = draft.document
    provisional = f"{draft.series.prefix}{document.issue_date.year}{1:09d}"
    saved_uuid = document.uuid
    document.uuid = document.uuid or str(uuid.uuid4()).upper()
    try:
        return _built(draft, provisional)
    finally:
        document.uuid, document.id = saved_uuid, ""


def draft_preview(*, draft: Draft) -> Report:
    """The verdict the pipeline would give, without taking a number: ``draft_xml`` validated with every layer."""
    return validate(draft_xml(draft=draft))


def invoice_issue(*, tenant: Tenant, data: dict) -> Invoice:
    """Check *data* (the documented JSON payload), number it from the tenant's series and build its
    UBL-TR XML, all in one transaction: a number is taken only by an invoice that is saved.

    It is routed first: a customer not on GİB's registered-user list gets an e-Arşiv invoice, numbered
    from the e-Arşiv series (``directory.routing``); the decision and its reason are kept on the invoice."""
    return draft_issue(tenant=tenant, draft=draft_from_payload(tenant=tenant, data=data))


def draft_issue(*, tenant: Tenant, draft: Draft) -> Invoice:
    """Number and save *draft* (see ``invoice_issue``). An ETTN the tenant used already is refused."""
    document = draft.document
    document.uuid = document.uuid or str(uuid.uuid4()).upper()
    try:
        return _save(tenant, draft)
    except IntegrityError:
        if Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.OUTGOING, uuid=document.uuid).exists():
            raise DuplicateEttn(uuid=document.uuid) from None
        raise


def _save(tenant: Tenant, draft: Draft) -> Invoice:
    document, decision = draft.document, draft.decision
    with transaction.atomic():
        xml = _built(draft, number_allocate(series=draft.series, issue_date=document.issue_date))
        invoice = Invoice.objects.create(
            tenant=tenant,
            uuid=document.uuid,
            number=document.id,
            series=draft.series,
            profile=document.profile,
            type_code=document.type_code,
            issue_date=document.issue_date,
            currency=document.currency,
            supplier_identifier=tenant.identifier,
            supplier_name=tenant.display_name,
            customer_identifier=document.customer.identifier,
            customer_name=party_name(document.customer),
            tax_amount=totals.tax_total(document),
            payable_amount=document.totals.payable,
            channel=decision.channel,
            routing_reason=decision.reason,
            receiver_alias=decision.alias,
            payload=draft.payload,
            xml=xml,
            xml_sha256=hashlib.sha256(xml).hexdigest(),
        )
        StatusChange.objects.create(invoice=invoice, to_status=invoice.status)
        taxes_record(invoice=invoice, document=document)
    return invoice


def invoices_receive(*, tenant: Tenant, received: list[tuple[ubl.Invoice, bytes, Put]], envelope, sender_alias: str,
                     receiver_alias: str, now: dt.datetime) -> list[Invoice]:
    """The invoices of one envelope GİB delivered to *tenant*'s postbox *receiver_alias* ((document,
    bytes, archived object written before the transaction) each), stored RECEIVED in the caller's
    transaction, and the tenant's webhooks told: a few statements for the envelope, whatever it holds.
    An invoice the tenant holds already (a resend after 1215/1230: the same document) is kept once."""
    held = set(Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.INCOMING, uuid__in=[d.uuid for d, _x, _p in received])
               .values_list("uuid", flat=True))
    new, seen = [], set()
    for document, xml, put in received:
        key = uuid.UUID(str(document.uuid))
        if key in held or key in seen:
            continue
        seen.add(key)
        invoice = Invoice(
            tenant=tenant, uuid=document.uuid, number=document.id, direction=Invoice.Direction.INCOMING,
            profile=document.profile, type_code=document.type_code, issue_date=document.issue_date, currency=document.currency,
            supplier_identifier=document.supplier.identifier, supplier_name=party_name(document.supplier),
            customer_identifier=document.customer.identifier, customer_name=party_name(document.customer),
            tax_amount=totals.tax_total(document), payable_amount=document.totals.payable, status=Status.RECEIVED,
            channel=Invoice.Channel.EFATURA, envelope=envelope, sender_alias=sender_alias, receiver_alias=receiver_alias,
            received_at=now, xml=None, xml_sha256=hashlib.sha256(xml).hexdigest(),  # the archive holds it
        )
        invoice.search_text = invoice.searchable()  # as save() would
        new.append((invoice, document, put))
    if not new:
        return []
    invoices = Invoice.objects.bulk_create([invoice for invoice, _d, _p in new])
    documents = documents_record(puts=[(put, Document.Kind.INVOICE_RECEIVED, ("invoice", invoice.id)) for invoice, _d, put in new])
    for invoice, document in zip(invoices, documents):
        invoice.document = document
    Invoice.objects.bulk_update(invoices, ["document"])
    StatusChange.objects.bulk_create([StatusChange(invoice=invoice, to_status=Status.RECEIVED, text=str(envelope.uuid), created_at=now)
                                      for invoice in invoices])
    taxes_record_many(recorded=[(invoice, document) for invoice, document, _p in new])
    webhook_invoices_received(tenant=tenant, invoices=invoices)
    return invoices
