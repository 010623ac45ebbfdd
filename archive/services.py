"""Storing documents in the archive, and checking that what it holds is what it stored.

``document_store`` writes the object first, then its row: a worker killed between the two leaves an
object no row names (harmless: the next try finds it there and only writes the row), never a row
without its object. The tenant's row is locked while the row is written, so the tenant's documents
form one hash chain in the order they were stored: each row's ``chain`` is the SHA-256 of the chain
before it and of this document's facts, so a row changed, dropped or swapped breaks every link after it.

Kept until the end of the document's year plus ``ARCHIVE_RETENTION_YEARS`` (VUK asks 5 years, TTK 10).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import random
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from archive.models import ArchiveCheck, Document
from archive.storage import ObjectMissing, StoreError, sha256_of, store
from tenants.models import Tenant

ISTANBUL = ZoneInfo("Europe/Istanbul")
logger = logging.getLogger(__name__)


def retain_until(moment: dt.datetime) -> dt.date:
    """The last day a document stored at *moment* is kept: the end of its year (in Türkiye) plus the years kept."""
    return dt.date(moment.astimezone(ISTANBUL).year + settings.ARCHIVE_RETENTION_YEARS, 12, 31)


def lock_until(day: dt.date) -> dt.datetime:
    """The moment the store's lock on an object kept until *day* ends: the next midnight in Türkiye."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=ISTANBUL)


def object_key(tenant: Tenant, sha256: str) -> str:
    return f"{tenant.identifier}/{sha256[:2]}/{sha256}"


def chain_of(previous: str, document: Document) -> str:
    facts = [previous, document.tenant.identifier, document.kind, document.key, document.sha256, str(document.size),
             document.created_at.astimezone(dt.UTC).isoformat(), document.subject_type, str(document.subject_id or "")]
    return hashlib.sha256("\n".join(facts).encode()).hexdigest()


@dataclass(frozen=True)
class Put:
    """An object written to the store, its row still to be recorded (``document_record``)."""

    tenant: Tenant
    key: str
    sha256: str
    size: int
    media_type: str
    at: dt.datetime
    retain_until: dt.date


def document_put(*, tenant: Tenant, data: bytes, media_type: str = "application/xml", now: dt.datetime | None = None) -> Put:
    """Write *data*'s object, with no transaction open and no row locked (the store may be across
    the network). Nothing names it until ``document_record`` does."""
    now = now or timezone.now()
    sha256 = hashlib.sha256(data).hexdigest()
    put = Put(tenant, object_key(tenant, sha256), sha256, len(data), media_type, now, retain_until(now))
    store().put(put.key, data, sha256=sha256, media_type=media_type, retain_until=lock_until(put.retain_until))
    return put


class Writes:
    """Objects of one tenant written in the background, ``ARCHIVE_WRITES_AT_ONCE`` at a time, while
    the caller goes on: a step's batch waits on the store's round trips once, not once per document,
    and seals or validates the next document meanwhile. ``put`` starts a write; ``puts`` gives the
    ``Put``s in the order they were started, raising a failed write's error at its place once every
    write has ended (those before it are written and may be recorded; an object written after it is
    one no row names, harmless)."""

    def __init__(self, *, tenant: Tenant, media_type: str = "application/xml", now: dt.datetime | None = None) -> None:
        self.tenant, self.media_type, self.now = tenant, media_type, now
        self._writing: list[Future] = []

    def put(self, data: bytes) -> None:
        self._writing.append(_pool().submit(document_put, tenant=self.tenant, data=data, media_type=self.media_type, now=self.now))

    @property
    def started(self) -> int:
        return len(self._writing)

    def puts(self) -> Iterator[Put]:
        for writing in self._writing:
            try:
                yield writing.result()
            except BaseException:
                wait(self._writing)  # none still in flight once the caller learns of the failure
                raise


_pools: dict[int, ThreadPoolExecutor] = {}


def _pool() -> ThreadPoolExecutor:
    """This process's threads that write and read objects (a forked worker makes its own: threads do not survive a fork)."""
    pid = os.getpid()
    if pid not in _pools:
        _pools.clear()
        _pools[pid] = ThreadPoolExecutor(settings.ARCHIVE_WRITES_AT_ONCE, thread_name_prefix="archive-write")
    return _pools[pid]


def document_record(*, put: Put, kind: str, subject: tuple[str, int] | None = None) -> Document:
    """The row of an object put, in the caller's transaction: the tenant's row is locked (NO KEY
    UPDATE: rows that refer to the tenant may still be written) so the chain has one order. The
    same object recorded again for the same kind and subject is the row made the first time."""
    return documents_record(puts=[(put, kind, subject)])[0]


def documents_record(*, puts: list[tuple[Put, str, tuple[str, int] | None]]) -> list[Document]:
    """``document_record`` for many objects of one tenant, each with its kind and subject: the
    tenant's row locked once, earlier rows looked for in one query, the new rows chained in their
    order and written in one statement."""
    if not puts:
        return []
    tenant = puts[0][0].tenant
    with transaction.atomic():
        Tenant.objects.select_for_update(no_key=True).filter(id=tenant.id).values_list("id", flat=True).get()
        found: dict[tuple, Document] = {}
        for earlier in Document.objects.filter(tenant=tenant, sha256__in={put.sha256 for put, _kind, _subject in puts}).order_by("id"):
            found.setdefault((earlier.kind, earlier.sha256, earlier.subject_type, earlier.subject_id), earlier)
        last = Document.objects.filter(tenant=tenant).order_by("-id").values_list("chain", flat=True).first() or ""
        recorded, new = [], []
        for put, kind, subject in puts:
            subject_type, subject_id = subject or ("", None)
            document = found.get((kind, put.sha256, subject_type, subject_id))
            if document is None:
                document = Document(tenant=tenant, kind=kind, key=put.key, sha256=put.sha256, size=put.size, media_type=put.media_type,
                                    created_at=put.at, retain_until=put.retain_until, subject_type=subject_type, subject_id=subject_id,
                                    previous_chain=last)
                document.chain = last = chain_of(last, document)
                found[(kind, put.sha256, subject_type, subject_id)] = document
                new.append(document)
            recorded.append(document)
        Document.objects.bulk_create(new)  # in their order: ids ascend as the chain does
        return recorded


def document_store(*, tenant: Tenant, kind: str, data: bytes, media_type: str = "application/xml",
                   subject: tuple[str, int] | None = None, now: dt.datetime | None = None) -> Document:
    """Archive *data* as *tenant*'s document of *kind*, belonging to *subject* (``("invoice", id)``…);
    returns its row. Storing the same bytes again for the same kind and subject returns the row made
    the first time: a retried step stores nothing twice."""
    # The object is written first, as always (the store takes the same bytes under the same key again
    # without a second copy); ``document_record`` then finds the row of an earlier store, under the lock.
    return document_record(put=document_put(tenant=tenant, data=data, media_type=media_type, now=now), kind=kind, subject=subject)


def document_open(document: Document):
    """The document's bytes as a stream, read from the store as they are read (a large zip is never
    loaded whole)."""
    return store().open(document.key)


def document_bytes(document: Document | None) -> bytes:
    """A small document's bytes whole (an invoice, an answer); empty for none."""
    if document is None:
        return b""
    with document_open(document) as stream:
        return stream.read()


def documents_bytes(documents: Iterable[Document]) -> Iterator[bytes]:
    """``document_bytes`` of each of *documents*, in their order, read ``ARCHIVE_WRITES_AT_ONCE`` at a
    time ahead of the one wanted (as ``Writes`` writes): a batch waits on the store's round trips once,
    and a long run of documents is never held whole."""
    reading: deque[Future] = deque()
    for document in documents:
        reading.append(_pool().submit(document_bytes, document))
        if len(reading) > settings.ARCHIVE_WRITES_AT_ONCE:
            yield reading.popleft().result()
    while reading:
        yield reading.popleft().result()


@dataclass
class Problem:
    document: int | None
    key: str
    what: str

    def as_dict(self) -> dict:
        return {"document": self.document, "key": self.key, "what": self.what}


@dataclass
class Verified:
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


def archive_verify(*, tenant: Tenant | None = None, since: dt.date | None = None, sample: int | None = None,
                   rng: random.Random | None = None) -> Verified:
    """Read the objects back and recompute every hash and the chain: each document named with what is
    wrong (missing, changed, out of chain). With *sample*, that many documents' objects are read at
    random; the chain is always followed whole. The run is recorded (``ArchiveCheck``), and a run that
    finds anything is logged as an error."""
    scope = ", ".join(filter(None, [tenant.identifier if tenant else _("all tenants"), since and _("since %(day)s") % {"day": since},
                                    sample and _("a sample of %(count)s") % {"count": sample}]))
    record = ArchiveCheck.objects.create(scope=scope[:200])
    result = Verified()
    tenants = [tenant] if tenant else Tenant.objects.filter(documents__isnull=False).distinct().order_by("id")
    for each in tenants:
        _verify_tenant(each, since, sample, rng or random.Random(), result)
    ArchiveCheck.objects.filter(id=record.id).update(finished_at=timezone.now(), checked=result.checked,
                                                     problems=[p.as_dict() for p in result.problems[:1000]])
    if result.problems:
        logger.error("archive check %s (%s): %d problem(s), the first: %s", record.id, scope, len(result.problems), result.problems[0].what)
    return result


def _verify_tenant(tenant: Tenant, since: dt.date | None, sample: int | None, rng: random.Random, result: Verified) -> None:
    documents = Document.objects.filter(tenant=tenant).select_related("tenant").order_by("id")
    previous = ""
    total = documents.count() if sample is not None else 0
    chosen = set(rng.sample(range(total), min(sample, total))) if sample is not None else None
    for position, document in enumerate(documents.iterator(chunk_size=2000)):
        if document.previous_chain != previous or chain_of(previous, document) != document.chain:
            result.problems.append(Problem(document.id, document.key, _("out of chain: the row or the one before it was changed, dropped or moved")))
        previous = document.chain
        if since and document.created_at.astimezone(ISTANBUL).date() < since:
            continue
        if chosen is not None and position not in chosen:
            continue
        result.checked += 1
        problem = _object_problem(document)
        if problem:
            result.problems.append(Problem(document.id, document.key, problem))


def _object_problem(document: Document) -> str:
    try:
        with document_open(document) as stream:
            found = sha256_of(stream)
    except ObjectMissing:
        return _("the object is missing")
    except (StoreError, OSError) as exc:
        return _("the object cannot be read: %(reason)s") % {"reason": exc}
    if found != document.sha256:
        return _("the object changed: its SHA-256 is %(found)s, not %(stored)s") % {"found": found, "stored": document.sha256}
    return ""
