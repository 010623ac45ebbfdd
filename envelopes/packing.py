"""The zip GİB's sendDocument carries: one envelope per zip, named by the envelope's UUID, with its MD5.

Naming (GİB's status codes name each rule): the zip is ``<UUID>.zip`` (2006 GEÇERSİZ ZARF ADI when the
name is no GUID, 1142 when it is not the envelope's InstanceIdentifier), holding exactly one entry
(1131) ``<UUID>.xml`` (1132 when it is no XML file, 1133 when its name is not the InstanceIdentifier).
UUIDs are written hyphenated and lower-case, and compared as UUIDs.

Size: GİB refuses envelopes over 5 MB, and what it receives is the zip. ``batch`` fills envelopes to
90 % of that (``SAFETY``), which absorbs both our estimate of the zipped size and the doubt whether
GİB's "MB" is 10⁶ or 2²⁰ bytes; ``pack`` refuses a zip over 5,000,000 bytes, the stricter reading.
Each envelope's XML also stays within ``UBL_VALIDATION_MAX_BYTES``, so our own validator can read it.

Reading is bounded: the zip's size, its entry's decompressed size (read up to a cap, whatever the
zip's header claims), and the XML's parser (no DTD, no entities, no network).
"""

from __future__ import annotations

import hashlib
import io
import uuid as uuidlib
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from lxml import etree

from envelopes import sbdh
from envelopes.sbdh import EnvelopeError

GIB_MAX_ZIP_BYTES = 5_000_000  # GİB's "5 MB", read strictly
SAFETY = 0.10  # batch leaves this share of the limit unused
MAX_INCOMING_ZIP_BYTES = 10 * 1024 * 1024  # twice GİB's limit: slack for a looser reading, still bounded
ENVELOPE_XML_OVERHEAD = 4096  # the SBDH header and package around the documents, generously
ZIP_OVERHEAD = 512  # local header, central directory and end record for one entry named <UUID>.xml
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same envelope packs to the same bytes and MD5
ALONE_PROFILES = ("IHRACAT", "YOLCUBERABERFATURA")  # GİB's ExportInvoiceCountCheck: one per ElementList
CBC = sbdh.CBC


class PackingError(EnvelopeError):
    code = "envelope_packing"
    message = _("The envelope's zip cannot be used.")


class HashMismatch(PackingError):
    code = "zip_hash_mismatch"
    message = _("The zip's MD5 is %(actual)s, not %(expected)s as given.")
    gib_code = 2000


class BadZipName(PackingError):
    code = "zip_name_invalid"
    message = _("The zip is named %(name)r; it must be the envelope's UUID followed by .zip.")
    gib_code = 2006


class NotAZip(PackingError):
    code = "not_a_zip"
    message = _("The file is not a zip.")
    gib_code = 1110


class ZipBroken(PackingError):
    code = "zip_broken"
    message = _("The zip cannot be opened: %(reason)s.")
    gib_code = 1130


class NotOneEntry(PackingError):
    code = "zip_not_one_entry"
    message = _("The zip holds %(count)s entries; it must hold exactly one.")
    gib_code = 1131


class NotXmlEntry(PackingError):
    code = "zip_entry_not_xml"
    message = _("The zip's entry %(name)r is not an XML file.")
    gib_code = 1132


class UnsafeEntryName(PackingError):
    code = "zip_entry_unsafe"
    message = _("The zip's entry name %(name)r is refused: it leaves the folder or names none.")
    gib_code = 1133


class EntryNameMismatch(PackingError):
    code = "zip_entry_name_mismatch"
    message = _("The XML file %(name)r is not named after the envelope %(uuid)s.")
    gib_code = 1133


class EnvelopeUnreadable(PackingError):
    code = "envelope_unreadable"
    message = _("The envelope in the zip cannot be read: %(reason)s.")
    gib_code = 1140


class NoEnvelopeId(PackingError):
    code = "envelope_id_missing"
    message = _("The envelope has no InstanceIdentifier UUID.")
    gib_code = 1141


class ZipNameMismatch(PackingError):
    code = "zip_name_mismatch"
    message = _("The zip %(name)r is not named after the envelope %(uuid)s.")
    gib_code = 1142


class TooLarge(PackingError):
    code = "envelope_too_large"
    message = _("The %(what)s is larger than %(limit)s bytes.")


class DocumentTooLarge(PackingError):
    code = "document_too_large"
    message = _("Document %(position)s (%(id)s) alone makes an envelope larger than GİB accepts; it cannot be sent.")


@dataclass(frozen=True)
class Packed:
    file_name: str
    data: bytes
    md5_hex: str


# --- packing ------------------------------------------------------------------------------------



def _zip_reason(exc: Exception) -> str:
    """What zipfile or zlib found, in the active language (their own words are English)."""
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in str(exc):
        return _("its data fails its CRC check")
    if isinstance(exc, zlib.error):
        return _("its compressed data is corrupt")
    if isinstance(exc, EOFError):
        return _("it ends before its data does")
    if isinstance(exc, NotImplementedError):
        return _("it uses a compression method that is not supported")
    return _("it cannot be read (%(kind)s)") % {"kind": type(exc).__name__}

def zip_md5(data: bytes) -> str:
    """GİB's hash of the zip: MD5, lower-case hex (an integrity check, not a security one)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _zip(name: str, xml: bytes) -> bytes:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED  # GİB: standard zip only
    info.external_attr = 0o644 << 16
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(info, xml)
    return out.getvalue()


def pack(envelope_xml: bytes, uuid) -> Packed:
    """Zip the envelope as ``<UUID>.zip`` holding ``<UUID>.xml``; refuses a *uuid* the XML does not carry."""
    name = sbdh.envelope_uuid(uuid)
    carried = sbdh.instance_identifier(sbdh.safe_parse(envelope_xml))
    if _as_uuid(carried) != uuidlib.UUID(name):
        raise ZipNameMismatch(name=f"{name}.zip", uuid=carried or "?")
    data = _zip(f"{name}.xml", envelope_xml)
    if len(data) > GIB_MAX_ZIP_BYTES:
        raise TooLarge(what=_("zipped envelope"), limit=GIB_MAX_ZIP_BYTES)
    return Packed(file_name=f"{name}.zip", data=data, md5_hex=zip_md5(data))


# --- unpacking ----------------------------------------------------------------------------------


def _as_uuid(text: str) -> uuidlib.UUID | None:
    try:
        return uuidlib.UUID(text) if len(text) == 36 else None
    except ValueError:
        return None


def _named_uuid(file_name: str) -> uuidlib.UUID:
    stem, dot, extension = file_name.rpartition(".")
    found = _as_uuid(stem) if dot and extension.lower() == "zip" else None
    if found is None:
        raise BadZipName(name=file_name)
    return found


def _check_entry_name(name: str) -> uuidlib.UUID | None:
    """The UUID an entry is named by (None when it is not); refuses names that climb or point anywhere."""
    if not name or "\x00" in name or "/" in name or "\\" in name or ":" in name or name in (".", ".."):
        raise UnsafeEntryName(name=name)
    stem, dot, extension = name.rpartition(".")
    if not dot or extension.lower() != "xml":
        raise NotXmlEntry(name=name)
    return _as_uuid(stem)


def _open(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise NotAZip() from None
    except (OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ZipBroken(reason=_zip_reason(exc)) from None


def _entry(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    entries = archive.infolist()
    if len(entries) != 1:
        raise NotOneEntry(count=len(entries))
    entry = entries[0]
    if entry.flag_bits & 0x1 or entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ZipBroken(reason=_("the entry is encrypted or compressed other than by deflate"))
    return entry


def _read(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limit: int) -> bytes:
    """The entry's bytes, decompressed up to *limit*: the header's size is a claim, not a bound."""
    if entry.file_size > limit:
        raise TooLarge(what=_("envelope XML"), limit=limit)
    try:
        with archive.open(entry) as stream:
            xml = stream.read(limit + 1)  # a short read has reached the end, where the CRC is checked
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ZipBroken(reason=_zip_reason(exc)) from None
    if len(xml) > limit:
        raise TooLarge(what=_("envelope XML"), limit=limit)
    return xml


def _check_envelope_id(xml: bytes, zip_uuid: uuidlib.UUID, entry_uuid: uuidlib.UUID | None, file_name: str, entry_name: str) -> None:
    try:
        carried = sbdh.instance_identifier(sbdh.safe_parse(xml))
    except sbdh.NotAnEnvelope as exc:
        raise EnvelopeUnreadable(reason=exc.params["reason"]) from None
    envelope = _as_uuid(carried)
    if envelope is None:
        raise NoEnvelopeId()
    if entry_uuid != envelope:
        raise EntryNameMismatch(name=entry_name, uuid=carried)
    if zip_uuid != envelope:
        raise ZipNameMismatch(name=file_name, uuid=carried)


def unpack(file_name: str, data: bytes, md5_hex: str, *, max_zip_bytes: int = MAX_INCOMING_ZIP_BYTES,
           max_xml_bytes: int = sbdh.MAX_ENVELOPE_BYTES) -> bytes:
    """The envelope XML of a zip as GİB's sendDocument carries it; each fault raises the error GİB would."""
    if len(data) > max_zip_bytes:
        raise TooLarge(what=_("zip"), limit=max_zip_bytes)
    zip_uuid = _named_uuid(file_name)
    if zip_md5(data) != (md5_hex or "").strip().lower():
        raise HashMismatch(actual=zip_md5(data), expected=md5_hex)
    with _open(data) as archive:
        entry = _entry(archive)
        entry_uuid = _check_entry_name(entry.filename)
        xml = _read(archive, entry, max_xml_bytes)
    _check_envelope_id(xml, zip_uuid, entry_uuid, file_name, entry.filename)
    return xml


# --- batching -----------------------------------------------------------------------------------


class _Sized:
    """A document as it will stand in an envelope: its XML's size there, the most it can add to the
    envelope's zip (``bound``: nothing compressed to know it) and, asked for, what it deflates to on
    its own (deflating the envelope as a whole does as well or better)."""

    def __init__(self, xml: bytes, embedded: bytes, alone: bool) -> None:
        self.xml, self.embedded, self.alone = xml, embedded, alone
        self.xml_bytes = len(embedded)
        self.bound = _deflate_bound(self.xml_bytes)
        self._deflated: int | None = None

    def deflated(self) -> int:
        if self._deflated is None:
            self._deflated = _deflated_size(self.embedded)
        return self._deflated


def _deflate_bound(size: int) -> int:
    """The most *size* bytes can deflate to (zlib's ``compressBound``): stored blocks and their headers."""
    return size + (size >> 12) + (size >> 14) + (size >> 25) + 13


def _deflated_size(xml: bytes) -> int:
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)  # zipfile's deflate
    return len(compressor.compress(xml)) + len(compressor.flush())


def _sized(xml: bytes) -> _Sized:
    root = sbdh.safe_parse(xml)
    alone = (root.findtext(f"{{{CBC}}}ProfileID") or "").strip() in ALONE_PROFILES
    return _Sized(xml, etree.tostring(root), alone)


def _too_large(item: _Sized, zip_budget: int, xml_budget: int) -> bool:
    if item.xml_bytes + ENVELOPE_XML_OVERHEAD > xml_budget:
        return True
    return item.bound + ZIP_OVERHEAD > zip_budget and item.deflated() + ZIP_OVERHEAD > zip_budget


def _document_id(xml: bytes) -> str:
    return (sbdh.safe_parse(xml).findtext(f"{{{CBC}}}ID") or "?").strip()


class _Filler:
    """Fills envelopes in order; a new one starts when the next document would break a bound. An
    envelope's zip is counted by its documents' bounds while those fit, and by what they deflate to
    once they would not: documents are compressed to be measured only when it decides something."""

    def __init__(self, max_count: int, zip_budget: int, xml_budget: int) -> None:
        self.max_count, self.zip_budget, self.xml_budget = max_count, zip_budget, xml_budget
        self.groups: list[list[bytes]] = []
        self.current: list[_Sized] = []
        self.zip_bytes = self.xml_bytes = 0
        self.exact = False  # zip_bytes is the current documents' deflated sizes, not their bounds

    def close(self) -> None:
        if self.current:
            self.groups.append([item.xml for item in self.current])
        self.current, self.zip_bytes, self.xml_bytes, self.exact = [], ZIP_OVERHEAD, ENVELOPE_XML_OVERHEAD, False

    def _size(self, item: _Sized) -> int:
        return item.deflated() if self.exact else item.bound

    def fits(self, item: _Sized) -> bool:
        if len(self.current) >= self.max_count or self.xml_bytes + item.xml_bytes > self.xml_budget:
            return False
        if not self.exact and self.zip_bytes + item.bound > self.zip_budget:
            self.exact = True
            self.zip_bytes = ZIP_OVERHEAD + sum(document.deflated() for document in self.current)
        return self.zip_bytes + self._size(item) <= self.zip_budget

    def add(self, item: _Sized) -> None:
        if item.alone or not self.fits(item):
            self.close()
        self.current.append(item)
        self.zip_bytes += self._size(item)
        self.xml_bytes += item.xml_bytes
        if item.alone:
            self.close()


def batch(documents: Sequence[bytes], *, max_count: int = sbdh.MAX_INVOICES, max_bytes: int = 5 * 1024 * 1024,
          max_xml_bytes: int | None = None) -> list[list[bytes]]:
    """Group one receiver's documents, in order, into envelopes GİB accepts.

    Each group holds at most *max_count* documents (GİB: 100 invoices), zips to at most 90 % of
    *max_bytes* (GİB's 5 MB, less ``SAFETY``) and makes at most *max_xml_bytes* of XML (default: what
    our validator reads). IHRACAT and YOLCUBERABERFATURA invoices travel alone. A document too large
    for an envelope of its own raises DocumentTooLarge, before anything is grouped.
    """
    zip_budget = int(max_bytes * (1 - SAFETY))
    xml_budget = max_xml_bytes if max_xml_bytes is not None else settings.UBL_VALIDATION_MAX_BYTES
    sized = [_sized(xml) for xml in documents]
    for position, item in enumerate(sized, 1):
        if _too_large(item, zip_budget, xml_budget):
            raise DocumentTooLarge(position=position, id=_document_id(item.xml))
    filler = _Filler(max_count, zip_budget, xml_budget)
    filler.close()
    for item in sized:
        filler.add(item)
    filler.close()
    return filler.groups
