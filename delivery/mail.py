"""Sending one e-mail and saying what became of it: the e-mail transport of a delivery.

With an SMTP host (``EMAIL_HOST``) the message goes by SMTP through Django's backend, spoken step by
step so that the server's own reply is kept: 250 is sent; a 5xx (a refused address, a message
refused) is permanent; a 4xx, a refused or dropped connection, a timeout are temporary, to be tried
again. Without one (the embedded default) each message is written whole as an ``.eml`` file under
``MAIL_DIR`` (``EmlBackend``), which any mail program opens.
"""

from __future__ import annotations

import logging
import os
import smtplib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.utils import timezone
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
SENT, TEMPORARY, PERMANENT = "sent", "temporary", "permanent"


@dataclass(frozen=True)
class Outcome:
    result: str  # SENT, TEMPORARY or PERMANENT
    code: str  # the SMTP reply code, or "network"
    reply: str  # the server's words, or ours


class EmlBackend(BaseEmailBackend):
    """The embedded default's outbox: each message one ``.eml`` file under ``MAIL_DIR``, written to a
    temporary name and then renamed, so a reader never sees half a message."""

    def send_messages(self, email_messages):
        folder = Path(settings.MAIL_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        self.written = []
        for message in email_messages:
            path = folder / f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
            partial = path.with_suffix(".part")
            partial.write_bytes(message.message().as_bytes(linesep="\r\n"))
            os.replace(partial, path)
            self.written.append(path)
        return len(email_messages)


def mail_send(message: EmailMessage) -> Outcome:
    """Send *message*; never raises for what the server or the network did."""
    started = time.monotonic()
    connection = get_connection()
    outcome = _by_smtp(connection, message) if isinstance(connection, SmtpBackend) else _by_backend(connection, message)
    logger.info("mail to %s: %s %s %s (%.0f ms)", ", ".join(message.recipients()), outcome.result, outcome.code,
                outcome.reply[:200], (time.monotonic() - started) * 1000)
    return outcome


def _by_backend(connection: BaseEmailBackend, message: EmailMessage) -> Outcome:
    try:
        connection.send_messages([message])
    except OSError as exc:
        return Outcome(TEMPORARY, "io", str(exc))
    written = getattr(connection, "written", None)
    return Outcome(SENT, "", _("Written to %(path)s.") % {"path": written[0]} if written else _("Handed to the mail backend."))


def _by_smtp(backend: SmtpBackend, message: EmailMessage) -> Outcome:
    encoding = message.encoding or settings.DEFAULT_CHARSET
    try:
        backend.open()
        smtp = backend.connection
        smtp.ehlo_or_helo_if_needed()
        code, reply = smtp.mail(sanitize_address(message.from_email, encoding))
        if code != 250:
            return _refused(code, reply)
        for recipient in message.recipients():
            code, reply = smtp.rcpt(sanitize_address(recipient, encoding))
            if code not in (250, 251):
                smtp.rset()
                return _refused(code, reply)
        code, reply = smtp.data(message.message().as_bytes(linesep="\r\n"))
        return Outcome(SENT, str(code), _text(reply)) if code == 250 else _refused(code, reply)
    except smtplib.SMTPResponseException as exc:  # DATA refused, a greeting or STARTTLS refused
        return _refused(exc.smtp_code, exc.smtp_error)
    except (smtplib.SMTPException, OSError) as exc:  # refused, dropped, timed out, TLS failed
        return Outcome(TEMPORARY, "network", _("The mail server could not be reached: %(error)s") % {"error": exc or type(exc).__name__})
    finally:
        try:
            backend.close()
        except (smtplib.SMTPException, OSError):
            pass


def _refused(code: int, reply) -> Outcome:
    return Outcome(PERMANENT if 500 <= code < 600 else TEMPORARY, str(code), _text(reply))


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
