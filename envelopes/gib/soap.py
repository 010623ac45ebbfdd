"""The server side of GİB's EFaturaService (SOAP 1.2, document/literal), as its WSDL defines it.

Two operations: ``sendDocument(documentRequest{fileName, binaryData, hash})`` answered with
``documentResponse{msg, hash}``, and ``getApplicationResponse(getAppRespRequest{instanceIdentifier})``
answered with ``getAppRespResponse{applicationResponse}``; either may fail with an ``EFaturaFault{code,
msg}`` in the SOAP fault's detail. The schema is unqualified: only the wrapper elements carry GİB's
namespace, their children none. The client side is zeep (``envelopes.gib.client``); this module is the
small part zeep does not do, reading a request and writing an answer, shared by the platform's receiving
endpoint and the local GİB hub.

Requests are untrusted: parsed without DTDs, entities or network, and bounded in size.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from lxml import etree

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
EF = "http://gib.gov.tr/vedop3/eFatura"
CONTENT_TYPE = "application/soap+xml; charset=utf-8"
MAX_REQUEST_BYTES = 16 * 1024 * 1024  # GİB's 5 MB zip, base64-encoded, with room to spare
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


def parse_request(body: bytes) -> SendDocument | GetApplicationResponse:
    """The operation and its arguments; SoapError when *body* is not one of this service's calls."""
    if len(body) > MAX_REQUEST_BYTES:
        raise SoapError(f"the request is larger than {MAX_REQUEST_BYTES} bytes")
    if b"<!DOCTYPE" in body[:4096].upper():
        raise SoapError("a DTD is not allowed")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapError(f"the request is not XML: {exc}") from None
    # The check above is a shortcut; this one also sees a DTD past 4 KB or in UTF-16 (SOAP 1.2 forbids any).
    if root.getroottree().docinfo.doctype:
        raise SoapError("a DTD is not allowed")
    if root.tag != f"{{{SOAP12}}}Envelope":
        raise SoapError("the request is not a SOAP 1.2 envelope")
    operation = root.find(f"{{{SOAP12}}}Body/*")
    if operation is None:
        raise SoapError("the SOAP body is empty")
    if operation.tag == f"{{{EF}}}documentRequest":
        try:
            data = base64.b64decode("".join(_child_text(operation, "binaryData").split()), validate=True)
        except binascii.Error:
            raise SoapError("binaryData is not base64") from None
        return SendDocument(_child_text(operation, "fileName"), data, _child_text(operation, "hash"))
    if operation.tag == f"{{{EF}}}getAppRespRequest":
        return GetApplicationResponse(_child_text(operation, "instanceIdentifier"))
    raise SoapError(f"unknown operation {etree.QName(operation).localname}")


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
