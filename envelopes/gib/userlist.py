"""Downloading GİB's registered-user list (``newUserGbListxml.zip``, ``newUserPkListxml.zip``) from GİB.

Only the HTTP part lives here, with the rest of what talks to GİB; reading and importing the list is
``directory.importing``'s (``envelopes.userlist`` joins the two). The body goes to a temporary file (a zip can only be read from a file it can
seek in), bounded in size; every download is logged with its size and duration, and a URL is never
shown with its credentials or query (a token GİB or a mirror may carry there).
"""

from __future__ import annotations

import http.client
import logging
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _

from directory.importing import redacted
from integrator.errors import network_reason

logger = logging.getLogger(__name__)
CHUNK = 1 << 20


class DownloadFailed(Exception):
    """No list came: the address did not answer, or answered with an error. Worth trying again later."""


class DownloadTooLarge(Exception):
    """The body went past the limit: a list that large is not GİB's."""


@contextmanager
def downloaded(url: str, *, limit: int) -> Iterator[BinaryIO]:
    """The body of *url* (at most *limit* bytes), in a temporary file open at its start."""
    with tempfile.TemporaryFile(prefix="userlist-") as file:
        _download(url, file, limit=limit)
        file.seek(0)
        yield file


def _download(url: str, file: BinaryIO, *, limit: int) -> None:
    started, shown = time.monotonic(), redacted(url)
    request = urllib.request.Request(url, headers={"User-Agent": "integrator-userlist/1"})
    try:
        with urllib.request.urlopen(request, timeout=settings.GIB_USERLIST_TIMEOUT) as response:
            size = _copy_limited(response, file, limit=limit)
    except (OSError, http.client.HTTPException) as exc:  # URLError, HTTPError and timeouts are OSErrors
        logger.warning("user list: GET %s failed after %.1f s: %s", shown, time.monotonic() - started, exc)
        reason = _("HTTP %(status)s") % {"status": exc.code} if isinstance(exc, urllib.error.HTTPError) else network_reason(exc)
        raise DownloadFailed(_("cannot download %(url)s: %(reason)s") % {"url": shown, "reason": reason}) from None
    logger.info("user list: GET %s: %d bytes in %.1f s", shown, size, time.monotonic() - started)


def _copy_limited(response, file: BinaryIO, *, limit: int) -> int:
    size = 0
    while chunk := response.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise DownloadTooLarge(_("the download is larger than %(limit)s bytes.") % {"limit": limit})
        file.write(chunk)
    return size
