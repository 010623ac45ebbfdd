"""The words a buyer receives: the e-mail (with the PDF and the signed XML attached, and the link) and
the SMS (the amount and the link), in the tenant's language, or in its own words where it set them.

A tenant's own text may name ``{number}``, ``{date}``, ``{amount}``, ``{currency}``, ``{supplier}``
and ``{link}``; any other brace stays as written, and a text without ``{link}`` gets the link after it.
"""

from __future__ import annotations

import string
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _

from archive.models import Document
from archive.services import document_bytes
from delivery.models import Delivery, Preferences
from invoices.documents import invoice_xml
from invoices.models import Invoice

SMS_SUPPLIER_CHARACTERS = 30  # the supplier's name in an SMS, so the text stays within two messages


class _Kept(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def _own(text: str, facts: dict) -> str:
    """The tenant's text with the facts it names put in; a brace it did not mean to use stays."""
    try:
        filled = string.Formatter().vformat(text, (), _Kept(facts))
    except (ValueError, IndexError):  # an unmatched brace, a positional field: the text as written
        filled = text
    return filled if "{link}" in text else f"{filled}\n\n{facts['link']}"


def _facts(invoice: Invoice, link: str) -> dict:
    return {
        "number": invoice.number, "date": formats.date_format(invoice.issue_date, "d.m.Y"),
        "amount": formats.number_format(invoice.payable_amount, 2, use_l10n=True, force_grouping=True),
        "currency": invoice.currency, "supplier": invoice.tenant.title, "identifier": invoice.tenant.identifier, "link": link,
        "kind": "e-Arşiv" if invoice.channel == Invoice.Channel.EARSIV else "e-Fatura",
    }


def email_for(delivery: Delivery, *, preferences: Preferences, pdf: Document, link: str) -> EmailMessage:
    invoice = delivery.invoice
    with translation.override(preferences.language):
        facts = _facts(invoice, link)
        own = preferences.email_text_en if preferences.language == "en" else preferences.email_text_tr
        body = render_to_string("delivery/email.txt", {**facts, "intro": _own(own, facts) if own else ""})
        subject = _("%(kind)s invoice %(number)s from %(supplier)s") % facts
    message = EmailMessage(
        subject=subject, body=body, to=[delivery.address],
        from_email=formataddr((preferences.sender_name or invoice.tenant.title, settings.DEFAULT_FROM_EMAIL)),
        reply_to=[preferences.reply_to] if preferences.reply_to else None,
        # The same id on every try: a mailbox that got a try whose result was lost shows one message.
        headers={"Message-ID": f"<delivery-{delivery.id}.{invoice.uuid}@{settings.DEFAULT_FROM_EMAIL.rpartition('@')[2] or 'localhost'}>"},
    )
    message.attach(f"{invoice.number}.pdf", document_bytes(pdf), "application/pdf")
    message.attach(f"{invoice.number}.xml", invoice_xml(invoice), "application/xml")
    return message


def sms_for(delivery: Delivery, *, preferences: Preferences, link: str) -> tuple[str, str | None]:
    """The text and the header (the tenant's, else the platform's: None)."""
    invoice = delivery.invoice
    with translation.override(preferences.language):
        facts = {**_facts(invoice, link), "supplier": invoice.tenant.title[:SMS_SUPPLIER_CHARACTERS]}
        own = preferences.sms_text_en if preferences.language == "en" else preferences.sms_text_tr
        text = _own(own, facts) if own else _("%(supplier)s: %(kind)s invoice %(number)s, %(amount)s %(currency)s: %(link)s") % facts
    return text, preferences.sms_header or None
