"""What the gateway does with a sending call, whichever provider's API it came by: a call it cannot
read at all is answered so; then the account is checked (a caller the provider does not know learns
nothing else), then a forced code is used up if one waits, then the request's own problem answers,
else the message is taken with a new job id. Every message is kept with the code it got, one row
per number."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings

from smsgateway import codes
from smsgateway.forcing import claim_forced
from smsgateway.models import GatewayMessage

TURKISH = set("ŞşĞğçıİ")  # the letters that need the Turkish encoding, as Verimor lists them (Ö, Ü… are GSM's own)


@dataclass
class Call:
    """A sending call as the gateway read it: *problem* is the provider's code for what is wrong with
    it (None: nothing), answered before the account is checked when the call is not *readable*;
    *parts* are (number, text) as the caller wrote them."""

    header: str = ""
    parts: list[tuple[str, str]] = field(default_factory=list)
    authenticated: bool = False
    problem: str | None = None
    readable: bool = True


class Reply(NamedTuple):
    status: int
    content_type: str
    body: bytes


def json_object(body: bytes) -> dict:
    """*body* read as a JSON object; empty when it is not one."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def account_matches(username: str, password: str) -> bool:
    """The gateway's one account: SMS_USERNAME / SMS_PASSWORD, as the platform's transports use them."""
    return (hmac.compare_digest(str(username).encode(), settings.SMS_USERNAME.encode())
            & hmac.compare_digest(str(password).encode(), settings.SMS_PASSWORD.encode()))


def key_hash_matches(key: str, given: str) -> bool:
    """İleti Merkezi's API key and its hash: HMAC-SHA256 of the key, keyed by the account's secret."""
    expected = hmac.new(settings.SMS_PASSWORD.encode(), settings.SMS_USERNAME.encode(), hashlib.sha256).hexdigest()
    return (hmac.compare_digest(str(key).encode(), settings.SMS_USERNAME.encode())
            & hmac.compare_digest(str(given).lower().encode(), expected.encode()))


def too_long(text: str) -> bool:
    """Longer than seven SMS, the longest Verimor and İleti Merkezi take (1043 characters with Turkish
    letters, 1071 without); the gateway holds Netgsm to it too."""
    return len(text) > (1043 if TURKISH & set(text) else 1071)


def gateway_take(*, provider: str, call: Call) -> tuple[str, str]:
    """The code the gateway answers *call* with, and the job id it gave (empty when refused)."""
    if not call.readable and call.problem:
        code = call.problem
    elif not call.authenticated:
        code = codes.REFUSED_ACCOUNT[provider]
    else:
        code = claim_forced(provider=provider) or call.problem or codes.ACCEPTED[provider]
    job_id = str(10**9 + secrets.randbelow(9 * 10**9)) if code == codes.ACCEPTED[provider] else ""
    GatewayMessage.objects.bulk_create([
        GatewayMessage(provider=provider, header=call.header[:50], number=number[:30], text=text, code=code, job_id=job_id)
        for number, text in call.parts or [("", "")]
    ])
    return code, job_id
