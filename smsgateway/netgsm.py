"""Netgsm's REST v2 sending call as the gateway speaks it: ``POST /sms/rest/v2/send``, the account by
HTTP Basic auth, ``{"msgheader", "messages": [{"msg", "no"}], "encoding", "iysfilter"}``, answered
``{"code", "jobid", "description"}`` (HTTP 200 with 00, 406 with any other code)."""

from __future__ import annotations

import base64
import json
import re

from smsgateway import codes
from smsgateway.receiving import Call, Reply, account_matches, gateway_take, json_object, too_long

NUMBER = re.compile(r"5[0-9]{9}")  # Netgsm's schema: the ten digits, 5XXXXXXXXX
IYS_FILTERS = (None, "", "0", "11", "12")  # 0: not İYS-controlled; 11, 12: commercial, to persons or merchants
HTTP_ONLY = ("500", "503")


def netgsm_answer(*, body: bytes, authorization: str) -> Reply:
    code, job_id = gateway_take(provider=codes.NETGSM, call=read(body, authorization))
    status, words = codes.CODES[codes.NETGSM][code]
    if code in HTTP_ONLY:
        return Reply(status, "text/plain; charset=utf-8", words.encode())
    answer = {"code": code, "jobid": job_id or None, "description": words}
    return Reply(status, "application/json; charset=utf-8", json.dumps(answer, ensure_ascii=False).encode())


def read(body: bytes, authorization: str) -> Call:
    call = Call(authenticated=_basic(authorization))
    data = json_object(body)
    header, messages = data.get("msgheader"), data.get("messages")
    call.header = header if isinstance(header, str) else ""
    if isinstance(messages, list):
        call.parts = [(str(m.get("no") or ""), str(m.get("msg") or "")) for m in messages if isinstance(m, dict)]
    call.problem = _problem(data, header, messages)
    return call


def _problem(data: dict, header, messages) -> str | None:
    if not isinstance(header, str) or not header.strip() or not isinstance(messages, list) or not messages:
        return "70"
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("msg"), str) or not message["msg"]:
            return "70"
        if not isinstance(message.get("no"), str) or not NUMBER.fullmatch(message["no"]):
            return "70"
    if data.get("iysfilter") not in IYS_FILTERS:
        return "70"
    if len(header) > 11:
        return "40"  # no such sender name can be defined
    if data.get("iysfilter") in ("11", "12"):
        return "51"  # the gateway's account has no İYS brand
    if any(too_long(message["msg"]) for message in messages):
        return "20"
    return None


def _basic(authorization: str) -> bool:
    kind, _, encoded = authorization.partition(" ")
    if kind.lower() != "basic":
        return False
    try:
        username, colon, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    return bool(colon) and account_matches(username, password)
