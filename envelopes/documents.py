"""The bytes of an envelope's zip, wherever they are kept: in the archive once archived (as sent, or
as received), else in the row (packed and not sent yet, or written before the archive held it)."""

from __future__ import annotations

from archive.services import document_bytes
from envelopes.models import Envelope


def envelope_zip(envelope: Envelope) -> bytes:
    return bytes(envelope.data) if envelope.data else document_bytes(envelope.document)
