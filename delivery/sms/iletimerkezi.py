"""İleti Merkezi's SMS API: ``POST {SMS_URL}/v1/send-sms/json``, the account as an API key and its hash
in the JSON body (``request.authentication``), the number as its ten digits, İYS off (``iys: "0"``:
an invoice is a transactional message, not a commercial one).

The hash is HMAC-SHA256 of the key, keyed by the account's secret, in hex: what İleti Merkezi's own
PHP client computes (``hash_hmac('sha256', $apiKey, $secret)``) and its panel shows precomputed.
``SMS_USERNAME`` is the key, ``SMS_PASSWORD`` the secret.

İleti Merkezi answers JSON ``{"response": {"status": {"code", "message"}, "order": {"id"}}}``, the
code also the HTTP status: 200 when it took the order, else what was wrong (its status code table).
"""

from __future__ import annotations

import hashlib
import hmac

from delivery.sms.transport import SmsResult, Transport, json_object, temporary_status, text_of

ACCEPTED = "200"
# İleti Merkezi's status codes for sending: what each means, and whether a later try may succeed.
CODES = {
    "400": ("parameters", True),  # the request could not be read
    "401": ("credentials", True),  # wrong key or hash (or username, password), or not from the fixed IP
    "402": ("balance", False),  # not enough credit: the account can be topped up meanwhile
    "404": ("parameters", True),  # the API has no such method
    "450": ("header", True),  # the sender name is not approved for the account
    "451": ("duplicate", True),  # the same text to the same numbers within 10 minutes
    "452": ("number", True),
    "453": ("too_long", True),  # more than seven SMS long
    "454": ("empty", True),
    "455": ("parameters", True),  # order not found
    "456": ("parameters", True),  # the order's sending time has not come
    "457": ("parameters", True),  # the sending time's format is wrong
    "503": ("unavailable", False),
}


def key_hash(*, key: str, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).hexdigest()


class IletiMerkezi(Transport):
    name = "İleti Merkezi"
    path = "/v1/send-sms/json"

    def payload(self, *, number: str, text: str, header: str) -> dict:
        authentication = {"key": self.username, "hash": key_hash(key=self.username, secret=self.password)}
        order = {"sender": header, "iys": "0", "message": {"text": text, "receipents": {"number": [number]}}}
        return {"request": {"authentication": authentication, "order": order}}

    def answer(self, status: int, body: bytes) -> SmsResult:
        response = json_object(body).get("response")
        response = response if isinstance(response, dict) else {}
        state = response.get("status") if isinstance(response.get("status"), dict) else {}
        code, words = str(state.get("code") or "").strip(), str(state.get("message") or "")
        if code == ACCEPTED:
            order = response.get("order") if isinstance(response.get("order"), dict) else {}
            return self.accepted(code=code, reference=str(order.get("id") or ""))
        if code in CODES:
            meaning, permanent = CODES[code]
            return self.refused(meaning, code=code, words=words, permanent=permanent)
        if code:
            return self.refused("unknown", code=code, words=words, permanent=not temporary_status(status))
        temporary = temporary_status(status)
        return self.refused("unavailable" if temporary else "unknown", code=str(status), words=text_of(body)[:200], permanent=not temporary)
