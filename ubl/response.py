"""Application responses (uygulama yanıtı) and system responses: UBL-TR 2.1 ApplicationResponse.

The customer of a TICARIFATURA invoice answers it KABUL or RED (with a reason) within 8 days of
receipt: an ApplicationResponse in the shape of GİB's samples, built here unsealed, sealed by
``signing.xades.sign`` and sent back in a POSTBOXENVELOPE. Every envelope is itself answered with a
system response (S_APR) whose line carries GİB's status code; both kinds are read here.

Untrusted bytes go through ``schematron.parsing.parse_untrusted`` (no DTD, no entities, no network);
whatever is not a response we can read raises ``ParseError``.
"""

import datetime as dt
import re
import uuid as uuidlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _
from lxml import etree

from integrator.errors import DomainError
from schematron.parsing import UnsafeOrBroken, parse_untrusted
from ubl import build
from ubl.build import _el, _opt  # the builder's element helpers, shared on purpose
from ubl.document import Invoice, Party
from ubl.names import CAC, CBC, EXT, NS, cac, cbc
from ubl.parse import ParseError, _date, _text, _time, parse_invoice  # ParseError: one error for both readers

APR = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
RESPONSE = f"{{{APR}}}ApplicationResponse"
ISTANBUL = ZoneInfo("Europe/Istanbul")
ANSWERS = ("KABUL", "RED")  # what a customer may answer a TICARIFATURA with (IADE by response is gone)
ANSWER_WINDOW = dt.timedelta(hours=192)  # 8 days from receipt
ACCEPTED = "Fatura kabul edildi."  # the Description of a KABUL given without words, as in GİB's sample
INVOICE_NUMBER = re.compile(r"^[A-Z0-9]{3}20[0-9]{2}[0-9]{9}$")  # GİB's InvoiceIDCheck


class ResponseError(DomainError):
    code = "application_response_error"
    message = _("The application response cannot be built.")


class UnknownAnswer(ResponseError):
    code = "application_response_code"
    message = _("An invoice is answered KABUL or RED, not %(answer)r.")


class ReasonRequired(ResponseError):
    code = "application_response_reason_required"
    message = _("A RED answer needs a reason.")


class NotAnswerable(ResponseError):
    code = "application_response_not_answerable"
    message = _("Invoice %(invoice)s cannot be answered: %(reason)s.")


@dataclass(frozen=True)
class AppResponse:
    """An application response as read: one answer to one invoice."""

    uuid: str
    id: str
    issue_date: dt.date
    issue_time: dt.time | None
    code: str  # KABUL, RED, IADE, GUMRUKONAY, S_APR
    reason: str
    invoice_uuid: str  # DocumentResponse/DocumentReference/ID: the invoice's ETTN
    invoice_id: str  # the invoice number, when the reference is one (GİB's 2009 samples)
    sender_identifier: str  # VKN/TCKN of SenderParty: who answers
    receiver_identifier: str  # VKN/TCKN of ReceiverParty: the invoice's supplier
    profile: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SystemResponse:
    """A system response (S_APR): GİB's or a postbox's status for one envelope."""

    uuid: str
    envelope_uuid: str  # DocumentResponse/DocumentReference/ID
    envelope_type: str  # its DocumentTypeCode: SENDERENVELOPE, POSTBOXENVELOPE, ...
    code: int  # LineResponse/Response/ResponseCode: 1200 processed, 11xx refused, ... (envelopes.codes)
    description: str
    issue_date: dt.date
    issue_time: dt.time | None
    sender_identifier: str
    receiver_identifier: str


# --- when an answer is due ----------------------------------------------------------------------------


def needs_answer(profile: str) -> bool:
    """Only TICARIFATURA invoices are answered; TEMELFATURA and the others are accepted by arriving."""
    return profile.strip() == "TICARIFATURA"


def answer_deadline(received_at: dt.datetime) -> dt.datetime:
    """The last moment an invoice received at *received_at* may be answered: 192 hours later.

    Counted in elapsed time (UTC), so no clock change can stretch or shrink the window.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be an aware datetime")
    return (received_at.astimezone(dt.UTC) + ANSWER_WINDOW).astimezone(received_at.tzinfo)


def answer_open(*, received_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether an answer may still be given: up to and including the deadline itself."""
    return now <= answer_deadline(received_at)


# --- building -----------------------------------------------------------------------------------------


def _root(xml: bytes) -> etree._Element:
    try:
        return parse_untrusted(xml).tree.getroot()
    except UnsafeOrBroken as exc:
        raise ParseError(_("%(reason)s"), reason=exc) from None


def _check_answer(code: str, reason: str) -> None:
    if code not in ANSWERS:
        raise UnknownAnswer(answer=code)
    if code == "RED" and not reason:
        raise ReasonRequired()


def _answered_invoice(invoice_xml: bytes, responder: Party) -> Invoice:
    """The invoice answered, refused when it takes no answer or is not addressed to *responder*."""
    invoice = parse_invoice(_root(invoice_xml))
    name = invoice.id or invoice.uuid
    if not needs_answer(invoice.profile):
        reason = _("a %(profile)s invoice takes no answer, only TICARIFATURA does") % {"profile": invoice.profile}
        raise NotAnswerable(invoice=name, reason=reason)
    if invoice.customer.identifier != responder.identifier:
        names = {"customer": invoice.customer.identifier, "responder": responder.identifier}
        raise NotAnswerable(invoice=name, reason=_("it is addressed to %(customer)s, not to %(responder)s") % names)
    if not invoice.uuid or invoice.issue_date is None:
        raise NotAnswerable(invoice=name, reason=_("it has no UUID or no issue date to refer to"))
    return invoice


def _istanbul(moment: dt.datetime) -> dt.datetime:
    # GİB's samples write Istanbul wall-clock time without an offset; so do we.
    if moment.tzinfo is None:
        raise ValueError("issued must be an aware datetime")
    return moment.astimezone(ISTANBUL)


def _header(root, uuid: str, issued: dt.datetime, note: str) -> None:
    moment = _istanbul(issued)
    _el(root, cbc("UBLVersionID"), "2.1")  # UBLVersionIDCheck
    _el(root, cbc("CustomizationID"), "TR1.2")  # CustomizationIDCheck
    _el(root, cbc("ProfileID"), "TICARIFATURA")  # ApplicationResponseProfileIDCheck: a KABUL/RED is TICARIFATURA
    _el(root, cbc("ID"), uuid)  # IDCheck: not empty; GİB's 2_ and 3_ samples use a UUID here too
    _el(root, cbc("UUID"), uuid)  # UUIDCheck
    _el(root, cbc("IssueDate"), moment.date().isoformat())
    _el(root, cbc("IssueTime"), moment.strftime("%H:%M:%S"))
    _opt(root, cbc("Note"), note)  # the reason, where GİB's samples put their note


def _response(parent, code: str, text: str, reference: uuidlib.UUID) -> None:
    response = _el(parent, cac("Response"))
    _el(response, cbc("ReferenceID"), str(reference))  # required by the schema
    _el(response, cbc("ResponseCode"), code)  # ResponseCodeCheck, PostBoxResponseCodeCheck
    _el(response, cbc("Description"), text)  # DescriptionCountCheck: exactly one


def _document_response(root, invoice: Invoice, code: str, text: str, base: uuidlib.UUID) -> None:
    answer = _el(root, cac("DocumentResponse"))  # DocumentResponseCountCheck: exactly one
    _response(answer, code, text, uuidlib.uuid5(base, "response"))
    reference = _el(answer, cac("DocumentReference"))
    _el(reference, cbc("ID"), invoice.uuid)  # the invoice's ETTN: what the supplier's side matches the answer to
    _el(reference, cbc("IssueDate"), invoice.issue_date.isoformat())
    # PostBoxDocumentReferenceCheck: both non-empty; GİB's 2_ and 3_ samples name the invoice's type.
    _el(reference, cbc("DocumentTypeCode"), invoice.type_code)
    _el(reference, cbc("DocumentType"), invoice.type_code)
    line = _el(answer, cac("LineResponse"))  # GİB's samples answer the whole invoice on one line, LineID empty
    _el(_el(line, cac("LineReference")), cbc("LineID"), "")
    _response(line, code, text, uuidlib.uuid5(base, "line"))


def build_application_response(
    *, invoice_xml: bytes, code: str, reason: str, responder: Party, uuid: str, issued: dt.datetime
) -> bytes:
    """The unsealed KABUL or RED of *responder*, the invoice's customer, to the invoice *invoice_xml*.

    *uuid* is the response's ID and UUID both, and names its seal ``Signature_<uuid>``: unique, so
    responses share an envelope safely (xsd:ID); it must be a UUID (ValueError otherwise). Raises a
    ResponseError for an answer that may not be given, ParseError for an invoice that cannot be read.
    """
    reason = (reason or "").strip()
    _check_answer(code, reason)
    invoice = _answered_invoice(invoice_xml, responder)
    base = uuidlib.UUID(uuid)
    root = etree.Element(RESPONSE, nsmap={None: APR, "cac": CAC, "cbc": CBC, "ext": EXT, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{APR} UBL-ApplicationResponse-2.1.xsd")  # ApplicationResponseProfileIDCheck
    build.extensions(root)  # ARSignatureCheck: the seal's place
    _header(root, str(base), issued, reason)
    # ARSignatureCheck: a KABUL/RED carries cac:Signature; the seal's holder is the responder.
    build.signature(root, signer=responder.identifier, signatory=responder, seal_id=f"Signature_{base}")
    build.party_content(_el(root, cac("SenderParty")), responder)  # ARSenderCheck: the envelope's sender
    build.party_content(_el(root, cac("ReceiverParty")), invoice.supplier)  # ARReceiverCheck: the envelope's receiver
    _document_response(root, invoice, code, reason or ACCEPTED, base)
    return build.to_bytes(root)


# --- reading ------------------------------------------------------------------------------------------


def _response_root(xml: bytes) -> etree._Element:
    root = _root(xml)
    if root.tag != RESPONSE:
        raise ParseError(_("the root element is %(root)s, not %(expected)s"), root=etree.QName(root).localname, expected="ApplicationResponse")
    return root


def _answer(root) -> etree._Element:
    answers = root.findall("cac:DocumentResponse", NS)
    if len(answers) != 1:  # GİB's DocumentResponseCountCheck
        raise ParseError(_("the response has %(count)s cac:DocumentResponse, not one"), count=len(answers))
    return answers[0]


def _required(node, path: str) -> str:
    text = _text(node, path)
    if not text:
        raise ParseError(_("%(path)s is missing or empty"), path=path)
    return text


def _issue_date(root) -> dt.date:
    day = _date(root, "cbc:IssueDate")
    if day is None:
        raise ParseError(_("%(path)s is missing or empty"), path="cbc:IssueDate")
    return day


def _identifier(root, role: str) -> str:
    """The party's VKN or TCKN; a party may carry other ids (GTB_REFNO, ...) beside it."""
    for node in root.findall(f"cac:{role}/cac:PartyIdentification/cbc:ID", NS):
        if node.get("schemeID") in ("VKN", "TCKN"):
            return (node.text or "").strip()
    return ""


def _reason(answer, notes: tuple[str, ...]) -> str:
    """The line's Description (where GİB's RED sample puts the reason), else the document's, else a note."""
    candidates = (_text(answer, "cac:LineResponse/cac:Response/cbc:Description"), _text(answer, "cac:Response/cbc:Description"), *notes)
    return next((text for text in candidates if text), "")


def parse_application_response(xml: bytes) -> AppResponse:
    """Read an application response (ours or anyone's, of any code); raises ParseError."""
    root = _response_root(xml)
    answer = _answer(root)
    notes = tuple(text for node in root.findall("cbc:Note", NS) if (text := (node.text or "").strip()))
    reference = _required(answer, "cac:DocumentReference/cbc:ID")
    return AppResponse(
        uuid=_text(root, "cbc:UUID"),
        id=_text(root, "cbc:ID"),
        issue_date=_issue_date(root),
        issue_time=_time(root, "cbc:IssueTime"),
        code=_required(answer, "cac:Response/cbc:ResponseCode"),
        reason=_reason(answer, notes),
        invoice_uuid=reference,
        invoice_id=reference if INVOICE_NUMBER.match(reference) else "",
        sender_identifier=_identifier(root, "SenderParty"),
        receiver_identifier=_identifier(root, "ReceiverParty"),
        profile=_text(root, "cbc:ProfileID"),
        notes=notes,
    )


def _status(answer) -> int:
    text = _required(answer, "cac:LineResponse/cac:Response/cbc:ResponseCode")
    if not text.isdigit():
        raise ParseError(_("the envelope's status code %(text)r is not a number"), text=text)
    return int(text)


def parse_system_response(xml: bytes) -> SystemResponse:
    """Read a system response (S_APR) to an envelope; raises ParseError for anything else."""
    root = _response_root(xml)
    answer = _answer(root)
    if (code := _text(answer, "cac:Response/cbc:ResponseCode")) != "S_APR":
        raise ParseError(_("the response code is %(code)r, not S_APR: this is not a system response"), code=code)
    return SystemResponse(
        uuid=_text(root, "cbc:UUID"),
        envelope_uuid=_required(answer, "cac:DocumentReference/cbc:ID"),
        envelope_type=_text(answer, "cac:DocumentReference/cbc:DocumentTypeCode"),
        code=_status(answer),
        description=_text(answer, "cac:LineResponse/cac:Response/cbc:Description"),
        issue_date=_issue_date(root),
        issue_time=_time(root, "cbc:IssueTime"),
        sender_identifier=_identifier(root, "SenderParty"),
        receiver_identifier=_identifier(root, "ReceiverParty"),
    )

