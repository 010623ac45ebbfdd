"""Verimor's sending call as the gateway speaks it: ``POST /v2/send.json`` with the account in the body,
``{"username", "password", "source_addr", "messages": [{"msg", "dest"}], …}`` (``dest``: numbers with
their country code, separated by commas), answered in plain text: the campaign id (HTTP 200), or the
reason (400, 401, 429, 500)."""

from __future__ import annotations

import re

from smsgateway import codes
from smsgateway.receiving import Call, Reply, account_matches, gateway_take, json_object, too_long

NUMBER = re.compile(r"90[0-9]{10}|(00|\+)[1-9][0-9]{6,14}")  # Turkish with 90, or abroad with 00 or +


def verimor_answer(*, body: bytes) -> Reply:
    code, job_id = gateway_take(provider=codes.VERIMOR, call=read(body))
    status, words = codes.CODES[codes.VERIMOR][code]
    text = job_id if code == codes.ACCEPTED[codes.VERIMOR] else code if status == 400 else words
    return Reply(status, "text/plain; charset=utf-8", text.encode())


def read(body: bytes) -> Call:
    data = json_object(body)
    if not data:
        return Call(problem="INVALID_JSON", readable=False)
    header, messages = data.get("source_addr"), data.get("messages")
    call = Call(header=header if isinstance(header, str) else "",
                authenticated=account_matches(data.get("username") or "", data.get("password") or ""))
    if isinstance(messages, list):
        call.parts = [(number.strip(), str(m.get("msg") or "")) for m in messages if isinstance(m, dict)
                      for number in str(m.get("dest") or "").split(",")]
    call.problem = _problem(header, messages)
    return call


def _problem(header, messages) -> str | None:
    if header not in (None, "") and (not isinstance(header, str) or len(header) > 11):
        return "INVALID_SOURCE_ADDRESS"  # empty: the account's first sender name
    if isinstance(header, str) and header.strip().isdigit():
        return "NUMERIC_SOURCE_ADDRESS_NOT_ALLOWED"
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        return "MISSING_MESSAGE"
    for message in messages:
        if not isinstance(message.get("msg"), str) or not message["msg"]:
            return "MISSING_MESSAGE"
        if not isinstance(message.get("dest"), str) or not message["dest"].strip():
            return "MISSING_DESTINATION_ADDRESS"
        if not all(NUMBER.fullmatch(number.strip()) for number in message["dest"].split(",")):
            return "INVALID_DESTINATION_ADDRESS"
        if too_long(message["msg"]):
            return "MESSAGE_TOO_LONG"
    return None
