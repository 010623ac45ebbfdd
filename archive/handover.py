"""Files the platform hands over (a period's export, as a ZIP): written by the archive beside its
documents but not among them: no hash chain, no lock, removed after ``EXPORT_KEEP_DAYS`` (the
documents inside stay archived). On the file store they live under ``EXPORT_DIR``; in a bucket under
``handover/``. Reads stream."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from archive.storage import HANDOVER_PREFIX, _store, store


def _where():
    if settings.ARCHIVE_STORE == "s3":
        return store(), HANDOVER_PREFIX
    return _store("file", str(settings.EXPORT_DIR)), ""


def handover_put(*, key: str, path: Path, media_type: str = "application/zip") -> None:
    where, prefix = _where()
    where.put_file(prefix + key, path, media_type=media_type)


def handover_open(key: str) -> BinaryIO:
    where, prefix = _where()
    return where.open(prefix + key)


def handover_remove(key: str) -> None:
    where, prefix = _where()
    where.remove(prefix + key)


def scratch_dir() -> Path:
    """Where a file is made before it is handed over: beside the file store's handed-over files, so
    that handing it over is a link, not a copy."""
    folder = Path(settings.EXPORT_DIR) / ".building"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
