"""What the SMS transports share: the result of one try, the words for what a provider answered, and
the one way a provider is called.

A call is one POST of a JSON body, bounded by ``SMS_TIMEOUT`` for connecting and for each read, its
answer read up to ``MAX_ANSWER`` bytes, redirects not followed (a 3xx is an answer), and logged with
its duration and result; the account's password is never logged. A network failure or a timeout is
a temporary result (``code="network"``), never an exception.
"""

from __future__ import annotations

import json
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass

import requests
import urllib3
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from integrator.errors import network_reason

logger = logging.getLogger(__name__)
MAX_ANSWER = 64 * 1024  # bytes of a provider's answer read; a longer one is cut there
USER_AGENT = "integrator-sms/1"


@dataclass(frozen=True)
class SmsResult:
    ok: bool  # accepted by the provider
    permanent: bool  # when not ok: True = do not retry (bad number, text, account…), False = retry later
    code: str  # the provider's code ("00", "40", HTTP status, "network"…)
    reply: str  # the provider's words / our wording of a network failure, for people
    reference: str  # the provider's job/message id when ok


# What a provider's code means, in the platform's words: each transport maps its codes to one of these.
MEANINGS = {
    "credentials": _("The SMS account's credentials are wrong, it has no API access, or this server's address is not allowed."),
    "header": _("The sender name (SMS header) is not registered for the SMS account."),
    "text": _("The provider refused the text of the message."),
    "too_long": _("The message is longer than the provider allows."),
    "empty": _("The message has no text."),
    "number": _("The provider refused the phone number."),
    "parameters": _("The provider found a parameter of the request invalid or missing."),
    "iys": _("The SMS account cannot send İYS-controlled messages."),
    "iys_brand": _("No İYS brand code is defined for the SMS account."),
    "limit": _("The SMS account's sending limit was exceeded for now."),
    "same_number": _("Too many messages to the same number within a minute."),
    "duplicate": _("The same message was sent to this number a short while ago; it is not sent twice."),
    "forbidden": _("The provider refused the message's content."),
    "balance": _("The SMS account has not enough credit."),
    "system": _("The provider had a system error."),
    "unavailable": _("The provider's service is unavailable for now."),
    "account": _("The SMS account may not make this request."),
    "unknown": _("The provider gave an answer the platform does not know."),
}


def described(meaning: str, *, provider: str, code: str, words: str = "") -> str:
    """Our words for *meaning*, then the provider's own, with its code."""
    facts = {"meaning": MEANINGS[meaning], "provider": provider, "code": code, "words": words.strip()[:500]}
    if facts["words"]:
        return gettext("%(meaning)s (%(provider)s, %(code)s: %(words)s)") % facts
    return gettext("%(meaning)s (%(provider)s, %(code)s)") % facts


def temporary_status(status: int) -> bool:
    """An HTTP status a later try may get past: too many requests, or the server's own failure."""
    return status == 429 or status >= 500


class Transport(ABC):
    """One SMS provider's sending API at *url* (its base address), with its account; *timeout*
    seconds for connecting and for each read. Subclasses say what to post and what an answer means."""

    name = ""  # the provider, as people know it
    path = ""  # the sending call, under the base address

    def __init__(self, *, url: str, username: str, password: str, timeout: float):
        self.url, self.username, self.password, self.timeout = url.rstrip("/"), username, password, timeout

    def send(self, *, number: str, text: str, header: str) -> SmsResult:
        """Send *text* to *number* (a mobile as ``mobile_number`` gives it) under *header*."""
        started = time.monotonic()
        try:
            status, body = self._post(self.payload(number=number, text=text, header=header))
            result = self.answer(status, body)
        # Refused, reset, timed out, TLS failed; urllib3's own errors come from reading the answer.
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            reply = gettext("%(provider)s could not be reached: %(reason)s.") % {"provider": self.name, "reason": network_reason(exc)}
            result = SmsResult(ok=False, permanent=False, code="network", reply=reply, reference="")
        logger.info("sms by %s to %s: %s %s %s (%.0f ms)", self.name, number,
                    "accepted" if result.ok else "permanent" if result.permanent else "temporary",
                    result.code, result.reply[:200], (time.monotonic() - started) * 1000)
        return result

    @abstractmethod
    def payload(self, *, number: str, text: str, header: str) -> dict:
        """The request's JSON body, in the provider's shape."""

    def auth(self) -> tuple[bytes, bytes] | None:
        """HTTP Basic auth's user and password, for a provider that takes the account so; None: in the body."""
        return None

    @abstractmethod
    def answer(self, status: int, body: bytes) -> SmsResult:
        """What the provider's answer (HTTP status and body) means."""

    def _post(self, payload: dict) -> tuple[int, bytes]:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")  # the providers read UTF-8
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json, text/plain",
                   "User-Agent": USER_AGENT}
        with requests.Session() as session, session.post(
            f"{self.url}{self.path}", data=data, headers=headers, auth=self.auth(), timeout=(self.timeout, self.timeout),
            allow_redirects=False, stream=True,
        ) as response:
            return response.status_code, response.raw.read(MAX_ANSWER, decode_content=True) or b""

    def accepted(self, *, code: str, reference: str) -> SmsResult:
        reply = gettext("Accepted by %(provider)s as %(reference)s.") % {"provider": self.name, "reference": reference or code}
        return SmsResult(ok=True, permanent=False, code=code, reply=reply, reference=reference)

    def refused(self, meaning: str, *, code: str, words: str = "", permanent: bool) -> SmsResult:
        return SmsResult(ok=False, permanent=permanent, code=code, reference="",
                         reply=described(meaning, provider=self.name, code=code, words=words))


def json_object(body: bytes) -> dict:
    """*body* read as a JSON object; empty when it is not one."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def text_of(body: bytes) -> str:
    return body.decode("utf-8", "replace").strip()
