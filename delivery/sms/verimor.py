"""Verimor's SMS API: ``POST {SMS_URL}/v2/send.json``, the account in the JSON body, the number with
its country code (905XXXXXXXXX), ``is_commercial: false`` (an invoice is a transactional message).

Verimor answers in plain text (its API document): HTTP 200 with the campaign id as the body when it
took the message, else a 4xx with the reason: a code of its own (INSUFFICIENT_CREDITS…) for a
refused message, words for a refused account (401), 429 when requests come too fast. Its newer
pages show the campaign id inside JSON (``{"campaign_id": …}``): that is read too.
"""

from __future__ import annotations

import re

from delivery.sms.transport import SmsResult, Transport, json_object, temporary_status, text_of

# Verimor's codes for a refused message (HTTP 400): what each means, and whether a later try may succeed.
CODES = {
    "INVALID_SOURCE_ADDRESS": ("header", True),
    "NUMERIC_SOURCE_ADDRESS_NOT_ALLOWED": ("header", True),
    "MISSING_MESSAGE": ("empty", True),
    "MESSAGE_TOO_LONG": ("too_long", True),
    "MISSING_DESTINATION_ADDRESS": ("number", True),
    "INVALID_DESTINATION_ADDRESS": ("number", True),
    "INSUFFICIENT_CREDITS": ("balance", False),  # the account can be topped up meanwhile
    "FORBIDDEN_MESSAGE": ("forbidden", True),
    "MUKERRER_RAPORLAMA": ("duplicate", True),  # the same SMS sent already within 24 hours
    "MISSING_IYS_BRAND_CODE": ("iys_brand", True),
    "NO_AHS_BRAND_ERROR": ("iys_brand", True),
    "AHS_AUTHORIZATION_ERROR": ("iys", True),
    "INVALID_IYS_RECIPIENT_TYPE": ("iys", True),
    "INVALID_PERIOD": ("parameters", True),
    "INVALID_DELIVERY_TIME": ("parameters", True),
    "INVALID_DATACODING": ("parameters", True),
    "INVALID_JSON": ("parameters", True),
    "INVALID_UTF8": ("parameters", True),
    "MESSAGE_COUNT_LIMIT_EXCEEDED": ("parameters", True),
}
STATUSES = {401: "credentials", 403: "account", 413: "too_long", 422: "parameters", 429: "limit"}
TOKEN = re.compile(r"[A-Z][A-Z0-9_]{2,}")


class Verimor(Transport):
    name = "Verimor"
    path = "/v2/send.json"

    def payload(self, *, number: str, text: str, header: str) -> dict:
        return {"username": self.username, "password": self.password, "source_addr": header,
                "messages": [{"msg": text, "dest": f"90{number}"}], "is_commercial": False}

    def answer(self, status: int, body: bytes) -> SmsResult:
        words = text_of(body)
        if 200 <= status < 300:
            campaign = json_object(body).get("campaign_id") or words
            return self.accepted(code="200", reference=str(campaign)[:100])
        if TOKEN.fullmatch(words):
            meaning, permanent = CODES.get(words, ("unknown", not temporary_status(status)))
            return self.refused(meaning, code=words, permanent=permanent)
        temporary = temporary_status(status)
        meaning = STATUSES.get(status) or ("unavailable" if temporary else "unknown")
        return self.refused(meaning, code=str(status), words=words[:200], permanent=not temporary)
