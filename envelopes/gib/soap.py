"""The server side of GİB's EFaturaService (SOAP 1.2, document/literal), as its WSDL defines it.

Two operations: ``sendDocument(documentRequest{fileName, binaryData, hash})`` answered with
``documentResponse{msg, hash}``, and ``getApplicationResponse(getAppRespRequest{instanceIdentifier})``
answered with ``getAppRespResponse{applicationResponse}``; either may fail with an ``EFaturaFault{code,
msg}`` in the SOAP fault's detail. The schema is unqualified: only the wrapper elements carry GİB's
namespace, their children none. The client side is zeep (``envelopes.gib.client``); this module is the
small part zeep does not do, reading a request and writing an answer, shared by the platform's receiving
endpoint and the local GİB hub.

A request comes as plain SOAP (binaryData holds the zip in base64) or, as GİB and JAX-WS clients often
send it, MTOM/XOP: a multipart/related body whose root part is the envelope, binaryData holding an
``xop:Include`` whose ``cid:`` href names the part that carries the zip's raw bytes.

Requests are untrusted: parsed without DTDs, entities or network, and bounded in size.
"""

from __future__ import annotations

import base64
import binascii
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from urllib.parse import unquote

from django.utils.translation import gettext_lazy as _
from lxml import etree

from schematron.parsing import syntax_error

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
EF = "http://gib.gov.tr/vedop3/eFatura"
XOP = "http://www.w3.org/2004/08/xop/include"
CONTENT_TYPE = "application/soap+xml; charset=utf-8"
MAX_REQUEST_BYTES = 16 * 1024 * 1024  # GİB's 5 MB zip, base64-encoded, with room to spare
# An MTOM request is split by the standard library's email parser, which costs about 0.2 ms a part and
# a microsecond a line: a body of a million empty parts would take minutes, one of bare line breaks
# seconds. MTOM's sendDocument has two parts, a zip's bytes a line break about every 128 bytes (some
# 80,000 in GİB's 5 MB, 420,000 as 16 MB of base64 lines); bodies with more are refused unparsed.
MAX_MULTIPART_PARTS = 16
MAX_MULTIPART_LINE_BREAKS = 1_000_000
SEND_DOCUMENT, GET_APPLICATION_RESPONSE = "sendDocument", "getApplicationResponse"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True, remove_blank_text=True)
# What XML 1.0 cannot carry (most C0 controls, lone surrogates, U+FFFE/U+FFFF): lxml refuses such text.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class SoapError(Exception):
    """The request is not a SOAP call of this service; answered with a SOAP Sender fault, no EFaturaFault."""


@dataclass(frozen=True)
class SendDocument:
    file_name: str
    data: bytes
    hash: str


@dataclass(frozen=True)
class GetApplicationResponse:
    instance_identifier: str


def _child_text(parent: etree._Element, name: str) -> str:
    return (parent.findtext(name) or "").strip()


def parse_request(body: bytes, content_type: str = "") -> SendDocument | GetApplicationResponse:
    """The operation and its arguments; SoapError when *body* is not one of this service's calls.
    *content_type*: the request's Content-Type header; multipart/related is read as MTOM/XOP."""
    if len(body) > MAX_REQUEST_BYTES:
        raise SoapError(_("the request is larger than %(limit)s bytes") % {"limit": MAX_REQUEST_BYTES})
    attachments: dict[str, bytes] = {}
    if content_type.split(";")[0].strip().lower().startswith("multipart/"):
        body, attachments = _multipart(body, content_type)
    operation = _operation(_xml(body))
    if operation.tag == f"{{{EF}}}documentRequest":
        data = _binary_data(operation.find("binaryData"), attachments)
        return SendDocument(_child_text(operation, "fileName"), data, _child_text(operation, "hash"))
    if operation.tag == f"{{{EF}}}getAppRespRequest":
        return GetApplicationResponse(_child_text(operation, "instanceIdentifier"))
    raise SoapError(_("unknown operation %(name)s") % {"name": etree.QName(operation).localname})


def _xml(body: bytes) -> etree._Element:
    if b"<!DOCTYPE" in body[:4096].upper():
        raise SoapError(_("a DTD is not allowed"))
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapError(_("the request is not XML: %(error)s") % {"error": syntax_error(exc)}) from None
    # The check above is a shortcut; this one also sees a DTD past 4 KB or in UTF-16 (SOAP 1.2 forbids any).
    if root.getroottree().docinfo.doctype:
        raise SoapError(_("a DTD is not allowed"))
    return root


def _operation(root: etree._Element) -> etree._Element:
    if root.tag != f"{{{SOAP12}}}Envelope":
        raise SoapError(_("the request is not a SOAP 1.2 envelope"))
    operation = root.find(f"{{{SOAP12}}}Body/*")
    if operation is None:
        raise SoapError(_("the SOAP body is empty"))
    return operation


def _binary_data(element: etree._Element | None, attachments: dict[str, bytes]) -> bytes:
    """binaryData's bytes: its base64 text, or (MTOM) the attachment its xop:Include names."""
    include = None if element is None else element.find(f"{{{XOP}}}Include")
    if include is not None:
        href = include.get("href", "")
        content_id = unquote(href[4:]) if href[:4].lower() == "cid:" else None  # RFC 2392: cid: URLs are %-encoded
        if content_id not in attachments:
            raise SoapError(_("binaryData's xop:Include points to %(href)r, which is no part of the request") % {"href": href})
        return attachments[content_id]
    text = "" if element is None else (element.text or "")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error:
        raise SoapError(_("binaryData is not base64")) from None


def _multipart(body: bytes, content_type: str) -> tuple[bytes, dict[str, bytes]]:
    """An MTOM/XOP request: the root part's XML (the part ``start`` names, else the first), and the
    other parts' bytes by Content-ID (without its angle brackets)."""
    message = _mime_message(body, content_type)
    parts = list(message.iter_parts())
    payloads = [part.get_payload(decode=True) for part in parts]  # None for a part that is multipart itself
    # Defects (a missing boundary or close delimiter, bad base64 in a part) are known once all is decoded.
    defects = [type(defect).__name__ for part in message.walk() for defect in part.defects]
    if defects or not parts:
        raise SoapError(_("the multipart request is malformed: %(defects)s") % {"defects": ", ".join(defects) or _("it has no parts")})
    ids = [_content_id(part["Content-ID"]) for part in parts]
    if len({i for i in ids if i}) < len([i for i in ids if i]):
        raise SoapError(_("two parts of the multipart request have the same Content-ID"))
    root = _root(ids, _content_id(message["Content-Type"].params.get("start")))
    if payloads[root] is None:
        raise SoapError(_("the root part of the multipart request is itself multipart"))
    attachments = {i: payload for i, payload in zip(ids, payloads) if i and i != ids[root] and payload is not None}
    return payloads[root], attachments


def _root(ids: list[str | None], start: str | None) -> int:
    """Which part is the root: the one ``start`` names, else the first (RFC 2387)."""
    if start is None:
        return 0
    if start not in ids:
        raise SoapError(_("the multipart request has no root part: no part has the Content-ID <%(start)s> start names") % {"start": start})
    return ids.index(start)


def _mime_message(body: bytes, content_type: str) -> EmailMessage:
    """*body* parsed whole as the MIME message *content_type* heads, once it is known to be cheap to parse."""
    if "\r" in content_type or "\n" in content_type or not content_type.isascii():
        raise SoapError(_("the Content-Type header is malformed"))
    head = f"Content-Type: {content_type}\r\n\r\n".encode("ascii")
    parser = BytesParser(policy=email.policy.HTTP)
    heading = parser.parsebytes(head, headersonly=True)
    if heading.get_content_type() != "multipart/related":
        raise SoapError(_("a %(type)s request is no SOAP call: MTOM is multipart/related") % {"type": content_type.split(';')[0].strip()})
    boundary = heading.get_boundary()
    if not boundary or not boundary.isascii():
        raise SoapError(_("the multipart request has no boundary"))
    if body.count(f"--{boundary}".encode()) > MAX_MULTIPART_PARTS + 1:  # each part's delimiter, and the close one
        raise SoapError(_("the multipart request has more than %(limit)s parts") % {"limit": MAX_MULTIPART_PARTS})
    if body.count(b"\n") + body.count(b"\r") > MAX_MULTIPART_LINE_BREAKS:
        raise SoapError(_("the multipart request has more than %(limit)s line breaks") % {"limit": MAX_MULTIPART_LINE_BREAKS})
    return parser.parsebytes(head + body)


def _content_id(value: object) -> str | None:
    """A Content-ID (or ``start``) without its angle brackets; None when there is none."""
    content_id = str(value or "").strip().removeprefix("<").removesuffix(">")
    return content_id or None


def _envelope() -> tuple[etree._Element, etree._Element]:
    root = etree.Element(f"{{{SOAP12}}}Envelope", nsmap={"soap": SOAP12, "ns2": EF})
    return root, etree.SubElement(root, f"{{{SOAP12}}}Body")


def _text(parent: etree._Element, name: str, text: str) -> None:
    # A fault's message may quote anything; an answer must still be written.
    etree.SubElement(parent, name).text = _NOT_XML.sub("\ufffd", text)


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def send_document_response(*, msg: str, hash: str) -> bytes:
    root, body = _envelope()
    answer = etree.SubElement(body, f"{{{EF}}}documentResponse")
    _text(answer, "msg", msg)
    _text(answer, "hash", hash)
    return _serialize(root)


def application_response_response(application_response: bytes) -> bytes:
    """getApplicationResponse's answer: the system response document, as the text of one element."""
    root, body = _envelope()
    answer = etree.SubElement(body, f"{{{EF}}}getAppRespResponse")
    _text(answer, "applicationResponse", application_response.decode("utf-8"))
    return _serialize(root)


def fault(*, code: int | None, msg: str, sender: bool = True) -> bytes:
    """A SOAP 1.2 fault; with *code*, GİB's EFaturaFault{code, msg} in its detail."""
    root, body = _envelope()
    element = etree.SubElement(body, f"{{{SOAP12}}}Fault")
    value = etree.SubElement(etree.SubElement(element, f"{{{SOAP12}}}Code"), f"{{{SOAP12}}}Value")
    value.text = "soap:Sender" if sender else "soap:Receiver"
    reason = etree.SubElement(etree.SubElement(element, f"{{{SOAP12}}}Reason"), f"{{{SOAP12}}}Text")
    reason.set("{http://www.w3.org/XML/1998/namespace}lang", "tr")
    reason.text = _NOT_XML.sub("\ufffd", msg)
    if code is not None:
        detail = etree.SubElement(etree.SubElement(element, f"{{{SOAP12}}}Detail"), f"{{{EF}}}EFaturaFault")
        _text(detail, "code", str(code))
        _text(detail, "msg", msg)
    return _serialize(root)
