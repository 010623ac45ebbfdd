"""UBL-TR files as an ERP writes them for a bulk upload, and ZIPs of them: built by the platform's
own builder from a payload dated the tests' day, numbered as the ERP numbers them (the platform gives
its own number when it issues), each with an ETTN of its own."""

from __future__ import annotations

import io
import uuid as uuidlib
import zipfile

from lxml import etree

from invoices.services import draft_from_payload
from tests.clock import YEAR
from tests.invoice_payloads import payload
from ubl import build
from ubl.names import NS


def ubl_file(tenant, number: int = 1, *, ettn: str = "", **extra) -> bytes:
    """A valid TICARIFATURA of *tenant* to B, as an ERP would upload it."""
    draft = draft_from_payload(tenant=tenant, data=payload("TICARIFATURA", **extra))
    document = draft.document
    document.uuid, document.id = ettn or str(uuidlib.uuid4()).upper(), f"ERP{YEAR}{number:09d}"
    return build.to_bytes(build.build_invoice(document, xslt=draft.xslt))


def changed(xml: bytes, path: str, *, text: str | None = None, drop_attribute: str = "") -> bytes:
    """*xml* with the first element at *path* (from the root) given *text*, or without *drop_attribute*."""
    root = etree.fromstring(xml)
    node = root.find(path, NS)
    if text is not None:
        node.text = text
    if drop_attribute:
        del node.attrib[drop_attribute]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def zipped(files: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()
