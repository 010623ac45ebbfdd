"""Moving documents out of the rows that held them into the archive (the data migrations of invoices
and envelopes, and ``manage.py archive_rows``).

Each row's bytes are hashed, written as an object, read back and hashed again, recorded in the
tenant's hash chain, and only then cleared from the row. Safe to run again, and after a run that
stopped anywhere: a row whose bytes are gone is done; a row whose bytes are still there beside its
recorded document has them compared with the document's object, then cleared; bytes that differ from
their document are refused, and nothing of that row is cleared.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive.services import chain_of, lock_until, object_key, retain_until
from archive.storage import sha256_of, store
from integrator.errors import DomainError


class MoveRefused(DomainError):
    code = "archive_move_refused"
    message = _("%(subject)s: its row's bytes (SHA-256 %(row)s) are not those of its archived document (%(archived)s); nothing was cleared")


def in_batches(rows, size: int):
    """*rows* (a queryset) in id order, *size* at a time, each batch read fresh: a migration's walk
    over a large table without holding it all, nor a cursor across the writes it makes."""
    last = 0
    while batch := list(rows.filter(id__gt=last).order_by("id")[:size]):
        yield from batch
        last = batch[-1].id


def move_out(*, Document, row, field: str, document_field: str, tenant, kind: str, subject: tuple[str, int],
             media_type: str = "application/xml", written_at: dt.datetime | None = None) -> bool:
    """Move *row*'s bytes in *field* to the archive as *tenant*'s document of *kind*, named by
    *document_field*. *Document* is the model to write with (a migration's historical one, or the
    app's). True when the row changed."""
    data = getattr(row, field)
    if not data:
        return False
    data = bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    document = getattr(row, document_field)
    if document is None:
        document = _archived(Document, tenant, kind, data, sha256, media_type, subject, written_at or timezone.now())
    elif document.sha256 != sha256:
        raise MoveRefused(subject=f"{subject[0]} {subject[1]}", row=sha256, archived=document.sha256)
    _read_back(document.key, sha256)
    setattr(row, field, None)
    setattr(row, document_field, document)
    type(row).objects.filter(pk=row.pk).update(**{field: None, document_field: document})
    return True


def _archived(Document, tenant, kind, data, sha256, media_type, subject, written_at):
    key = object_key(tenant, sha256)
    kept_until = retain_until(written_at)
    store().put(key, data, sha256=sha256, media_type=media_type, retain_until=lock_until(kept_until))
    _read_back(key, sha256)
    last = Document.objects.filter(tenant=tenant).order_by("-id").values_list("chain", flat=True).first() or ""
    document = Document(tenant=tenant, kind=kind, key=key, sha256=sha256, size=len(data), media_type=media_type,
                        created_at=timezone.now(), retain_until=kept_until, subject_type=subject[0], subject_id=subject[1],
                        previous_chain=last)
    document.chain = chain_of(last, document)
    document.save(force_insert=True)
    return document


def _read_back(key: str, sha256: str) -> None:
    with store().open(key) as stream:
        found = sha256_of(stream)
    if found != sha256:
        raise MoveRefused(subject=key, row=sha256, archived=found)
