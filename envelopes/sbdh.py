"""SBDH envelopes (zarf) in GİB's shape, built as lxml trees and read back.

An envelope is ``sh:StandardBusinessDocument``: a header naming the sender and receiver by alias
(``sh:Identifier``) and VKN/TCKN (``sh:ContactInformation`` typed ``VKN_TCKN``, the title typed
``UNVAN``), the envelope's UUID (``InstanceIdentifier``) and type, then GİB's ``ef:Package`` holding the
documents in ``Elements/ElementList``.

Invariant: a sealed document keeps its seal through build → parse. The seal's enveloped signature
covers the canonical form of the whole document, namespace declarations included, so each document is
written into the envelope with exactly the declarations it carries itself (lxml's incremental writer,
because appending to a tree drops declarations the envelope already makes), and read back as a copy
of its element alone, with none of the envelope's.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import uuid as uuidlib
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _
from lxml import etree

from integrator.errors import DomainError
from schematron.parsing import DOCTYPE_MARKERS, syntax_error

SH = "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader"
EF = "http://www.efatura.gov.tr/package-namespace"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
APR = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
INVOICE = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
RESPONSE = f"{{{APR}}}ApplicationResponse"
ROOT = f"{{{SH}}}StandardBusinessDocument"
NS = {"sh": SH, "ef": EF, "cbc": CBC, "cac": CAC}
ISTANBUL = ZoneInfo("Europe/Istanbul")

SENDERENVELOPE, POSTBOXENVELOPE, SYSTEMENVELOPE = "SENDERENVELOPE", "POSTBOXENVELOPE", "SYSTEMENVELOPE"
MAX_INVOICES = 100  # GİB's InvoiceCountCheck: at most 100 inv:Invoice in one ElementList
MAX_ELEMENTS = 1000  # GİB's ElementCountCheck: ElementCount at most 1000
POSTBOX_CODES = ("KABUL", "RED", "IADE", "GUMRUKONAY")  # GİB's PostBoxResponseCodeCheck
# What we read: an envelope GİB forwards has passed its 5 MB zip limit; deflate rarely packs UBL-TR
# better than 12:1, so more than this is treated as a bomb, not as an envelope.
MAX_ENVELOPE_BYTES = 64 * 1024 * 1024


class EnvelopeError(DomainError):
    code = "envelope_error"
    message = _("The envelope cannot be used.")
    gib_code: int | None = None  # the GİB status code the same fault earns at GİB, when there is one


class NotEmbeddable(EnvelopeError):
    code = "envelope_document_refused"
    message = _("Document %(position)s cannot go into a %(type)s: %(reason)s.")


class DuplicateIds(NotEmbeddable):
    code = "envelope_duplicate_ids"
    gib_code = 1160  # XML ŞEMA KONTROLÜNDEN GEÇEMEDİ


class EnvelopeCount(EnvelopeError):
    code = "envelope_document_count"
    message = _("A %(type)s holds 1 to %(limit)s documents, not %(count)s.")


class NotAnEnvelope(EnvelopeError):
    code = "not_an_envelope"
    message = _("This is not an envelope we can read: %(reason)s.")
    gib_code = 1140  # DOKÜMAN AYRIŞTIRILAMADI


@dataclass(frozen=True)
class Envelope:
    """What an envelope holds; ``documents`` each stand alone, as they were before they were enveloped."""

    uuid: str
    type: str
    sender_alias: str
    sender_identifier: str
    receiver_alias: str
    receiver_identifier: str
    element_type: str
    documents: list[bytes] = field(default_factory=list)
    sender_name: str = ""
    receiver_name: str = ""
    created: dt.datetime | None = None
    root: etree._Element | None = field(default=None, repr=False, compare=False)  # as read: checks that read it whole use it

    @property
    def element_count(self) -> int:
        return len(self.documents)

    def parties(self) -> dict[str, str]:
        """The builders' party keywords, so that an envelope read can be built again."""
        names = ("alias", "identifier", "name")
        return {f"{side}_{n}": getattr(self, f"{side}_{n}") for side in ("sender", "receiver") for n in names}


# --- reading XML ------------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    # Blank text is kept: it is part of what a seal covers.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False)


def safe_parse(xml: bytes, *, limit: int = MAX_ENVELOPE_BYTES) -> etree._Element:
    """The root element of untrusted XML; no DTD, no entities, no network. Raises NotAnEnvelope."""
    if len(xml) > limit:
        raise NotAnEnvelope(reason=_("it is %(size)s bytes, more than %(limit)s") % {"size": len(xml), "limit": limit})
    if any(marker in xml for marker in DOCTYPE_MARKERS):
        raise NotAnEnvelope(reason=_("it has a DOCTYPE declaration"))
    try:
        return etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as exc:
        raise NotAnEnvelope(reason=_("it is not well-formed XML (%(error)s)") % {"error": syntax_error(exc)}) from None
    except (ValueError, LookupError, UnicodeError):
        raise NotAnEnvelope(reason=_("its character encoding cannot be read")) from None


def instance_identifier(root: etree._Element) -> str:
    """The envelope's UUID (``DocumentIdentification/InstanceIdentifier``), stripped; '' when missing."""
    return (root.findtext("sh:StandardBusinessDocumentHeader/sh:DocumentIdentification/sh:InstanceIdentifier", "", NS)).strip()


def envelope_uuid(value: uuidlib.UUID | str | None = None) -> str:
    """GİB's form of an envelope UUID: 36 characters, hyphenated, lower-case (its UUIDCheck); new by default."""
    if not value:
        return str(uuidlib.uuid4())
    return str(value if isinstance(value, uuidlib.UUID) else uuidlib.UUID(str(value)))


# --- building -----------------------------------------------------------------------------------------


def _sh(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{SH}}}{name}")
    element.text = text
    return element


def _contact(partner: etree._Element, contact: str, kind: str) -> None:
    information = _sh(partner, "ContactInformation")
    _sh(information, "Contact", contact)
    _sh(information, "ContactTypeIdentifier", kind)  # GİB's ContactTypeIdentifierType: UNVAN, VKN_TCKN


def _partner(header: etree._Element, role: str, alias: str, identifier: str, name: str, *, name_first: bool) -> None:
    # GİB's ContactInformationCheck: exactly one VKN_TCKN contact; the title is optional.
    partner = _sh(header, role)
    _sh(partner, "Identifier", alias)
    contacts = [(name, "UNVAN"), (identifier, "VKN_TCKN")]
    for contact, kind in contacts if name_first else reversed(contacts):
        if contact:
            _contact(partner, contact, kind)


def _creation_time(created: dt.datetime | None) -> str:
    # GİB's samples write Istanbul wall-clock time without an offset; so do we.
    moment = created or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        raise ValueError("created must be an aware datetime")
    return moment.astimezone(ISTANBUL).replace(microsecond=0, tzinfo=None).isoformat()


def _identification(header: etree._Element, kind: str, uuid: str, created: dt.datetime | None) -> None:
    identification = _sh(header, "DocumentIdentification")
    _sh(identification, "Standard", "UBL-TR")
    _sh(identification, "TypeVersion", "1.2")  # GİB's TypeVersionCheck: '1.2' (the 2013 samples still say 1.0)
    _sh(identification, "InstanceIdentifier", uuid)  # GİB's UUIDCheck; also the zip's and the XML file's name
    _sh(identification, "Type", kind)  # GİB's EnvelopeTypeCheck
    _sh(identification, "CreationDateAndTime", _creation_time(created))


def _skeleton(kind: str, element_type: str, count: int, parties: dict, uuid: str, created, *, name_first: bool) -> etree._Element:
    """The envelope without its documents: header, then ef:Package/Elements up to an empty ElementList."""
    root = etree.Element(ROOT, nsmap={"sh": SH, "ef": EF, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{SH} PackageProxy_1_2.xsd")  # GİB's DocumentCheck names this file
    header = _sh(root, "StandardBusinessDocumentHeader")
    _sh(header, "HeaderVersion", "1.0")  # GİB's HeaderCheck: 1.0 or 1.2
    for role in ("sender", "receiver"):
        p = {k: parties[f"{role}_{k}"] for k in ("alias", "identifier", "name")}
        _partner(header, role.capitalize(), p["alias"], p["identifier"], p["name"], name_first=name_first)
    _identification(header, kind, uuid, created)
    elements = etree.SubElement(etree.SubElement(root, f"{{{EF}}}Package"), "Elements")  # unqualified, as GİB's XSD says
    etree.SubElement(elements, "ElementType").text = element_type
    etree.SubElement(elements, "ElementCount").text = str(count)
    etree.SubElement(elements, "ElementList")
    etree.indent(root, space=" ")
    return root


def _write(xf, element: etree._Element, documents: list[etree._Element]) -> None:
    """Write *element* through the incremental writer; the documents go, untouched, into ElementList."""
    nsmap = element.nsmap if element.getparent() is None else None
    with xf.element(element.tag, dict(element.attrib), nsmap=nsmap):
        if element.text:
            xf.write(element.text)
        for child in element:
            _write(xf, child, documents)
            if child.tail:
                xf.write(child.tail)
        if element.tag == "ElementList":
            for document in documents:
                xf.write(document)  # with its own namespace declarations, redundant or not


def _serialize(root: etree._Element, documents: list[etree._Element]) -> bytes:
    out = io.BytesIO()
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        _write(xf, root, documents)
    return out.getvalue()


def _document(xml: bytes, position: int, kind: str, tag: str) -> etree._Element:
    """The root of one document to envelope, refused when it is not *tag* or would not survive the trip."""
    try:
        root = safe_parse(xml)
    except NotAnEnvelope as exc:
        raise NotEmbeddable(position=position, type=kind, reason=exc.params["reason"]) from None
    if root.tag != tag:
        names = {"tag": etree.QName(root).localname, "wanted": etree.QName(tag).localname}
        raise NotEmbeddable(position=position, type=kind, reason=_("it is %(tag)s, not %(wanted)s") % names)
    if root.getprevious() is not None or root.getnext() is not None:
        # A processing instruction or comment outside the root has no place in ElementList, and a seal may cover it.
        raise NotEmbeddable(position=position, type=kind, reason=_("it has nodes outside its root element"))
    return root


def _response_code(root: etree._Element) -> str:
    return (root.findtext("cac:DocumentResponse/cac:Response/cbc:ResponseCode", "", NS)).strip()


def _responses(documents: list[bytes], kind: str, codes: tuple[str, ...]) -> list[etree._Element]:
    roots = [_document(xml, i, kind, RESPONSE) for i, xml in enumerate(documents, 1)]
    for i, root in enumerate(roots, 1):
        if _response_code(root) not in codes:
            reason = _("its ResponseCode is %(code)r, not one of %(codes)s") % {"code": _response_code(root), "codes": ", ".join(codes)}
            raise NotEmbeddable(position=i, type=kind, reason=reason)
    return roots


def _check_unique_ids(roots: list[etree._Element], kind: str) -> None:
    """The seals' Id attributes are xs:ID, unique in the whole envelope, or GİB's XML schema refuses it (1160)."""
    seen: dict[str, int] = {}
    for position, root in enumerate(roots, 1):
        ids = dict.fromkeys(e.get("Id") for e in root.iter() if isinstance(e.tag, str) and e.get("Id"))
        for value in ids:  # in document order, so the first clash is the one reported
            if value in seen:
                reason = _("its Id %(id)r is document %(other)s's too, and IDs must be unique in an envelope") % {"id": value, "other": seen[value]}
                raise DuplicateIds(position=position, type=kind, reason=reason)
            seen[value] = position


def _envelope(kind: str, element_type: str, roots: list, parties: dict, uuid, created, *, limit: int,
              name_first: bool = True) -> tuple[bytes, etree._Element]:
    if not 1 <= len(roots) <= limit:
        raise EnvelopeCount(type=kind, limit=limit, count=len(roots))
    _check_unique_ids(roots, kind)
    root = _skeleton(kind, element_type, len(roots), parties, envelope_uuid(uuid), created, name_first=name_first)
    return _serialize(root, roots), root


def sender_envelope(**arguments) -> bytes:
    """A SENDERENVELOPE of invoices, from our GB alias to the receiver's PK alias (see ``sender_parts``)."""
    return sender_parts(**arguments)[0]


def sender_parts(
    *, sender_alias: str, sender_identifier: str, sender_name: str, receiver_alias: str, receiver_identifier: str,
    receiver_name: str, documents: list[bytes], uuid=None, created: dt.datetime | None = None,
) -> tuple[bytes, etree._Element]:
    """A SENDERENVELOPE of invoices, and the same envelope without them (its skeleton: what the
    envelope adds to its documents, for ``schematron.validation.validate_envelope_header``)."""
    parties = dict(sender_alias=sender_alias, sender_identifier=sender_identifier, sender_name=sender_name,
                   receiver_alias=receiver_alias, receiver_identifier=receiver_identifier, receiver_name=receiver_name)
    roots = [_document(xml, i, SENDERENVELOPE, INVOICE) for i, xml in enumerate(documents, 1)]
    return _envelope(SENDERENVELOPE, "INVOICE", roots, parties, uuid, created, limit=MAX_INVOICES)


def postbox_envelope(
    *, sender_alias: str, sender_identifier: str, sender_name: str, receiver_alias: str, receiver_identifier: str,
    receiver_name: str, documents: list[bytes], uuid=None, created: dt.datetime | None = None,
) -> bytes:
    """A POSTBOXENVELOPE of application responses (KABUL, RED; GİB also allows IADE, GUMRUKONAY), PK → GB."""
    parties = dict(sender_alias=sender_alias, sender_identifier=sender_identifier, sender_name=sender_name,
                   receiver_alias=receiver_alias, receiver_identifier=receiver_identifier, receiver_name=receiver_name)
    roots = _responses(documents, POSTBOXENVELOPE, POSTBOX_CODES)
    return _envelope(POSTBOXENVELOPE, "APPLICATIONRESPONSE", roots, parties, uuid, created, limit=MAX_ELEMENTS)[0]


def system_envelope(
    *, sender_alias: str, sender_identifier: str, sender_name: str, receiver_alias: str, receiver_identifier: str,
    receiver_name: str, document: bytes, uuid=None, created: dt.datetime | None = None,
) -> bytes:
    """A SYSTEMENVELOPE carrying one system response (S_APR, see ``system_response``), PK → the sender's GB.

    Contacts are listed VKN_TCKN first, as in GİB's own system envelope.
    """
    parties = dict(sender_alias=sender_alias, sender_identifier=sender_identifier, sender_name=sender_name,
                   receiver_alias=receiver_alias, receiver_identifier=receiver_identifier, receiver_name=receiver_name)
    roots = _responses([document], SYSTEMENVELOPE, ("S_APR",))
    return _envelope(SYSTEMENVELOPE, "APPLICATIONRESPONSE", roots, parties, uuid, created, limit=1, name_first=False)[0]


# --- the system response a postbox sends back -----------------------------------------------------


def _ubl(parent: etree._Element, ns: str, name: str, text: str | None = None, **attributes) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}", attributes)
    element.text = text
    return element


def _response_party(root: etree._Element, role: str, identifier: str, name: str) -> None:
    party = _ubl(root, CAC, role)
    scheme = "VKN" if len(identifier) == 10 else "TCKN"  # GİB's PartyIdentificationTCKNVKNCheck
    _ubl(_ubl(party, CAC, "PartyIdentification"), CBC, "ID", identifier, schemeID=scheme)
    if name:
        _ubl(_ubl(party, CAC, "PartyName"), CBC, "Name", name)
    address = _ubl(party, CAC, "PostalAddress")  # UBL-TR's XSD requires it, with these two even when empty
    _ubl(address, CBC, "CitySubdivisionName", "")
    _ubl(address, CBC, "CityName", "")
    country = _ubl(address, CAC, "Country")
    _ubl(country, CBC, "IdentificationCode", "TR")
    _ubl(country, CBC, "Name", "Türkiye")


def _document_reference(parent: etree._Element, envelope: str, issued: dt.date, kind: str | None) -> None:
    reference = _ubl(parent, CAC, "DocumentReference")
    _ubl(reference, CBC, "ID", envelope)  # the envelope answered
    _ubl(reference, CBC, "IssueDate", issued.isoformat())
    if kind:  # GİB's PostBoxDocumentReferenceCheck wants both, on the response's own reference
        _ubl(reference, CBC, "DocumentTypeCode", kind)
        _ubl(reference, CBC, "DocumentType", kind)


def _document_response(root, base: uuidlib.UUID, envelope: str, envelope_type: str, day: dt.date, code: int, description: str) -> None:
    """GİB's DocumentResponseCheck: S_APR, one LineResponse whose Response carries the status code."""
    answer = _ubl(root, CAC, "DocumentResponse")
    response = _ubl(answer, CAC, "Response")
    _ubl(response, CBC, "ReferenceID", str(uuidlib.uuid5(base, "response")))
    _ubl(response, CBC, "ResponseCode", "S_APR")
    _ubl(response, CBC, "Description", "SystemApplicationResponse")
    _document_reference(answer, envelope, day, envelope_type)
    line = _ubl(answer, CAC, "LineResponse")
    line_reference = _ubl(line, CAC, "LineReference")
    _ubl(line_reference, CBC, "LineID", "0")  # GİB's samples: 0, the envelope as a whole
    _document_reference(line_reference, envelope, day, None)
    line_response = _ubl(line, CAC, "Response")
    _ubl(line_response, CBC, "ReferenceID", str(uuidlib.uuid5(base, "line")))
    _ubl(line_response, CBC, "ResponseCode", str(code))  # GİB's AppResponseCodeType: 1000 … 1200
    _ubl(line_response, CBC, "Description", description)  # GİB's DescriptionCountCheck: exactly one


def system_response(
    *, sender_identifier: str, sender_name: str, receiver_identifier: str, envelope: str, envelope_date: dt.date,
    code: int, description: str, envelope_type: str = SENDERENVELOPE, uuid=None, issued: dt.datetime | None = None,
) -> bytes:
    """The system ApplicationResponse (S_APR) a postbox answers an envelope with, shaped like GİB's samples.

    *code* is GİB's status for the envelope (1200 when it was processed, 11xx when not). It carries no
    seal slot: GİB's samples are unsealed and its rules ask a seal only of KABUL/RED/IADE.
    """
    base = uuidlib.UUID(envelope_uuid(uuid))
    moment = (issued or dt.datetime.now(dt.UTC)).astimezone(ISTANBUL)
    root = etree.Element(RESPONSE, nsmap={None: APR, "cac": CAC, "cbc": CBC, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{APR} UBL-ApplicationResponse-2.1.xsd")  # GİB's ApplicationResponseProfileIDCheck
    for name, text in (("UBLVersionID", "2.1"), ("CustomizationID", "TR1.2"), ("ProfileID", "UBL-TR-PROFILE-1"),
                       ("ID", str(base)), ("UUID", str(base)), ("IssueDate", moment.date().isoformat()),
                       ("IssueTime", moment.strftime("%H:%M:%S"))):
        _ubl(root, CBC, name, text)  # UBLVersionIDCheck 2.1, CustomizationIDCheck TR1.2, S_APR's profile
    _response_party(root, "SenderParty", sender_identifier, sender_name)  # ARSenderCheck: the envelope's sender
    _response_party(root, "ReceiverParty", receiver_identifier, "")  # ARReceiverCheck: the envelope's receiver
    _document_response(root, base, envelope_uuid(envelope), envelope_type, envelope_date, code, description)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- parsing ----------------------------------------------------------------------------------------


def _contacts(partner: etree._Element | None) -> dict[str, str]:
    if partner is None:
        return {}
    return {
        (c.findtext("sh:ContactTypeIdentifier", "", NS)).strip(): (c.findtext("sh:Contact", "", NS)).strip()
        for c in partner.findall("sh:ContactInformation", NS)
    }


def _party(header: etree._Element, role: str) -> dict[str, str]:
    partner = header.find(f"sh:{role.capitalize()}", NS)
    contacts = _contacts(partner)
    alias = "" if partner is None else (partner.findtext("sh:Identifier", "", NS)).strip()
    return {f"{role}_alias": alias, f"{role}_identifier": contacts.get("VKN_TCKN", ""), f"{role}_name": contacts.get("UNVAN", "")}


def _created(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise NotAnEnvelope(reason=_("CreationDateAndTime %(value)r is not a date and time") % {"value": text}) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ISTANBUL)  # GİB writes Istanbul time, no offset


def _standalone(element: etree._Element) -> bytes:
    """The document alone: a copy of its element carries its own namespace declarations and no others."""
    document = copy.deepcopy(element)
    document.tail = None
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


def _elements(root: etree._Element) -> tuple[str, list[etree._Element]]:
    groups = root.findall("ef:Package/Elements", NS)
    types = {(g.findtext("ElementType") or "").strip() for g in groups}
    if len(types) != 1:
        raise NotAnEnvelope(reason=_("it has %(count)s element types, not one") % {"count": len(types)})
    documents = []
    for group in groups:
        listed = [e for e in group.findall("ElementList/*") if isinstance(e.tag, str)]
        if (group.findtext("ElementCount") or "").strip() != str(len(listed)):  # GİB's ElementListCountCheck
            raise NotAnEnvelope(reason=_("ElementCount does not match the documents in ElementList"))
        documents += listed
    return types.pop(), documents


def parse_envelope(xml: bytes) -> Envelope:
    """Read an envelope (ours or anyone's, of any type); raises NotAnEnvelope with the reason."""
    root = safe_parse(xml)
    header = root.find("sh:StandardBusinessDocumentHeader", NS)
    if root.tag != ROOT or header is None:
        raise NotAnEnvelope(reason=_("its root is not sh:StandardBusinessDocument with a header"))
    identification = header.find("sh:DocumentIdentification", NS)
    uuid = instance_identifier(root)
    if identification is None or not uuid:
        raise NotAnEnvelope(reason=_("it has no InstanceIdentifier"))
    element_type, documents = _elements(root)
    return Envelope(
        uuid=uuid,
        type=(identification.findtext("sh:Type", "", NS)).strip(),
        element_type=element_type,
        documents=[_standalone(d) for d in documents],
        created=_created(identification.findtext("sh:CreationDateAndTime", "", NS)),
        root=root,
        **_party(header, "sender"),
        **_party(header, "receiver"),
    )
