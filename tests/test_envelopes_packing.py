"""The zip around an envelope: packing, unpacking with GİB's faults, and batching under GİB's limits."""

import hashlib
import io
import os
import struct
import zipfile
from base64 import b64encode

import pytest
from lxml import etree

from envelopes import packing, sbdh
from signing.verify import verify
from tests.clock import NOW
from tests.envelope_helpers import A_TO_B, ENVELOPE_ID, sealed_invoices
from tests.envelope_helpers import envelope, invoices  # noqa: F401  (fixtures)
from tests.invoice_payloads import CASES

OTHER_ID = "0b7c3e2a-9f4d-4c1b-8e6a-5d2f1a3b4c5d"



def zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def patched(data: bytes, local_offset: int, central_offset: int, value: bytes) -> bytes:
    """The zip with a field of its (one) local header and central directory entry overwritten."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", local_offset), (b"PK\x01\x02", central_offset)):
        at = out.find(signature)
        out[at + offset:at + offset + len(value)] = value
    return bytes(out)


def unpack(data: bytes, name: str = f"{ENVELOPE_ID}.zip", **limits) -> bytes:
    return packing.unpack(name, data, hashlib.md5(data).hexdigest(), **limits)


# --- packing ------------------------------------------------------------------------------------------


def test_a_packed_envelope_is_one_deflated_entry_named_by_its_uuid(envelope):
    packed = packing.pack(envelope, ENVELOPE_ID)
    assert packed.file_name == f"{ENVELOPE_ID}.zip"
    assert packed.md5_hex == hashlib.md5(packed.data).hexdigest()
    with zipfile.ZipFile(io.BytesIO(packed.data)) as archive:
        [entry] = archive.infolist()
        assert (entry.filename, entry.compress_type) == (f"{ENVELOPE_ID}.xml", zipfile.ZIP_DEFLATED)
        assert archive.read(entry) == envelope


def test_packing_twice_gives_the_same_bytes_and_hash(envelope):
    # A resend after a lost answer must be the same zip: GİB then says 2001 (already known), not a new envelope.
    assert packing.pack(envelope, ENVELOPE_ID) == packing.pack(envelope, ENVELOPE_ID.upper())


def test_packing_under_another_uuid_than_the_envelopes_is_refused(envelope):
    with pytest.raises(packing.ZipNameMismatch) as caught:
        packing.pack(envelope, OTHER_ID)
    assert caught.value.gib_code == 1142


def test_sealed_invoices_still_verify_after_build_pack_unpack_parse(envelope, test_root):
    packed = packing.pack(envelope, ENVELOPE_ID)
    xml = packing.unpack(packed.file_name, packed.data, packed.md5_hex)
    assert xml == envelope
    documents = sbdh.parse_envelope(xml).documents
    assert len(documents) == 3
    for document in documents:
        report = verify(document, roots=[test_root.certificate])
        assert report.valid, report.failed


def test_uuids_and_hashes_are_compared_without_regard_to_case(envelope):
    packed = packing.pack(envelope, ENVELOPE_ID)
    assert packing.unpack(packed.file_name.upper().replace(".ZIP", ".zip"), packed.data, packed.md5_hex.upper()) == envelope


def test_a_zip_over_gibs_limit_is_not_packed(envelope):
    noise = b64encode(os.urandom(5_400_000))  # base64 of random bytes deflates to about 3/4: over 5,000,000
    big = envelope.replace(b"</sh:StandardBusinessDocument>", b"<!--" + noise + b"--></sh:StandardBusinessDocument>")
    with pytest.raises(packing.TooLarge, match="5000000"):
        packing.pack(big, ENVELOPE_ID)


# --- unpacking: each fault names GİB's code -----------------------------------------------------------


def test_a_hash_that_does_not_match_is_gibs_fault_2000(envelope):
    packed = packing.pack(envelope, ENVELOPE_ID)
    with pytest.raises(packing.HashMismatch) as caught:
        packing.unpack(packed.file_name, packed.data, hashlib.md5(b"other").hexdigest())
    assert (caught.value.code, caught.value.gib_code) == ("zip_hash_mismatch", 2000)


@pytest.mark.parametrize("name", ["envelope.zip", f"{ENVELOPE_ID}.xml", ENVELOPE_ID, f"{ENVELOPE_ID[:-1]}.zip", f"../{ENVELOPE_ID}.zip"])
def test_a_zip_not_named_guid_dot_zip_is_gibs_fault_2006(envelope, name):
    packed = packing.pack(envelope, ENVELOPE_ID)
    with pytest.raises(packing.BadZipName) as caught:
        packing.unpack(name, packed.data, packed.md5_hex)
    assert caught.value.gib_code == 2006


def broken_deflate(envelope: bytes) -> bytes:
    data = bytearray(zip_of({f"{ENVELOPE_ID}.xml": envelope}))
    data[60:80] = bytes(20)  # inside the deflated data, past the local header
    return bytes(data)


def lying_header(envelope: bytes) -> bytes:
    """A zip whose headers say the entry is 100 bytes; it inflates to the whole envelope."""
    return patched(zip_of({f"{ENVELOPE_ID}.xml": envelope}), 22, 24, struct.pack("<I", 100))


def encrypted(envelope: bytes) -> bytes:
    return patched(zip_of({f"{ENVELOPE_ID}.xml": envelope}), 6, 8, struct.pack("<H", 0x1))


def xml_named(uuid: str, xml: bytes) -> bytes:
    return zip_of({f"{uuid}.xml": xml})


CASES_BAD = {
    "not a zip": (lambda env: env, packing.NotAZip, 1110),
    "a truncated zip": (lambda env: zip_of({f"{ENVELOPE_ID}.xml": env})[:-30], packing.NotAZip, 1110),
    "damaged deflate": (broken_deflate, packing.ZipBroken, 1130),
    "an encrypted entry": (encrypted, packing.ZipBroken, 1130),
    "a header that understates the size": (lying_header, packing.ZipBroken, 1130),
    "no entry": (lambda env: zip_of({}), packing.NotOneEntry, 1131),
    "two entries": (lambda env: zip_of({f"{ENVELOPE_ID}.xml": env, "readme.txt": b"hi"}), packing.NotOneEntry, 1131),
    "a text entry": (lambda env: zip_of({f"{ENVELOPE_ID}.txt": env}), packing.NotXmlEntry, 1132),
    "an entry that climbs": (lambda env: zip_of({f"../{ENVELOPE_ID}.xml": env}), packing.UnsafeEntryName, 1133),
    "an absolute entry": (lambda env: zip_of({f"/tmp/{ENVELOPE_ID}.xml": env}), packing.UnsafeEntryName, 1133),
    "a Windows path": (lambda env: zip_of({f"C:\\x\\{ENVELOPE_ID}.xml": env}), packing.UnsafeEntryName, 1133),
    "an entry named otherwise": (lambda env: xml_named(OTHER_ID, env), packing.EntryNameMismatch, 1133),
    "an entry not named by a uuid": (lambda env: zip_of({"zarf.xml": env}), packing.EntryNameMismatch, 1133),
    "no XML inside": (lambda env: xml_named(ENVELOPE_ID, b"PK\x03\x04 not xml"), packing.EnvelopeUnreadable, 1140),
    "a DOCTYPE inside": (lambda env: xml_named(ENVELOPE_ID, b"<!DOCTYPE x [<!ENTITY a 'a'>]><x>&a;</x>"), packing.EnvelopeUnreadable, 1140),
    "no envelope id": (lambda env: xml_named(ENVELOPE_ID, env.replace(ENVELOPE_ID.encode(), b"")), packing.NoEnvelopeId, 1141),
}


@pytest.mark.parametrize("case", sorted(CASES_BAD))
def test_each_bad_zip_gives_its_error_and_gibs_code(envelope, case):
    make, error, gib_code = CASES_BAD[case]
    with pytest.raises(error) as caught:
        unpack(make(envelope))
    assert caught.value.gib_code == gib_code
    assert str(caught.value)  # a message for people, with its values filled in


def test_a_zip_named_after_another_envelope_is_1142(envelope):
    with pytest.raises(packing.ZipNameMismatch) as caught:
        unpack(zip_of({f"{ENVELOPE_ID}.xml": envelope}), name=f"{OTHER_ID}.zip")
    assert caught.value.gib_code == 1142


def test_a_zip_bomb_is_stopped_at_the_cap_whatever_its_header_says(envelope):
    bomb = envelope.replace(b"</sh:StandardBusinessDocument>", b"<!--" + b" " * 50_000_000 + b"--></sh:StandardBusinessDocument>")
    data = zip_of({f"{ENVELOPE_ID}.xml": bomb})
    assert len(data) < 200_000
    with pytest.raises(packing.TooLarge, match="envelope XML"):
        unpack(data, max_xml_bytes=1_000_000)
    with pytest.raises((packing.TooLarge, packing.ZipBroken)):
        unpack(lying_header(bomb), max_xml_bytes=1_000_000)


def test_a_zip_larger_than_we_take_is_refused_before_it_is_opened(envelope):
    with pytest.raises(packing.TooLarge, match="zip"):
        unpack(zip_of({f"{ENVELOPE_ID}.xml": envelope}), max_zip_bytes=100)


# --- batching -----------------------------------------------------------------------------------------


def test_batches_follow_the_count_in_order(invoices, tenant_a, seal_a, test_root):
    more = invoices + sealed_invoices(tenant_a, seal_a, test_root, 2)
    groups = packing.batch(more, max_count=2)
    assert groups == [more[0:2], more[2:4], more[4:5]]


def test_small_invoices_go_in_one_envelope(invoices):
    assert packing.batch(invoices) == [invoices]


def packed_size(documents: list[bytes]) -> int:
    xml = sbdh.sender_envelope(**A_TO_B, documents=documents, uuid=ENVELOPE_ID, created=NOW)
    return len(packing.pack(xml, ENVELOPE_ID).data)


def test_batches_follow_the_zipped_size_with_a_margin(tenant_a, tenant_b, seal_a, test_root):
    large = sealed_invoices(tenant_a, seal_a, test_root, 5, lines=150)
    one = packed_size(large[:1])
    max_bytes = int(2.5 * one / (1 - packing.SAFETY))  # room for two and a half of them, after the margin
    groups = packing.batch(large, max_bytes=max_bytes)
    assert [len(g) for g in groups] == [2, 2, 1]
    assert sum(groups, []) == large
    assert all(packed_size(g) <= max_bytes * (1 - packing.SAFETY) for g in groups)


def test_documents_are_compressed_to_be_measured_only_when_their_raw_size_would_not_fit(tenant_a, seal_a, test_root, monkeypatch):
    large = sealed_invoices(tenant_a, seal_a, test_root, 5, lines=150)
    raw = len(etree.tostring(etree.fromstring(large[0])))
    measured = []
    monkeypatch.setattr(packing, "_deflated_size", lambda xml, deflated=packing._deflated_size: measured.append(len(xml)) or deflated(xml))

    assert packing.batch(large) == [large]  # GİB's 5 MB holds their raw bytes: nothing compressed
    assert measured == []

    max_bytes = int(2.5 * raw / (1 - packing.SAFETY))  # two of them raw; all five, deflated
    groups = packing.batch(large, max_bytes=max_bytes)
    assert groups == [large]  # counted as they deflate once their raw sizes would not fit, the first ones too
    assert len(measured) == 5 and packed_size(large) <= max_bytes * (1 - packing.SAFETY)


def test_batches_keep_each_envelope_readable_by_our_validator(invoices):
    one = len(sbdh.sender_envelope(**A_TO_B, documents=invoices[:1]))
    groups = packing.batch(invoices, max_xml_bytes=2 * one)
    assert [len(g) for g in groups] == [1, 1, 1]


def test_one_document_too_large_for_any_envelope_is_said(invoices, tenant_a, seal_a, test_root):
    large = sealed_invoices(tenant_a, seal_a, test_root, 1, lines=400)[0]
    with pytest.raises(packing.DocumentTooLarge) as caught:
        packing.batch([*invoices, large], max_bytes=packed_size([large]))
    number = etree.fromstring(large).findtext("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID")
    assert caught.value.params == {"position": 4, "id": number}
    assert number in str(caught.value)


def test_export_invoices_travel_alone(invoices, tenant_a, seal_a, test_root):
    # GİB's ExportInvoiceCountCheck: an ElementList holds one IHRACAT invoice at most.
    export = sealed_invoices(tenant_a, seal_a, test_root, 2, data=CASES["ihracat_istisna"])
    documents = [invoices[0], export[0], export[1], invoices[1], invoices[2]]
    assert packing.batch(documents) == [[invoices[0]], [export[0]], [export[1]], [invoices[1], invoices[2]]]
