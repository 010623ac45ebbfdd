"""Writes for invoices: issuing one from a payload, and moving it between states."""

import uuid

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from envelopes.routing import route
from integrator.errors import DomainError
from invoices.models import Invoice, StatusChange
from invoices.payload import InvoicePayloadSerializer, payload_to_invoice
from invoices.status import TRANSITIONS
from invoices.ubl import build, totals
from invoices.ubl.document import Address, Party
from tenants.models import NumberSeries, Tenant
from tenants.numbering import number_allocate


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
    """Move *invoice* to *to* if the transition table allows it, and record the move."""
    if to not in TRANSITIONS[invoice.status]:
        raise IllegalTransition(**{"from": invoice.status, "to": to})
    StatusChange.objects.create(invoice=invoice, from_status=invoice.status, to_status=to, code=code, text=text)
    invoice.status = to
    invoice.save(update_fields=["status", "updated_at"])
    return invoice


def invoice_issue(*, tenant: Tenant, data: dict) -> Invoice:
    """Check *data* (the documented JSON payload), number it from the tenant's series and build its
    UBL-TR XML, all in one transaction: a number is taken only by an invoice that is saved.

    It is routed first: a customer not on GİB's registered-user list gets an e-Arşiv invoice, numbered
    from the e-Arşiv series (``envelopes.routing``); the decision and its reason are kept on the invoice."""
    serializer = InvoicePayloadSerializer(data=data)
    if not serializer.is_valid():
        raise PayloadInvalid(serializer.errors)
    checked = serializer.validated_data
    if not tenant.efatura_registered and checked["profile"] != "EARSIVFATURA":
        raise ProfileNotAllowed(tenant=tenant.display_name)
    document = payload_to_invoice(checked, supplier=tenant_party(tenant))
    decision = route(profile=document.profile, customer=document.customer.identifier, alias=checked["receiver_alias"])
    document.profile = decision.profile
    series = _series(tenant=tenant, prefix=checked["series"] if decision.profile == checked["profile"] else "", profile=decision.profile)
    with transaction.atomic():
        document.id = number_allocate(series=series, issue_date=document.issue_date)
        document.uuid = str(uuid.uuid4()).upper()
        build.with_amount_in_words(totals.compute(document))
        invoice = Invoice.objects.create(
            tenant=tenant,
            uuid=document.uuid,
            number=document.id,
            series=series,
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
            payload=data,
            xml=build.to_bytes(build.build_invoice(document, xslt=tenant.display_xslt.encode() or None)),
        )
        StatusChange.objects.create(invoice=invoice, to_status=invoice.status, text="issued")
    return invoice
