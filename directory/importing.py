"""Importing GİB's registered-user list (kayıtlı kullanıcı listesi) from a file or from GİB.

GİB publishes two lists in the shape of ``NewUserList.xsd``, each as a zip holding one XML file:
the sender units (GB, ``newUserGbListxml.zip``) and the postboxes (PK, ``newUserPkListxml.zip``).
The XML does not say which of the two it is, so the kind comes from the source's name or is given.
A URL is fetched by the download the caller gives: ``envelopes.userlist`` gives GİB's (only
``envelopes.gib`` talks to GİB).

An import reads the XML as a stream (lxml ``iterparse``; each ``<User>`` is cleared and dropped as
soon as it is read), so memory does not grow with the list. It stages the users and aliases in two
temporary tables (PostgreSQL: ``COPY``; SQLite: ``executemany``), and only then, in one transaction,
makes the live tables equal to the staged list, writing only the differences. Readers see the old
list or the new one, never a mix; a list that cannot be read leaves the old one as it was, and every
run, failed or not, is recorded as a ``UserListImport``.
"""

from __future__ import annotations

import gzip
import logging
import os
import time
import urllib.parse
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from directory.models import RegisteredAlias, RegisteredUser, UserListImport
from schematron.parsing import syntax_error

logger = logging.getLogger(__name__)

GIB_TIME_ZONE = ZoneInfo("Europe/Istanbul")  # GİB writes the list's times without an offset
MAX_BYTES = 8 * 1024**3  # refused beyond this, downloaded or decompressed: a zip bomb is not a list
# Fetches an http(s) list: (url, at most this many bytes) → the body, a binary file open at its start.
Download = Callable[[str, int], AbstractContextManager[BinaryIO]]
BATCH = 5_000  # users parsed, then staged, at a time: what the import holds in memory
_SAFE_PARSING = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
_STAGE_USERS, _STAGE_ALIASES = "userlist_stage_user", "userlist_stage_alias"
_USER_COLUMNS = ("seq", "identifier", "title", "type", "account_type", "first_created_at")
_ALIAS_COLUMNS = ("identifier", "document_type", "name", "created_at", "deleted_at")


class UserListError(Exception):
    """The list could not be imported; the previous list is still in place."""


class UserListUnavailable(UserListError):
    """The source could not be fetched or opened: worth trying again later."""


@dataclass(frozen=True)
class ImportResult:
    import_id: int
    kind: str
    users: int
    aliases: int
    skipped: int  # users without an identifier
    users_removed: int
    seconds: float


# --- Import ------------------------------------------------------------------------------------


def userlist_import(*, source: str, kind: str | None = None, download: Download | None = None) -> ImportResult:
    """Replace GİB's GB or PK list (``kind``; by default read from the source's name) with the one at
    ``source``: a file path, or an http(s) URL that *download* fetches (``envelopes.userlist`` gives
    GİB's), the XML plain, zipped or gzipped.

    Users that neither list names any more go with their aliases. On any failure the previous list
    stays as it was, the run is recorded as failed with its error, and the error is raised
    (``UserListUnavailable`` when the source could not be fetched or opened).
    """
    kind = _checked_kind(kind) if kind else kind_from_name(source)
    record = UserListImport.objects.create(kind=kind, source=_redacted(source)[:500])
    started = time.monotonic()
    try:
        users, aliases, skipped, removed = _import(source, kind, download)
    except Exception as exc:
        _finish(record, UserListImport.Status.FAILED, error=str(exc) or type(exc).__name__)
        logger.error("user list: %s list from %s failed: %s", kind, record.source, exc)
        raise
    _finish(record, UserListImport.Status.SUCCEEDED, users=users, aliases=aliases, skipped=skipped)
    seconds = time.monotonic() - started
    logger.info("user list: %s list from %s: %d users, %d aliases in %.1f s", kind, record.source, users, aliases, seconds)
    return ImportResult(record.pk, kind, users, aliases, skipped, removed, seconds)


def kind_from_name(source: str) -> str:
    """GB or PK, from GİB's file names: ``newUserGbList…`` is the GB list, ``newUserPkList…`` the PK list."""
    path = urllib.parse.urlsplit(source).path if _is_url(source) else source
    name = os.path.basename(path).lower()
    kinds = [kind for kind in RegisteredAlias.Kind.values if f"{kind.lower()}list" in name]
    if len(kinds) != 1:
        raise UserListError(_("%(name)r does not say whether it is the GB or the PK list: name the kind.") % {"name": name})
    return kinds[0]


def _checked_kind(kind: str) -> str:
    if kind.upper() not in RegisteredAlias.Kind.values:
        raise UserListError(_("%(kind)r is not a list kind; GİB publishes GB and PK lists.") % {"kind": kind})
    return kind.upper()


def _finish(record: UserListImport, status: str, **counts) -> None:
    UserListImport.objects.filter(pk=record.pk).update(status=status, finished_at=timezone.now(), **counts)


def _import(source: str, kind: str, download: Download | None) -> tuple[int, int, int, int]:
    with _staging():
        with _opened(source, download) as stream:
            users, aliases, skipped = _stage(stream)
        if not users:
            # GİB never publishes an empty list; an empty file is a fault, not a reason to forget everyone.
            raise UserListError(_("the list names no users; the previous list is kept."))
        return users, aliases, skipped, _apply(kind)


# --- Sources: a URL or a path; zip, gzip or plain XML ------------------------------------------


def _is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme in ("http", "https")


def redacted(url: str) -> str:
    """The URL as recorded and logged: without credentials or query (a token GİB or a mirror may carry there)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _redacted(source: str) -> str:
    return redacted(source) if _is_url(source) else source


@contextmanager
def _opened(source: str, download: Download | None) -> Iterator[BinaryIO]:
    """The list's XML as a stream of bytes, whatever it came wrapped in."""
    with ExitStack() as stack:
        if not _is_url(source):
            raw = stack.enter_context(_local(source))
        elif download is None:
            raise UserListUnavailable(_("%(source)s is an address, and no download was given to fetch it") % {"source": _redacted(source)})
        else:
            raw = stack.enter_context(download(source, MAX_BYTES))
        yield _Limited(_unwrapped(raw, stack))


@contextmanager
def _local(path: str) -> Iterator[BinaryIO]:
    try:
        file = open(path, "rb")  # noqa: SIM115 (closed by the context manager)
    except OSError as exc:
        reason = _("no such file") if isinstance(exc, FileNotFoundError) else _("permission denied") if isinstance(exc, PermissionError) \
            else type(exc).__name__
        raise UserListUnavailable(_("cannot open %(path)s: %(reason)s") % {"path": path, "reason": reason}) from None
    with file:
        yield file


def _unwrapped(raw, stack: ExitStack) -> BinaryIO:
    """Zip and gzip are recognised by their first bytes, not by the name."""
    magic = raw.peek(4)[:4]
    if magic.startswith(b"PK\x03\x04"):
        return _zip_member(raw, stack)
    if magic.startswith(b"\x1f\x8b"):
        return stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
    return raw


def _zip_member(raw, stack: ExitStack) -> BinaryIO:
    try:
        archive = stack.enter_context(zipfile.ZipFile(raw))
    except (zipfile.BadZipFile, OSError) as exc:  # OSError: not seekable (a pipe)
        raise UserListError(_("not a readable zip file: %(reason)s") % {"reason": type(exc).__name__}) from None
    members = [member for member in archive.infolist() if not member.is_dir()]
    if len(members) != 1:
        raise UserListError(_("the zip holds %(count)s files; GİB's holds one, the list.") % {"count": len(members)})
    return stack.enter_context(archive.open(members[0]))


class _Limited:
    """What lxml reads the list through: refuses to go past MAX_BYTES of XML."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream, self._left = stream, MAX_BYTES

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self._left -= len(data)
        if self._left < 0:
            raise UserListError(_("the list is larger than %(limit)s bytes of XML.") % {"limit": MAX_BYTES})
        return data


# --- Parsing: one <User> at a time -------------------------------------------------------------


def _records(stream: BinaryIO) -> Iterator[tuple[tuple | None, list[tuple]]]:
    """(user row, its alias rows) for each <User>; (None, []) for a user without an identifier.

    Memory stays flat however long the list: each <User> is cleared once read and removed from the
    root together with any siblings before it. Nothing is resolved or fetched, and a DOCTYPE is refused.
    """
    context = etree.iterparse(stream, events=("end",), tag="User", **_SAFE_PARSING)
    try:
        for number, (_event, element) in enumerate(context):
            if number == 0:
                _check_document(element.getroottree())
            yield _user_rows(element)
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
        _check_document(context.root.getroottree())
    except etree.XMLSyntaxError as exc:
        raise UserListError(_("not well-formed XML: %(error)s") % {"error": syntax_error(exc)}) from None
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:  # gzip.BadGzipFile is an OSError
        raise UserListError(_("cannot decompress the list (%(kind)s)") % {"kind": type(exc).__name__}) from None


def _check_document(tree: etree._ElementTree) -> None:
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UserListError(_("the list carries a DOCTYPE; GİB's never does, and entities are not expanded here."))
    if tree.getroot().tag != "UserList":
        raise UserListError(_("the document is a <%(tag)s>, not a <UserList>.") % {"tag": tree.getroot().tag})


def _user_rows(user: etree._Element) -> tuple[tuple | None, list[tuple]]:
    # One pass over the children: five findtext() calls would cost four times the whole parse.
    fields = {child.tag: child for child in user}
    identifier = _text(fields.get("Identifier"))
    if not identifier:
        return None, []
    line = user.sourceline
    if not (identifier.isascii() and identifier.isdigit() and len(identifier) in (10, 11)):
        raise UserListError(_("line %(line)s: the identifier %(identifier)r is neither a VKN nor a TCKN.") % {"line": line, "identifier": identifier})
    first_created = _time(_text(fields.get("FirstCreationTime")), line, "FirstCreationTime")
    title, type_, account_type = (_text(fields.get(tag)) for tag in ("Title", "Type", "AccountType"))
    aliases = list(_alias_rows(fields.get("Documents"), identifier, line)) if "Documents" in fields else []
    return (identifier, title, type_, account_type, first_created), aliases


def _alias_rows(documents: etree._Element, identifier: str, line: int) -> Iterator[tuple]:
    """One row per <Name>: an <Alias> may carry several names sharing its times."""
    for document in documents.iterchildren("Document"):
        document_type = document.get("type", "")
        for alias in document.iterchildren("Alias"):
            names, times = [], {}
            for part in alias:
                if part.tag == "Name":
                    names.append(_text(part))
                else:
                    times[part.tag] = _text(part)
            created = _time(times.get("CreationTime"), line, "CreationTime")
            deleted = _time(times["DeletionTime"], line, "DeletionTime") if times.get("DeletionTime") else None
            yield from ((identifier, document_type, name, created, deleted) for name in names if name)


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _time(text: str | None, line: int, tag: str) -> datetime:
    """GİB's times: ISO 8601, in Turkish time unless they carry an offset."""
    try:
        moment = datetime.fromisoformat(text or "")
    except ValueError:
        raise UserListError(_("line %(line)s: %(tag)s %(text)r is not a date and time.") % {"line": line, "tag": tag, "text": text}) from None
    return moment.replace(tzinfo=GIB_TIME_ZONE) if moment.tzinfo is None else moment


def _batches(records: Iterable[tuple[tuple | None, list[tuple]]]) -> Iterator[tuple[list, list, int]]:
    """(user rows, alias rows, users skipped), BATCH users at a time."""
    users: list[tuple] = []
    aliases: list[tuple] = []
    skipped = 0
    for user, user_aliases in records:
        if user is None:
            skipped += 1
            continue
        users.append(user)
        aliases.extend(user_aliases)
        if len(users) >= BATCH:
            yield users, aliases, skipped
            users, aliases, skipped = [], [], 0
    if users or skipped:
        yield users, aliases, skipped


# --- Staging: two temporary tables of this connection ------------------------------------------


def _postgres() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def _staging() -> Iterator[None]:
    """The staging tables, created empty and dropped afterwards. Writing them takes no lock on the
    live tables (on SQLite, temporary tables live in a database of their own)."""
    time_type = "timestamptz" if _postgres() else "datetime"
    with connection.cursor() as cursor:
        _drop_staging(cursor)  # left by a run that died on this connection
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_STAGE_USERS} (seq bigint, identifier varchar(11), title text, "
            f"type text, account_type text, first_created_at {time_type})"
        )
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_STAGE_ALIASES} (identifier varchar(11), document_type text, "
            f"name text, created_at {time_type}, deleted_at {time_type})"
        )
    try:
        yield
    finally:
        with suppress(DatabaseError), connection.cursor() as cursor:
            _drop_staging(cursor)


def _drop_staging(cursor) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {_STAGE_USERS}")
    cursor.execute(f"DROP TABLE IF EXISTS {_STAGE_ALIASES}")


def _stage(stream: BinaryIO) -> tuple[int, int, int]:
    """Parse the list into the staging tables; (users, aliases, users skipped)."""
    write = _copy if _postgres() else _insert
    users = aliases = skipped = 0
    with connection.cursor() as cursor:
        for user_rows, alias_rows, batch_skipped in _batches(_records(stream)):
            numbered = [(users + n, *row) for n, row in enumerate(user_rows)]  # seq: the order in the list
            with transaction.atomic():  # one commit per batch: SQLite in autocommit commits every row
                write(cursor, _STAGE_USERS, _USER_COLUMNS, numbered)
                write(cursor, _STAGE_ALIASES, _ALIAS_COLUMNS, alias_rows)
            users, aliases, skipped = users + len(user_rows), aliases + len(alias_rows), skipped + batch_skipped
        return _prepare_staging(cursor), aliases, skipped


def _copy(cursor, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert(cursor, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    times, zone = [n for n, column in enumerate(columns) if column.endswith("_at")], connection.timezone
    rows = [_times_as_text(row, times, zone) for row in rows]
    placeholders = ", ".join(["%s"] * len(columns))
    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)


def _times_as_text(row: tuple, positions: list[int], zone) -> list:
    """SQLite keeps times as naive text in the connection's zone (UTC), written as Django writes them
    (``adapt_datetimefield_value``, too slow to call a million times), so that they compare equal."""
    row = list(row)
    for n in positions:
        if row[n] is not None:
            row[n] = str(row[n].astimezone(zone).replace(tzinfo=None))
    return row


def _prepare_staging(cursor) -> int:
    """Index (SQLite) or analyse (PostgreSQL) the staged list, one row per user; returns its users."""
    if not _postgres():
        cursor.execute(f"CREATE INDEX {_STAGE_USERS}_identifier ON {_STAGE_USERS} (identifier, seq)")
        cursor.execute(f"CREATE INDEX {_STAGE_ALIASES}_identifier ON {_STAGE_ALIASES} (identifier)")
    # Should GİB list a user twice, its last entry stands (its aliases are all kept).
    cursor.execute(
        f"DELETE FROM {_STAGE_USERS} WHERE EXISTS (SELECT 1 FROM {_STAGE_USERS} t "
        f"WHERE t.identifier = {_STAGE_USERS}.identifier AND t.seq > {_STAGE_USERS}.seq)"
    )
    if _postgres():
        # Nothing analyses temporary tables on its own; without statistics the planner would take
        # a million staged rows for a handful and join them row by row.
        cursor.execute(f"ANALYZE {_STAGE_USERS}")
        cursor.execute(f"ANALYZE {_STAGE_ALIASES}")
    cursor.execute(f"SELECT count(*) FROM {_STAGE_USERS}")
    return cursor.fetchone()[0]


# --- Applying the staged list to the live tables -----------------------------------------------

# Users: the changed updated, the new inserted (each a join: no row is touched that stays the same).
_UPDATE_USERS = """
UPDATE {users} SET title = s.title, type = s.type, account_type = s.account_type, first_created_at = s.first_created_at
FROM {stage_users} s
WHERE s.identifier = {users}.identifier AND ({users}.title <> s.title OR {users}.type <> s.type
    OR {users}.account_type <> s.account_type OR {users}.first_created_at <> s.first_created_at)
"""
_INSERT_USERS = """
INSERT INTO {users} (identifier, title, type, account_type, first_created_at)
SELECT s.identifier, s.title, s.type, s.account_type, s.first_created_at FROM {stage_users} s
WHERE NOT EXISTS (SELECT 1 FROM {users} u WHERE u.identifier = s.identifier)
"""
# Aliases of this kind that the list no longer has, exactly as they are.
_DELETE_ALIASES = """
DELETE FROM {aliases} WHERE kind = %s AND NOT EXISTS (
    SELECT 1 FROM {stage_aliases} s JOIN {users} u ON u.identifier = s.identifier
    WHERE u.id = {aliases}.user_id AND s.document_type = {aliases}.document_type AND s.name = {aliases}.name
        AND s.created_at = {aliases}.created_at AND s.deleted_at {same} {aliases}.deleted_at)
"""
# Aliases the list has and the live table does not.
_INSERT_ALIASES = """
INSERT INTO {aliases} (user_id, kind, document_type, name, created_at, deleted_at)
SELECT DISTINCT u.id, %s, s.document_type, s.name, s.created_at, s.deleted_at
FROM {stage_aliases} s JOIN {users} u ON u.identifier = s.identifier
WHERE NOT EXISTS (
    SELECT 1 FROM {aliases} a WHERE a.user_id = u.id AND a.kind = %s AND a.document_type = s.document_type
        AND a.name = s.name AND a.created_at = s.created_at AND a.deleted_at {same} s.deleted_at)
"""
# Users this list does not name and that have no alias left in the other list.
_DELETE_USERS = """
DELETE FROM {users} WHERE NOT EXISTS (SELECT 1 FROM {stage_users} s WHERE s.identifier = {users}.identifier)
    AND NOT EXISTS (SELECT 1 FROM {aliases} a WHERE a.user_id = {users}.id)
"""


def _apply(kind: str) -> int:
    """Make the live tables hold the staged list, in one transaction; returns the users removed.

    Only differences are written, so re-importing an unchanged list writes nothing. On PostgreSQL
    the live tables are locked against other writers (a second import waits) but not against readers.
    """
    names = {
        "users": RegisteredUser._meta.db_table,
        "aliases": RegisteredAlias._meta.db_table,
        "stage_users": _STAGE_USERS,
        "stage_aliases": _STAGE_ALIASES,
        "same": "IS NOT DISTINCT FROM" if _postgres() else "IS",  # equal, NULLs included
    }
    with transaction.atomic(), connection.cursor() as cursor:
        if _postgres():
            cursor.execute("LOCK TABLE {users}, {aliases} IN SHARE ROW EXCLUSIVE MODE".format(**names))
            cursor.execute("SET LOCAL work_mem = '64MB'")  # the joins' hash tables in memory, not in batches on disk
        cursor.execute(_UPDATE_USERS.format(**names))
        cursor.execute(_INSERT_USERS.format(**names))
        cursor.execute(_DELETE_ALIASES.format(**names), [kind])
        cursor.execute(_INSERT_ALIASES.format(**names), [kind, kind])
        cursor.execute(_DELETE_USERS.format(**names))
        return cursor.rowcount
