"""Netgsm's REST v2 sending API: ``POST {SMS_URL}/sms/rest/v2/send``, the account by HTTP Basic auth
(user code and password), the number as its ten digits (5XXXXXXXXX).

Netgsm answers JSON ``{"code", "jobid", "description"}``: HTTP 200 with code 00 when it took the
message, HTTP 406 with the code of what was wrong otherwise (its OpenAPI document and official SDKs).
The code decides, whatever the status; an answer without one is judged by its HTTP status.
"""

from __future__ import annotations

from delivery.sms.transport import SmsResult, Transport, json_object, temporary_status, text_of

ACCEPTED = "00"
# Netgsm's codes for /sms/rest/v2/send: what each means, and whether a later try may succeed.
CODES = {
    "20": ("text", True),  # a problem in the text, or longer than the maximum
    "30": ("credentials", True),  # wrong user code or password, no API access, or the IP is not allowed
    "40": ("header", True),  # the sender name is not defined for the account
    "50": ("iys", True),  # İYS-controlled sending is not allowed for the account
    "51": ("iys_brand", True),  # no İYS brand code for the account
    "70": ("parameters", True),  # a parameter invalid or missing
    "80": ("limit", False),  # the sending limit exceeded
    "85": ("same_number", False),  # more than 20 tasks to the same number within a minute
    "100": ("system", False),
    "101": ("system", False),
}


class Netgsm(Transport):
    name = "Netgsm"
    path = "/sms/rest/v2/send"

    def payload(self, *, number: str, text: str, header: str) -> dict:
        # TR: Turkish letters kept as they are; İYS filter 0: an invoice is a transactional message,
        # not a commercial one, so it is not checked against İYS consents.
        return {"msgheader": header, "messages": [{"msg": text, "no": number}], "encoding": "TR", "iysfilter": "0"}

    def auth(self) -> tuple[bytes, bytes]:
        return self.username.encode("utf-8"), self.password.encode("utf-8")  # requests alone would take Latin-1

    def answer(self, status: int, body: bytes) -> SmsResult:
        data = json_object(body)
        code = str(data.get("code") or "").strip()
        words = str(data.get("description") or "")
        if code == ACCEPTED:
            return self.accepted(code=code, reference=str(data.get("jobid") or ""))
        if code in CODES:
            meaning, permanent = CODES[code]
            return self.refused(meaning, code=code, words=words, permanent=permanent)
        if code:  # a code Netgsm does not document for sending: a server's failure may pass, the request's not
            return self.refused("unknown", code=code, words=words, permanent=not temporary_status(status))
        temporary = temporary_status(status)
        return self.refused("unavailable" if temporary else "unknown", code=str(status), words=text_of(body)[:200], permanent=not temporary)
