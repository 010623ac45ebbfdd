"""Reading a ZIP someone uploaded, as if it were hostile: bounded in entries, in size and in
compression ratio (a zip bomb stops at the limit, its entries unread), no entry named outside the
archive (``../``, an absolute path, a drive letter), no archive inside the archive, and entry names
read in the encoding they were written in (UTF-8 when the ZIP says so, else Turkish DOS, cp857, as
Windows' own ZIP folders write them), so a refusal names the file readably."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from integrator.errors import DomainError

MAX_ENTRIES = 10_000
MAX_ENTRY_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed: XML compresses 10 to 20 times, a bomb thousands
NESTED = (".zip", ".rar", ".7z", ".gz", ".tgz", ".tar", ".bz2", ".xz")
_DRIVE = re.compile(r"^[A-Za-z]:")


class ZipRefused(DomainError):
    code = "zip_refused"
    message = _("The ZIP file is refused: %(reason)s")


@dataclass(frozen=True)
class Entry:
    name: str
    data: bytes | None  # None when refused
    refused: str = ""


def _name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:  # the ZIP says UTF-8; zipfile decoded it so
        return info.filename
    raw = info.filename.encode("cp437")  # what zipfile decoded the bytes as
    for encoding in ("utf-8", "cp857"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _refusal(info: zipfile.ZipInfo, name: str) -> str:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts:
        return str(_("its name leads outside the ZIP"))
    if name.lower().endswith(NESTED):
        return str(_("an archive inside the ZIP is not opened"))
    if info.file_size > MAX_ENTRY_BYTES:
        return str(_("it is %(size)s bytes; a file may have at most %(limit)s") % {"size": info.file_size, "limit": MAX_ENTRY_BYTES})
    if info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return str(_("it is compressed more than %(ratio)s times, as zip bombs are") % {"ratio": MAX_RATIO})
    return ""


def entries(data: bytes, *, max_entries: int = MAX_ENTRIES) -> Iterator[Entry]:
    """The files of the ZIP *data*, each read or refused with its reason; raises ZipRefused when the
    ZIP as a whole cannot be read or exceeds its limits (*max_entries* files; nothing of it is read then)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ZipRefused(reason=_("it is not a ZIP file")) from None
    files = [info for info in archive.infolist() if not info.is_dir()]
    if len(files) > max_entries:
        raise ZipRefused(reason=_("it holds %(count)s files; at most %(limit)s are read") % {"count": len(files), "limit": max_entries})
    total = sum(info.file_size for info in files)
    if total > MAX_TOTAL_BYTES:
        raise ZipRefused(reason=_("its files come to %(size)s bytes; at most %(limit)s are read") % {"size": total, "limit": MAX_TOTAL_BYTES})
    for info in files:
        name = _name(info)
        refused = _refusal(info, name)
        if refused:
            yield Entry(name, None, refused)
            continue
        try:
            with archive.open(info) as stream:
                content = stream.read(MAX_ENTRY_BYTES + 1)  # a header that lies about the size stops here
        except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
            yield Entry(name, None, str(_("it cannot be read (%(reason)s)") % {"reason": type(exc).__name__}))
            continue
        if len(content) > MAX_ENTRY_BYTES:
            yield Entry(name, None, str(_("it is larger than it says; a file may have at most %(limit)s bytes") % {"limit": MAX_ENTRY_BYTES}))
            continue
        yield Entry(name, content)
