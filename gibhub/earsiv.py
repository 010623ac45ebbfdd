"""GİB's e-Arşiv service (EArsivWs, SOAP 1.2) as the local hub answers it.

Every call must carry a WS-Security header that verifies (``signing.wssecurity``): the Body and the
Timestamp signed with the key of the BinarySecurityToken's certificate, which must chain to the
seals' trusted roots. ``sendDocumentFile`` takes ``<raporNo>.zip`` holding ``<raporNo>.xml`` and
checks at once what GİB checks before it takes a file (a fault otherwise); the report itself
(EArsiv.xsd, GİB's schematron, its seal) is checked as it is stored, and ``getBatchStatus`` then
answers as GİB does: 15 (still processing) on the first call, then the outcome: 30 done, or the
hub's failure code with the reason.

GİB publishes no code table for this service, so the hub's own codes are named here: the faults
110 (WS-Security), 111 (file name), 112 (zip), 113 (report number known already), 114 (unknown
paketId); the statuses 15 (processing), 30 (done), 40 (schema), 41 (GİB's schematron), 42 (seal).
``hub_force_earsiv`` makes it answer any code instead (a fault on the next sends, a status for the
next reports)."""

from __future__ import annotations

import base64
import binascii
import io
import uuid as uuidlib
import zipfile

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from gibhub.forcing import Operation, claim_forced
from gibhub.models import ForcedCode, HubReport
from integrator.errors import DomainError
from schematron.earsiv import validate_report
from signing import certificates
from signing.verify import trusted_roots, verify
from signing.wssecurity import SOAP12, WsseInvalid, wsse_verify

EA = "http://earsiv.vedop3.ggm.gov.org/"
EARSIV = "http://earsiv.efatura.gov.tr"
CONTENT_TYPE = "application/soap+xml; charset=utf-8"
MAX_REQUEST_BYTES = 64 * 1024 * 1024
WSSE, BAD_NAME, BAD_ZIP, KNOWN, UNKNOWN = 110, 111, 112, 113, 114
PROCESSING, DONE, SCHEMA, RULES, SEAL = 15, 30, 40, 41, 42
TEXTS = {PROCESSING: "Rapor isleniyor.", DONE: "Rapor basariyla islendi.", SCHEMA: "Rapor sema kontrolunden gecemedi",
         RULES: "Rapor schematron kontrolunden gecemedi", SEAL: "Raporun mali muhur imzasi dogrulanamadi"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


class EarsivHubFault(DomainError):
    code = "gibhub_earsiv_fault"
    message = "%(text)s"

    def __init__(self, fault_code: int, text: str):
        self.fault_code, self.text = fault_code, text
        super().__init__(text=text)


def hub_force_earsiv(*, code: int, times: int = 1, fault: bool = False) -> ForcedCode:
    """Answer *code* instead: a fault for the next *times* sendDocumentFile calls (*fault*), or the
    durumKodu of the next *times* reports taken."""
    return ForcedCode.objects.create(code=code, operation=Operation.EARSIV_SEND if fault else Operation.EARSIV_STATUS, remaining=max(times, 1))


def hub_earsiv_call(body: bytes, *, now=None) -> bytes:
    """The answer to one EArsivWs call (a SOAP envelope); EarsivHubFault for a fault."""
    if len(body) > MAX_REQUEST_BYTES or b"<!DOCTYPE" in body[:4096].upper():
        raise EarsivHubFault(BAD_ZIP, _("the request is too large or carries a DTD"))
    try:
        envelope = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        raise EarsivHubFault(BAD_ZIP, _("the request is not XML")) from None
    caller = _caller(envelope, now or timezone.now())
    operation = envelope.find(f"{{{SOAP12}}}Body/*")
    if operation is not None and operation.tag == f"{{{EA}}}sendDocumentFile":
        attachment = operation.find("Attachment")
        name = (attachment.findtext("fileName") if attachment is not None else "") or ""
        data = _base64(attachment.findtext("binaryData") if attachment is not None else "")
        return _answer("sendDocumentFileResponse", hub_send_report(file_name=name.strip(), data=data, caller=caller))
    if operation is not None and operation.tag == f"{{{EA}}}getBatchStatus":
        return _status_answer(hub_batch_status(number=(operation.findtext("paketId") or "").strip()))
    raise EarsivHubFault(BAD_ZIP, _("the call is no operation of EArsivWs"))


def _caller(envelope, now) -> str:
    try:
        certificate = wsse_verify(envelope, now=now)
    except WsseInvalid as exc:
        raise EarsivHubFault(WSSE, str(exc)) from None
    if certificates.chain_to_root(certificate, pool=[], roots=trusted_roots()) is None:
        raise EarsivHubFault(WSSE, _("the WS-Security certificate does not lead to a trusted root"))
    return certificates.holder_name(certificate)[:250]


def _base64(text: str | None) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except binascii.Error:
        raise EarsivHubFault(BAD_ZIP, _("binaryData is not base64")) from None


def _report_in(file_name: str, data: bytes) -> tuple[str, bytes]:
    stem, _dot, extension = file_name.rpartition(".")
    try:
        number = str(uuidlib.UUID(stem)).upper() if extension.lower() == "zip" and len(stem) == 36 else ""
    except ValueError:
        number = ""
    if not number:
        raise EarsivHubFault(BAD_NAME, _("the file is not named <raporNo>.zip"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if len(names) != 1 or names[0].upper() != f"{number}.XML" or archive.getinfo(names[0]).file_size > MAX_REQUEST_BYTES:
                raise EarsivHubFault(BAD_ZIP, _("the zip must hold exactly <raporNo>.xml"))
            return number, archive.read(names[0])
    except (zipfile.BadZipFile, EOFError):
        raise EarsivHubFault(BAD_ZIP, _("the file is not a zip")) from None


def hub_send_report(*, file_name: str, data: bytes, caller: str = "") -> str:
    """Take a report as sendDocumentFile does; its paketId when taken, else EarsivHubFault."""
    forced = claim_forced(operation=Operation.EARSIV_SEND, receiver_alias="")
    if forced is not None:
        raise EarsivHubFault(forced, _("forced fault %(code)s") % {"code": forced})
    number, xml = _report_in(file_name, data)
    code, text, taxpayer = _checked(xml)
    forced = claim_forced(operation=Operation.EARSIV_STATUS, receiver_alias="")
    if forced is not None:
        code, text = forced, _("forced code %(code)s") % {"code": forced}
    try:
        with transaction.atomic():
            HubReport.objects.create(number=number, file_name=file_name, data=data, taxpayer=taxpayer, caller=caller, code=code, text=text)
    except IntegrityError:
        raise EarsivHubFault(KNOWN, _("report %(number)s was received already") % {"number": number}) from None
    return number


def _checked(xml: bytes) -> tuple[int, str, str]:
    """(durumKodu, durumAciklama, the mükellef) of a report: its schema, GİB's rules, its seal."""
    issues = validate_report(xml)
    root = etree.fromstring(xml, _PARSER) if not issues or issues[0].layer != "parse" else None
    taxpayer = "" if root is None else (root.findtext(f"{{{EARSIV}}}baslik/{{{EARSIV}}}mukellef/*") or "")[:11]
    if issues:
        code = RULES if issues[0].layer == "gib" else SCHEMA
        return code, f"{TEXTS[code]}: {issues[0]}"[:2000], taxpayer
    seal = verify(xml, report_seal=True)
    if not seal.valid:
        return SEAL, f"{TEXTS[SEAL]}: " + "; ".join(f"{c.label}: {c.detail}" for c in seal.failed), taxpayer
    return DONE, TEXTS[DONE], taxpayer


def hub_batch_status(*, number: str) -> HubReport:
    report = HubReport.objects.filter(number=number.upper()).first()
    if report is None:
        raise EarsivHubFault(UNKNOWN, _("no report with paketId %(number)s") % {"number": number})
    HubReport.objects.filter(id=report.id).update(polls=report.polls + 1)
    if report.polls == 0:  # GİB processes a report after taking it: the first question finds it still at work
        return HubReport(number=report.number, code=PROCESSING, text=TEXTS[PROCESSING], taxpayer=report.taxpayer)
    return report


def _envelope():
    root = etree.Element(f"{{{SOAP12}}}Envelope", nsmap={"soap": SOAP12, "ns2": EA})
    return root, etree.SubElement(root, f"{{{SOAP12}}}Body")


def _answer(name: str, value: str) -> bytes:
    root, body = _envelope()
    etree.SubElement(etree.SubElement(body, f"{{{EA}}}{name}"), "return").text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _status_answer(report: HubReport) -> bytes:
    root, body = _envelope()
    answer = etree.SubElement(etree.SubElement(body, f"{{{EA}}}getBatchStatusResponse"), "return")
    etree.SubElement(answer, "durumAciklama").text = report.text
    etree.SubElement(answer, "durumKodu").text = str(report.code)
    etree.SubElement(answer, "paketId").text = report.number
    identifier = report.taxpayer
    etree.SubElement(answer, "vergiKimlikNo" if len(identifier) == 10 else "TCKimlikNo").text = identifier
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def fault(*, code: int, text: str) -> bytes:
    root, body = _envelope()
    element = etree.SubElement(body, f"{{{SOAP12}}}Fault")
    etree.SubElement(etree.SubElement(element, f"{{{SOAP12}}}Code"), f"{{{SOAP12}}}Value").text = "soap:Sender"
    reason = etree.SubElement(etree.SubElement(element, f"{{{SOAP12}}}Reason"), f"{{{SOAP12}}}Text")
    reason.set("{http://www.w3.org/XML/1998/namespace}lang", "tr")
    reason.text = text
    detail = etree.SubElement(etree.SubElement(element, f"{{{SOAP12}}}Detail"), f"{{{EA}}}EArsivFault")
    etree.SubElement(detail, "code").text = str(code)
    etree.SubElement(detail, "message").text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
