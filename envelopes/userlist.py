"""GİB's registered-user list fetched from GİB (``envelopes.gib.userlist``) and imported
(``directory.importing``): what the beat task and the ``userlist_import`` command call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import BinaryIO

from directory.importing import ImportResult, UserListError, UserListUnavailable, kind_from_name
from directory.importing import userlist_import as import_from
from envelopes.gib.userlist import DownloadFailed, DownloadTooLarge, downloaded

__all__ = ["ImportResult", "UserListError", "UserListUnavailable", "kind_from_name", "userlist_import"]


@contextmanager
def _download(url: str, limit: int) -> Iterator[BinaryIO]:
    """The body, fetched from GİB into a temporary file; the download's failures as the import's."""
    with ExitStack() as stack:
        try:
            file = stack.enter_context(downloaded(url, limit=limit))
        except DownloadFailed as exc:
            raise UserListUnavailable(str(exc)) from None
        except DownloadTooLarge as exc:
            raise UserListError(str(exc)) from None
        yield file


def userlist_import(*, source: str, kind: str | None = None) -> ImportResult:
    """``directory.importing.userlist_import`` with an http(s) source fetched from GİB."""
    return import_from(source=source, kind=kind, download=_download)
