"""A bulk upload, from the bytes a person sent to every invoice issued or refused.

``upload_create`` reads what was sent into one row per invoice (``UploadFile``), in the request's
transaction: XML files as they are; ZIPs as ``integrator.zips`` reads them (as if hostile: each entry
it refuses is a file refused with the reason); an Excel sheet (``uploads.sheets``) as one row per
invoice key. ``upload_run`` then takes the files in order, each in its own transaction: an XML file
is validated as it came (GİB's schema and rules and ours, so GİB's rule, XPath and line point into
the file the person has), then read as the API reads UBL-TR (``invoices.services.draft_from_xml``:
its ETTN kept, its number given here), refused as a duplicate when its ETTN was issued already,
validated again as it will be issued, and issued down the API's way (``pipeline.flow.draft_submit``).
A file is marked issued in the transaction that issues its invoice, so a worker that dies anywhere
leaves each file either issued or to be done again, never issued twice. One file's failure, whatever
it is, refuses that file alone.

A run is claimed with a conditional update and beats as it goes; an upload whose run stopped beating
for ``UPLOAD_STALE_SECONDS`` (its worker died) is claimed again by the sweeper's run, which goes on from the
first file not done. The bytes stay on the files until the upload is done.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid as uuidlib
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from integrator import zips
from integrator.errors import DomainError
from invoices.models import Invoice
from invoices.moving_in import ALREADY_HERE, REFUSED, invoice_move_in
from invoices.services import DuplicateEttn, PayloadInvalid, draft_from_payload, draft_from_xml, draft_preview
from pipeline.flow import draft_submit
from schematron.package import PackageNotInstalled
from schematron.validation import validate
from tenants.models import Tenant
from uploads import sheets
from uploads.models import Upload, UploadFile

logger = logging.getLogger(__name__)
MAX_FILES = 5_000  # invoices in one upload: a larger batch goes in several
MAX_BYTES = 100 * 1024 * 1024  # sent at once
MAX_ERRORS = 50  # reasons kept per file
BEAT_EVERY = 2.0  # seconds; far less than UPLOAD_STALE_SECONDS
BATCH = 200  # files written or read at once
BATCH_BYTES = 16 * 1024 * 1024
STATES = [UploadFile.State.WAITING, UploadFile.State.CHECKED, UploadFile.State.ISSUED, UploadFile.State.MOVED_IN, UploadFile.State.REFUSED]
DONE = [UploadFile.State.ISSUED, UploadFile.State.MOVED_IN, UploadFile.State.REFUSED]


class UploadTooLarge(DomainError):
    code = "upload_too_large"
    message = _("At most %(limit)s invoices can be uploaded at once; send the rest in another upload.")


class EttnInvalid(DomainError):
    code = "ettn_invalid"
    message = _("The ETTN %(value)s is not a UUID.")


class Refused(Exception):
    """A file refused, with its reasons (as ``ValidationIssue.as_dict`` keeps them, both languages)."""

    def __init__(self, errors: list[dict], *, duplicate: bool = False, uuid: str = ""):
        super().__init__(errors)
        self.errors, self.duplicate, self.uuid = errors[:MAX_ERRORS], duplicate, uuid


def reason(rule: str, text: Callable[[], object]) -> dict:
    """A reason that is not a validation issue, worded in Turkish and in English: *text* is called in each."""
    worded = {}
    for language in ("tr", "en"):
        with translation.override(language):
            worded[language] = str(text())
    return _worded(rule, worded["tr"], worded["en"])


def _worded(rule: str, turkish: str, english: str) -> dict:
    return {"layer": "upload", "rule": rule, "message_tr": turkish, "message_en": english, "xpath": None, "line": None}


def _text(exc: DomainError) -> str:
    if isinstance(exc, PayloadInvalid):
        return f"{exc} " + "; ".join(f"{field}: {_flat(message)}" for field, message in exc.errors.items())
    return str(exc)


def _step(make: Callable):
    """What *make* returns; a DomainError it raises refuses the file, worded in both languages by
    making it again in each (the checks word their reasons as they find them, in the language then active)."""
    try:
        return make()
    except DomainError as exc:
        worded = {}
        for language in ("tr", "en"):
            with translation.override(language):
                try:
                    make()
                except DomainError as again:
                    worded[language] = _text(again)
                else:  # the same check of the same bytes: not expected to pass the second time
                    worded[language] = _text(exc)
        raise Refused([_worded(exc.code, worded["tr"], worded["en"])]) from None


def _flat(message) -> str:
    if isinstance(message, dict):
        return "; ".join(f"{field}: {_flat(inner)}" for field, inner in message.items())
    if isinstance(message, (list, tuple)):
        return " ".join(_flat(inner) for inner in message)
    return str(message)


# --- reading what was sent -------------------------------------------------------------------


def upload_create(*, tenant: Tenant, user, sources: Iterable[tuple[str, bytes]], purpose: str = Upload.Purpose.ISSUE) -> Upload:
    """An upload of *sources* (name, bytes), each read into its files; run it with ``uploads.tasks.upload_start``."""
    sources = list(sources)
    with transaction.atomic():
        upload = Upload.objects.create(tenant=tenant, uploaded_by=user, names=[name for name, _data in sources], purpose=purpose)
        total, batch, held = 0, [], 0
        for name, kind, data, payload, refusal in _files(sources, sheets_too=purpose == Upload.Purpose.ISSUE):
            total += 1
            if total > MAX_FILES:
                raise UploadTooLarge(limit=MAX_FILES)
            refused = refusal is not None
            batch.append(UploadFile(upload=upload, position=total, name=name[:500], kind=kind, data=None if refused else data,
                                    payload=None if refused else payload, errors=[refusal] if refused else [],
                                    state=UploadFile.State.REFUSED if refused else UploadFile.State.WAITING))
            held += len(data or b"")
            if len(batch) == BATCH or held > BATCH_BYTES:  # memory stays bounded by the batch, not the upload
                UploadFile.objects.bulk_create(batch)
                batch, held = [], 0
        UploadFile.objects.bulk_create(batch)
        upload.total = total
        upload.save(update_fields=["total"])
    return upload


def _files(sources: list[tuple[str, bytes]], *, sheets_too: bool) -> Iterator[tuple[str, str, bytes | None, dict | None, dict | None]]:
    """(name, kind, bytes, sheet payload, refusal) of every invoice in *sources*."""
    for name, data in sources:
        if not data:
            yield name, UploadFile.Kind.XML, None, None, reason("empty", lambda: _("The file is empty."))
        elif name.lower().endswith((".xlsx", ".xlsm")) and not sheets_too:
            yield name, UploadFile.Kind.SHEET, None, None, reason("not_signed", lambda: _(
                "A sheet cannot be moved in: only signed invoices can, as XML files or ZIPs of them."))
        elif name.lower().endswith((".xlsx", ".xlsm")):
            yield from _sheet(name, data)
        elif data.startswith(b"PK"):
            yield from _zip(name, data)
        else:
            yield name, UploadFile.Kind.XML, data, None, None


def _zip(name: str, data: bytes) -> Iterator[tuple]:
    worded: dict[str, dict[str, str]] | None = None
    try:
        for entry in zips.entries(data, max_entries=MAX_FILES):
            inside = f"{name}/{entry.name}"
            if entry.data is None:
                worded = _refusals(data) if worded is None else worded
                texts = worded.get(entry.name, {})
                yield inside, UploadFile.Kind.XML, None, None, _worded("zip_entry_refused", texts.get("tr", entry.refused),
                                                                       texts.get("en", entry.refused))
            elif not entry.data:
                yield inside, UploadFile.Kind.XML, None, None, reason("empty", lambda: _("The file is empty."))
            else:
                yield inside, UploadFile.Kind.XML, entry.data, None, None
    except zips.ZipRefused:
        yield name, UploadFile.Kind.XML, None, None, reason(zips.ZipRefused.code, lambda: _zip_refusal(data))


def _refusals(data: bytes) -> dict[str, dict[str, str]]:
    """The entries the ZIP refuses, with their reasons in Turkish and English (the ZIP read again in
    each language: only when an entry is refused, and bounded as the first read)."""
    worded: dict[str, dict[str, str]] = {}
    for language in ("tr", "en"):
        with translation.override(language):
            for entry in zips.entries(data, max_entries=MAX_FILES):
                if entry.data is None:
                    worded.setdefault(entry.name, {})[language] = entry.refused
    return worded


def _zip_refusal(data: bytes) -> str:
    try:
        next(iter(zips.entries(data, max_entries=MAX_FILES)), None)
    except zips.ZipRefused as exc:
        return str(exc)
    return ""


def _sheet(name: str, data: bytes) -> Iterator[tuple]:
    try:  # an .xlsx is a ZIP: read as hostile first, as any other
        unsafe = next((entry for entry in zips.entries(data) if entry.data is None), None)
    except zips.ZipRefused:
        yield name, UploadFile.Kind.SHEET, None, None, reason(zips.ZipRefused.code, lambda: _zip_refusal(data))
        return
    if unsafe is not None:
        yield name, UploadFile.Kind.SHEET, None, None, reason("zip_entry_refused", lambda: _("The sheet is refused: %(entry)s: %(reason)s")
                                                             % {"entry": unsafe.name, "reason": _refusal_of(data, unsafe.name)})
        return
    try:
        found = sheets.invoices(data)
    except sheets.SheetInvalid as exc:
        yield name, UploadFile.Kind.SHEET, None, None, reason(exc.code, lambda exc=exc: exc)
        return
    for key, row, payload, problem in found:
        label = f"{name} · {sheets.KEY} {key} (#{row})"
        yield label, UploadFile.Kind.SHEET, None, payload, None if problem is None else reason(problem.code, lambda problem=problem: problem)


def _refusal_of(data: bytes, entry_name: str) -> str:
    """Why the ZIP refuses its entry *entry_name*, in the active language."""
    return next((entry.refused for entry in zips.entries(data) if entry.name == entry_name), "")


# --- running it --------------------------------------------------------------------------------


def upload_run(*, upload_id: int, now: dt.datetime | None = None) -> Upload | None:
    """Issue or refuse every file of the upload not done yet; None when another run has it, or it is done."""
    upload = _claim(upload_id, now or timezone.now())
    if upload is None:
        return None
    beat = time.monotonic()
    while True:
        pending = list(UploadFile.objects.filter(upload=upload, state__in=[UploadFile.State.WAITING, UploadFile.State.CHECKED])
                       .order_by("position").values_list("id", flat=True)[:BATCH])
        if not pending:
            break
        for file_id in pending:  # each read with its bytes alone: memory stays bounded by the largest file
            try:
                file_process(upload=upload, file=UploadFile.objects.get(id=file_id))
            except PackageNotInstalled:  # the operator's to fix, not the files' fault: they wait, and the sweeper tries again
                logger.error("upload %s stopped: no GİB package is installed to validate with", upload.id)
                return Upload.objects.get(id=upload.id)
            beat = _beat(upload, beat)
    with transaction.atomic():
        Upload.objects.filter(id=upload.id).update(state=Upload.State.DONE, finished_at=timezone.now())
        UploadFile.objects.filter(upload=upload).exclude(data=None, payload=None).update(data=None, payload=None)
    return Upload.objects.get(id=upload.id)


def _beat(upload: Upload, last: float) -> float:
    """The run's sign of life, written at most every ``BEAT_EVERY`` seconds (far less than ``UPLOAD_STALE_SECONDS``)."""
    if time.monotonic() - last < BEAT_EVERY:
        return last
    Upload.objects.filter(id=upload.id).update(beat_at=timezone.now())
    return time.monotonic()


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.UPLOAD_STALE_SECONDS)


def _claim(upload_id: int, now: dt.datetime) -> Upload | None:
    waiting = Q(state=Upload.State.WAITING) | Q(state=Upload.State.RUNNING, beat_at__lt=now - stale_after())
    upload = Upload.objects.filter(waiting, id=upload_id).select_related("tenant").first()
    if upload is None:
        return None
    claimed = Upload.objects.filter(waiting, id=upload_id, beat_at=upload.beat_at).update(
        state=Upload.State.RUNNING, started_at=upload.started_at or now, beat_at=now)
    return upload if claimed == 1 else None


def uploads_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Uploads whose run never started or stopped beating: the sweeper runs them again."""
    before = (now or timezone.now()) - stale_after()
    return list(Upload.objects.filter(Q(state=Upload.State.WAITING, created_at__lt=before)
                                      | Q(state=Upload.State.RUNNING, beat_at__lt=before)).values_list("id", flat=True))


def file_process(*, upload: Upload, file: UploadFile) -> None:
    """Check and issue (or move in) one file, or refuse it; whatever goes wrong refuses this file alone."""
    try:
        if upload.purpose == Upload.Purpose.MOVE_IN:
            return _move_in(upload, file)
        draft = _checked(upload.tenant, file)
        UploadFile.objects.filter(id=file.id).update(state=UploadFile.State.CHECKED, uuid=draft.document.uuid)
        with transaction.atomic():
            invoice = draft_submit(tenant=upload.tenant, draft=draft)
            UploadFile.objects.filter(id=file.id).update(state=UploadFile.State.ISSUED, invoice=invoice, number=invoice.number,
                                                         uuid=str(invoice.uuid).upper(), errors=[])
    except DuplicateEttn as exc:
        _refuse(file, Refused([reason("duplicate", lambda exc=exc: exc)], duplicate=True, uuid=exc.params["uuid"]))
    except Refused as refused:
        _refuse(file, refused)
    except PackageNotInstalled:
        raise
    except Exception as exc:  # a file that breaks something below refuses itself, not the upload
        logger.exception("upload %s: file %s (%s) failed", upload.id, file.id, file.name)
        kind = type(exc).__name__
        _refuse(file, Refused([reason("error", lambda: _("It could not be processed (%(kind)s); nothing was issued from it.") % {"kind": kind})]))


def _move_in(upload: Upload, file: UploadFile) -> None:
    """Move one signed invoice in. A refusal writes nothing, so the file is read again to word it in English too."""
    with translation.override("tr"):
        outcome = invoice_move_in(tenant=upload.tenant, name=file.name, xml=bytes(file.data))
    found = {"number": outcome.number[:16], "uuid": outcome.uuid.upper()[:36]}
    if outcome.result == REFUSED:
        with translation.override("en"):
            english = invoice_move_in(tenant=upload.tenant, name=file.name, xml=bytes(file.data)).reason
        UploadFile.objects.filter(id=file.id).update(state=UploadFile.State.REFUSED, errors=[_worded("move_in", outcome.reason, english)],
                                                     **found)
        return
    invoice = Invoice.objects.filter(tenant=upload.tenant, direction=outcome.direction, uuid=outcome.uuid).first()
    if outcome.result == ALREADY_HERE:
        UploadFile.objects.filter(id=file.id).update(
            state=UploadFile.State.REFUSED, duplicate=True, invoice=invoice, **found,
            errors=[reason("duplicate", lambda: _("The invoice %(number)s is here already; it is left as it is.") % {"number": outcome.number})])
        return
    UploadFile.objects.filter(id=file.id).update(state=UploadFile.State.MOVED_IN, invoice=invoice, errors=[], **found)


def _refuse(file: UploadFile, refused: Refused) -> None:
    UploadFile.objects.filter(id=file.id).update(state=UploadFile.State.REFUSED, errors=refused.errors, duplicate=refused.duplicate,
                                                 **({"uuid": refused.uuid} if refused.uuid else {}))


def _checked(tenant: Tenant, file: UploadFile):
    """The draft of a file that passes every check, ready to issue; Refused otherwise."""
    if file.kind == UploadFile.Kind.SHEET:
        data = {**file.payload}
        ettn = data.pop(sheets.ETTN, "")
        draft = _step(lambda: draft_from_payload(tenant=tenant, data=data))
        if ettn:
            draft.document.uuid = _step(lambda: ettn_of(ettn))
    else:
        xml = bytes(file.data)
        report = validate(xml)  # as it came: the rule, XPath and line point into the person's file
        if not report.valid:
            raise Refused([issue.as_dict() for issue in report.errors])
        draft = _step(lambda: draft_from_xml(tenant=tenant, xml=xml))
    ettn = draft.document.uuid  # a sheet's invoice without one gets its own when it is issued
    if ettn and Invoice.objects.filter(tenant=tenant, direction=Invoice.Direction.OUTGOING, uuid=ettn).exists():
        raise DuplicateEttn(uuid=draft.document.uuid)
    preview = draft_preview(draft=draft)  # as it will be issued: numbered here, perhaps routed to e-Arşiv
    if not preview.valid:
        raise Refused([issue.as_dict() for issue in preview.errors])
    return draft


def ettn_of(value: str) -> str:
    """A sheet's ETTN, as the documents write it."""
    try:
        return str(uuidlib.UUID(value)).upper()
    except ValueError:
        raise EttnInvalid(value=value) from None


# --- reading it --------------------------------------------------------------------------------


def upload_get(*, tenant: Tenant, upload_id: int) -> Upload | None:
    return Upload.objects.filter(tenant=tenant, id=upload_id).first()


def uploads_of(*, tenant: Tenant, purpose: str = Upload.Purpose.ISSUE):
    return Upload.objects.filter(tenant=tenant, purpose=purpose)


def upload_counts(upload: Upload) -> dict[str, int]:
    counted = dict(UploadFile.objects.filter(upload=upload).order_by().values("state").annotate(n=Count("id")).values_list("state", "n"))
    return {state: counted.get(state, 0) for state in STATES} | {
        "duplicates": UploadFile.objects.filter(upload=upload, duplicate=True).count()}
