"""Reading a received envelope and making GİB's checks on it, each failure as the status code GİB
gives it. The order is GİB's: the zip and its names, the XML schema, the schematron, each document's
seal (valid, then its holder's), the sender's authority over its alias, the receiver's address;
duplicates are found when the documents are registered (``processing``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from envelopes import packing, sbdh
from envelopes.packing import PackingError
from envelopes.sbdh import POSTBOXENVELOPE, SENDERENVELOPE, SYSTEMENVELOPE
from gibhub.registry import active_alias, seal_holders
from schematron.package import PackageError
from schematron.validation import ValidationIssue, validate
from signing.verify import Verification, verify

# A system response goes back the way the envelope it answers came: PK → GB for invoices, GB → PK for
# KABUL/RED; so either role may send or receive one.
SENDER_KIND = {SENDERENVELOPE: "GB", POSTBOXENVELOPE: "PK", SYSTEMENVELOPE: "PK GB"}
RECEIVER_KIND = {SENDERENVELOPE: "PK", POSTBOXENVELOPE: "GB", SYSTEMENVELOPE: "GB PK"}
SEALED = (SENDERENVELOPE, POSTBOXENVELOPE)  # GİB asks a seal of invoices and KABUL/RED, not of system responses
LAYER_CODES = (("parse", 1140), ("xsd", 1160), ("gib", 1150))  # the platform's own rules are not GİB's


class Refused(Exception):
    """GİB refuses the envelope with *code*; *note* says why, for the hub's history."""

    def __init__(self, code: int, note: str = ""):
        self.code, self.note = code, note
        super().__init__(f"{code}: {note}")


def unpacked(*, file_name: str, data: bytes, md5: str) -> bytes:
    """The envelope XML in the zip; a zip or name fault raises Refused with packing's GİB code."""
    try:
        return packing.unpack(file_name, data, md5)
    except PackingError as exc:
        code = exc.gib_code if exc.gib_code and exc.gib_code < 2000 else 1140  # 2000/2006 were answered at once
        raise Refused(code, str(exc)) from None


def parsed(xml: bytes) -> sbdh.Envelope:
    try:
        return sbdh.parse_envelope(xml)
    except sbdh.EnvelopeError as exc:
        raise Refused(1140, str(exc)) from None


def read(*, file_name: str, data: bytes, md5: str) -> tuple[bytes, sbdh.Envelope]:
    xml = unpacked(file_name=file_name, data=data, md5=md5)
    return xml, parsed(xml)


def header(*, file_name: str, data: bytes, md5: str) -> sbdh.Envelope | None:
    """What the envelope says of itself, when it can be read at all (sendDocument peeks, to store it)."""
    try:
        return read(file_name=file_name, data=data, md5=md5)[1]
    except Refused:
        return None


def _summary(issues: list[ValidationIssue]) -> str:
    return "; ".join(f"{issue.rule}: {issue.message_tr}" for issue in issues[:5])


def check_schemas(xml: bytes, envelope: sbdh.Envelope) -> None:
    """GİB's XML schema (1160), then its schematron (1150), over the envelope and its documents, as read."""
    try:
        report = validate(xml, platform=False, tree=envelope.root.getroottree())  # GİB checks with its own rules only, never ours
    except PackageError as exc:  # the hub cannot check without GİB's package: GİB's own failure, said so
        raise Refused(1195, str(exc)) from None
    for layer, code in LAYER_CODES:
        issues = [issue for issue in report.errors if issue.layer == layer]
        if issues:
            raise Refused(code, _summary(issues))


def check_seals(envelope: sbdh.Envelope) -> None:
    """Every document's seal valid and chained to a trusted root (``SEAL_TRUST_ROOTS``), or 1177; and
    the seal's holder one who may seal for the envelope's sender, or 1176 (1161: the certificate names none)."""
    if envelope.type not in SEALED:
        return
    holders = seal_holders(identifier=envelope.sender_identifier)
    for position, document in enumerate(envelope.documents, 1):
        report = verify(document)
        if not report.valid:
            failed = "; ".join(f"{check.label}: {check.detail}" for check in report.failed)
            raise Refused(1177, _("document %(position)s: %(failed)s") % {"position": position, "failed": failed})
        _check_holder(report, holders, position=position, sender=envelope.sender_identifier)


def _check_holder(report: Verification, holders: set[str], *, position: int, sender: str) -> None:
    """The holder is the VKN/TCKN in the seal's subject serialNumber, read as ``signing`` reads it."""
    if not report.identifier:
        raise Refused(1161, _("document %(position)s: the seal of %(signer)s names no VKN/TCKN") % {"position": position, "signer": report.signer})
    if report.identifier not in holders:
        raise Refused(1176, _("document %(position)s: sealed by %(holder)s (%(signer)s), who may not seal for the sender %(sender)s")
                      % {"position": position, "holder": report.identifier, "signer": report.signer, "sender": sender})


def _alias_in(name: str, kinds: str, identifier: str):
    """The active alias *name* of *identifier* in one of the space-separated *kinds*, or None."""
    return next((found for kind in kinds.split() if (found := active_alias(name=name, kind=kind, identifier=identifier))), None)


def check_sender(envelope: sbdh.Envelope) -> None:
    """The sender alias is an active alias of the sender's VKN in the right role (GB sends invoices,
    PK answers), or 1171; the hub takes no other envelope types (user envelopes are GİB's portal's)."""
    kind = SENDER_KIND.get(envelope.type)
    if kind is None or _alias_in(envelope.sender_alias, kind, envelope.sender_identifier) is None:
        raise Refused(1171, _("%(type)s from %(alias)s (%(identifier)s): no such active %(kind)s alias of that sender")
                      % {"type": envelope.type, "alias": envelope.sender_alias, "identifier": envelope.sender_identifier, "kind": kind or "?"})


def check_receiver(envelope: sbdh.Envelope) -> None:
    kind = RECEIVER_KIND[envelope.type]
    if _alias_in(envelope.receiver_alias, kind, envelope.receiver_identifier) is None:
        raise Refused(1181, _("no active %(kind)s alias %(alias)s of %(identifier)s")
                      % {"kind": kind, "alias": envelope.receiver_alias, "identifier": envelope.receiver_identifier})


def checked(*, file_name: str, data: bytes, md5: str) -> sbdh.Envelope:
    """The envelope, read and past every check but the duplicates'; Refused(code) at the first failure."""
    xml, envelope = read(file_name=file_name, data=data, md5=md5)
    check_schemas(xml, envelope)
    check_seals(envelope)
    check_sender(envelope)
    check_receiver(envelope)
    return envelope


def document_uuids(envelope: sbdh.Envelope) -> list[str]:
    """The documents' UUIDs (ETTN), lower-case, as the hub registers them."""
    return [(sbdh.safe_parse(document).findtext(f"{{{sbdh.CBC}}}UUID") or "").strip().lower() for document in envelope.documents]


def system_answer(envelope: sbdh.Envelope) -> tuple[str, str]:
    """(the envelope answered, the code) of a system envelope's S_APR."""
    root = sbdh.safe_parse(envelope.documents[0])
    answered = root.findtext("cac:DocumentResponse/cac:DocumentReference/cbc:ID", "", sbdh.NS).strip()
    code = root.findtext("cac:DocumentResponse/cac:LineResponse/cac:Response/cbc:ResponseCode", "", sbdh.NS).strip()
    return answered, code

