"""A period of a tenant's documents handed over as one ZIP, built in the background.

The ZIP holds, for every invoice issued or received in the period (by issue date): the document as
the archive holds it (the signed XML as sent or received), its KABUL/RED answer, and each envelope
it travelled in, once; then ``index.csv`` and ``index.xlsx`` (a row per invoice: number, ETTN, date,
counterparty, amounts, status, the document's SHA-256 and storage key) and ``manifest.sha256``, in
``sha256sum`` form, so the receiver checks the whole with ``sha256sum -c manifest.sha256``.

Memory stays bounded whatever the period: rows are read in chunks, each document is copied into the
ZIP as a stream, the index and the manifest are written to files as they grow, and the ZIP is made on
disk, then handed over (``archive.handover``). A build is claimed with a conditional update; one whose
worker died (no progress for ``STALE_AFTER``) is claimed again and starts over.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import logging
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archive.handover import handover_put, handover_remove, scratch_dir
from archive.services import document_open
from archive.storage import CHUNK, sha256_of
from delivery.services import pdf_document
from envelopes.documents import envelope_zip
from envelopes.models import Envelope
from exports.models import Export
from integrator.errors import DomainError
from invoices.documents import answer_xml, invoice_xml
from invoices.models import Invoice
from invoices.selectors import InvoiceFilter, invoices_of
from tenants.models import Tenant

logger = logging.getLogger(__name__)
STALE_AFTER = dt.timedelta(minutes=5)
PROGRESS_EVERY = 200  # invoices between two progress writes
MAX_DAYS = 3660 + 366  # the ten years kept, and the year that is running
INDEX_COLUMNS = ["number", "ettn", "direction", "issue_date", "profile", "type", "counterparty_vkn_tckn", "counterparty",
                 "currency", "tax_amount", "payable_amount", "status", "gib_code", "answer", "file", "sha256", "storage_key", "note"]


class PeriodInvalid(DomainError):
    code = "export_period_invalid"
    message = _("The period must run forwards and span at most %(days)s days: %(start)s to %(end)s does not.")


class NothingChosen(DomainError):
    code = "export_nothing_chosen"
    message = _("Say which invoices: a period, the ones ticked, or a list's filters.")


def export_request(*, tenant: Tenant, via: str, user=None, period_from: dt.date | None = None, period_to: dt.date | None = None,
                   direction: str = "", uuids: list[str] | None = None, filters: InvoiceFilter | None = None,
                   contents: str = Export.Contents.ARCHIVE) -> Export:
    """An export waiting to be built (``exports.tasks.export_ask`` also starts it): of *tenant*'s
    period, or of the invoices of *direction* ticked (*uuids*) or kept by a list's *filters*."""
    if uuids:
        selection = {"direction": direction, "uuids": [str(ettn) for ettn in uuids]}
    elif filters is not None:
        selection = {"direction": direction, "filters": filters_written(filters)}
    elif period_from is None or period_to is None:
        raise NothingChosen()
    else:
        selection = {}
    if period_from is not None and period_to is not None and (period_to < period_from or (period_to - period_from).days >= MAX_DAYS):
        raise PeriodInvalid(days=MAX_DAYS, start=period_from.isoformat(), end=period_to.isoformat())
    return Export.objects.create(tenant=tenant, period_from=period_from, period_to=period_to, selection=selection, contents=contents,
                                 requested_via=via, requested_by=user)


def filters_written(filters: InvoiceFilter) -> dict:
    """A list's filters as JSON (what an export keeps of them), only those that narrow."""
    written = {}
    for field in dataclasses.fields(InvoiceFilter):
        value = getattr(filters, field.name)
        if value in (None, "", ()):
            continue
        written[field.name] = list(value) if isinstance(value, tuple) else value.isoformat() if isinstance(value, dt.date) \
            else str(value) if isinstance(value, Decimal) else value
    return written


def filters_read(written: dict) -> InvoiceFilter:
    kinds = {"issued_from": dt.date.fromisoformat, "issued_to": dt.date.fromisoformat, "amount_min": Decimal, "amount_max": Decimal,
             "statuses": tuple}
    return InvoiceFilter(**{name: kinds.get(name, lambda v: v)(value) for name, value in written.items()})


def export_get(*, tenant: Tenant, export_id: int) -> Export | None:
    return Export.objects.filter(tenant=tenant, id=export_id).first()


def exports_of(*, tenant: Tenant):
    return Export.objects.filter(tenant=tenant)


def export_build(*, export_id: int, now: dt.datetime | None = None) -> Export | None:
    """Build the export if it is waiting, or its builder died; None when another builds it, or it is built."""
    export = _claim(export_id, now or timezone.now())
    if export is None:
        return None
    try:
        path = _build(export)
    except Exception as exc:  # recorded on the export for the person who asked; they may ask again
        logger.exception("export %s failed", export.id)
        Export.objects.filter(id=export.id).update(state=Export.State.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        return Export.objects.get(id=export.id)
    try:
        with open(path, "rb") as made:
            sha256 = sha256_of(made)
        handover_put(key=export.file_key, path=path)
        finished = timezone.now()
        Export.objects.filter(id=export.id).update(
            state=Export.State.READY, size=path.stat().st_size, sha256=sha256, done=export.total, finished_at=finished,
            expires_at=finished + dt.timedelta(days=settings.EXPORT_KEEP_DAYS))
    finally:
        path.unlink(missing_ok=True)
    return Export.objects.get(id=export.id)


def _claim(export_id: int, now: dt.datetime) -> Export | None:
    waiting = Q(state=Export.State.QUEUED) | Q(state=Export.State.BUILDING, started_at__lt=now - STALE_AFTER)
    export = Export.objects.filter(waiting, id=export_id).select_related("tenant").first()
    if export is None:
        return None
    key = f"{export.tenant.identifier}/export-{export.id}-{uuid.uuid4().hex[:12]}.zip"
    claimed = Export.objects.filter(waiting, id=export_id, state=export.state, started_at=export.started_at).update(
        state=Export.State.BUILDING, started_at=now, done=0, file_key=key, error="")
    if claimed != 1:
        return None
    if export.file_key:  # what a builder that died may have handed over
        handover_remove(export.file_key)
    export.state, export.started_at, export.file_key = Export.State.BUILDING, now, key
    return export


def export_invoices(export: Export):
    """The invoices the export holds: those ticked, those a list's filters keep, or the period's."""
    chosen, direction = export.selection, export.selection.get("direction") or None
    if chosen.get("uuids"):
        invoices = Invoice.objects.filter(tenant=export.tenant, uuid__in=chosen["uuids"])
        invoices = invoices.filter(direction=direction) if direction else invoices
    elif "filters" in chosen:
        invoices = invoices_of(tenant=export.tenant, direction=direction, filters=filters_read(chosen["filters"]), now=export.created_at)
    else:
        invoices = Invoice.objects.filter(tenant=export.tenant, issue_date__gte=export.period_from, issue_date__lte=export.period_to)
    return (invoices.select_related("document", "answer_document").defer("xml", "answer_xml", "payload", "errors")
            .order_by("issue_date", "id"))


def _build(export: Export) -> Path:
    invoices = export_invoices(export)
    export.total = invoices.count()
    Export.objects.filter(id=export.id).update(total=export.total)
    with tempfile.NamedTemporaryFile(dir=scratch_dir(), prefix=f"export-{export.id}-", suffix=".zip", delete=False) as made:
        path = Path(made.name)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive, Index(path) as index:
            seen_envelopes: set[int] = set()
            for done, invoice in enumerate(invoices.iterator(chunk_size=500), start=1):
                if export.contents == Export.Contents.ARCHIVE:
                    _invoice_entries(archive, index, invoice, seen_envelopes)
                else:
                    _document_entries(archive, index, invoice, export.contents)
                if done % PROGRESS_EVERY == 0:
                    Export.objects.filter(id=export.id).update(done=done, started_at=timezone.now())  # progress, and the builder alive
            index.close_into(archive)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _invoice_entries(archive: zipfile.ZipFile, index: Index, invoice: Invoice, seen_envelopes: set[int]) -> None:
    folder = "invoices/outgoing" if invoice.direction == Invoice.Direction.OUTGOING else "invoices/incoming"
    name = f"{folder}/{invoice.number}_{invoice.uuid}.xml"
    sha256 = _entry(index, archive, name, invoice.document, lambda: invoice_xml(invoice))
    if invoice.answer_uuid:
        answer = f"answers/{invoice.number}_{invoice.answer_uuid}.xml"
        _entry(index, archive, answer, invoice.answer_document, lambda: answer_xml(invoice))
    if invoice.envelope_id and invoice.envelope_id not in seen_envelopes:
        seen_envelopes.add(invoice.envelope_id)
        for envelope in _envelopes(invoice.tenant_id, invoice.envelope_id):
            _entry(index, archive, f"envelopes/{envelope.file_name}", envelope.document, lambda e=envelope: envelope_zip(e))
    _row(index, invoice, name, sha256)


def _document_entries(archive: zipfile.ZipFile, index: Index, invoice: Invoice, contents: str) -> None:
    """The invoice's XML, its PDF, or both, named by its number and ETTN; a PDF that cannot be drawn
    (an invoice not sealed yet, a design that fails) is left out, and the index says why."""
    folder = "outgoing" if invoice.direction == Invoice.Direction.OUTGOING else "incoming"
    stem = f"{folder}/{invoice.number}_{invoice.uuid}"
    names, hashes, note = [], [], ""
    if contents in (Export.Contents.XML, Export.Contents.BOTH):
        names.append(f"{stem}.xml")
        hashes.append(_entry(index, archive, names[-1], invoice.document, lambda: invoice_xml(invoice)))
    if contents in (Export.Contents.PDF, Export.Contents.BOTH):
        try:
            pdf = pdf_document(invoice=invoice)
        except DomainError as exc:
            note = str(exc)
        else:
            names.append(f"{stem}.pdf")
            hashes.append(_entry(index, archive, names[-1], pdf, None))
    _row(index, invoice, " ".join(names), " ".join(hashes), note)


def _row(index: Index, invoice: Invoice, files: str, sha256: str, note: str = "") -> None:
    key = invoice.document.key if invoice.document is not None else ""  # "": not archived yet, from its row
    index.row([invoice.number, str(invoice.uuid), invoice.get_direction_display(), invoice.issue_date.isoformat(), invoice.profile,
               invoice.type_code, *invoice.counterparty, invoice.currency,
               invoice.tax_amount, invoice.payable_amount, invoice.get_status_display(),
               "" if invoice.gib_code is None else invoice.gib_code, invoice.answer, files, sha256, key, note])


def _entry(index: Index, archive: zipfile.ZipFile, name: str, document, row_bytes) -> str:
    """The archived document streamed into the ZIP; one not archived (a draft, an older row) from its
    row (*row_bytes*: the deferred column is read only then)."""
    if document is None:
        return index.entry(archive, name, row_bytes())
    with document_open(document) as stream:
        return index.entry(archive, name, stream)


def _envelopes(tenant_id: int, envelope_id: int) -> Iterator[Envelope]:
    """The envelope and the system responses that answer it (GİB's answers to ours, ours to theirs)."""
    envelopes = Envelope.objects.filter(Q(id=envelope_id) | Q(answers_id=envelope_id), tenant_id=tenant_id)
    yield from envelopes.select_related("document").defer("data").order_by("id")


@dataclass
class Index:
    """The index (CSV and XLSX) and the manifest, written to files beside the ZIP as they grow."""

    beside: Path

    def __enter__(self) -> Index:
        from openpyxl import Workbook

        self.folder = Path(tempfile.mkdtemp(dir=self.beside.parent, prefix=f".{self.beside.stem}-"))
        self.manifest = open(self.folder / "manifest.sha256", "w", encoding="utf-8", newline="\n")
        self.csv_file = open(self.folder / "index.csv", "w", encoding="utf-8-sig", newline="")
        self.csv = csv.writer(self.csv_file)
        self.csv.writerow(INDEX_COLUMNS)
        self.workbook = Workbook(write_only=True)  # rows go to a file as they come
        self.sheet = self.workbook.create_sheet("index")
        self.sheet.append(INDEX_COLUMNS)
        self.saved = False
        return self

    def entry(self, archive: zipfile.ZipFile, name: str, source: BinaryIO | bytes) -> str:
        """*source* copied into the ZIP under *name*, as a stream; its SHA-256, listed in the manifest."""
        digest = hashlib.sha256()
        with archive.open(name, "w", force_zip64=True) as out:
            for chunk in ([bytes(source)] if isinstance(source, (bytes, memoryview)) else iter(lambda: source.read(CHUNK), b"")):
                digest.update(chunk)
                out.write(chunk)
        self.manifest.write(f"{digest.hexdigest()}  {name}\n")
        return digest.hexdigest()

    def row(self, values: list) -> None:
        self.csv.writerow(values)
        self.sheet.append([value if isinstance(value, (int, Decimal)) else str(value) for value in values])

    def close_into(self, archive: zipfile.ZipFile) -> None:
        self.csv_file.close()
        with open(self.folder / "index.csv", "rb") as stream:
            self.entry(archive, "index.csv", stream)
        self.workbook.save(self.folder / "index.xlsx")
        self.saved = True
        with open(self.folder / "index.xlsx", "rb") as stream:
            self.entry(archive, "index.xlsx", stream)
        self.manifest.close()
        archive.write(self.folder / "manifest.sha256", "manifest.sha256")

    def __exit__(self, *exc) -> None:
        if not self.saved:  # a build that failed: the sheet's writer still closed, its file dropped below
            self.workbook.save(self.folder / "index.xlsx")
        for stream in (self.manifest, self.csv_file):
            stream.close()
        for leftover in self.folder.iterdir():
            leftover.unlink()
        self.folder.rmdir()


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Remove the ZIPs past their days (the documents inside stay archived); how many."""
    now = now or timezone.now()
    expired = 0
    for export in Export.objects.filter(state=Export.State.READY, expires_at__lt=now):
        handover_remove(export.file_key)
        expired += Export.objects.filter(id=export.id, state=Export.State.READY).update(state=Export.State.EXPIRED)
    return expired


def exports_stale(*, now: dt.datetime | None = None) -> list[int]:
    """The exports nobody builds: waiting longer than a minute, or building without progress (its worker died)."""
    now = now or timezone.now()
    return list(Export.objects.filter(
        Q(state=Export.State.QUEUED, created_at__lt=now - dt.timedelta(minutes=1))
        | Q(state=Export.State.BUILDING, started_at__lt=now - STALE_AFTER)).values_list("id", flat=True))
