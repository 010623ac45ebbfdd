"""İleti Merkezi's sending call as the gateway speaks it: ``POST /v1/send-sms/json``,
``{"request": {"authentication": {"key", "hash"} (or {"username", "password"}), "order": {"sender",
"iys", "message": {"text", "receipents": {"number": [...]}}}}}`` (``message`` may be a list), answered
``{"response": {"status": {"code", "message"}, "order": {"id"}}}``, the code also the HTTP status."""

from __future__ import annotations

import json
import re

from smsgateway import codes
from smsgateway.receiving import Call, Reply, account_matches, gateway_take, json_object, key_hash_matches, too_long

NUMBER = re.compile(r"(\+?90|0)?5[0-9]{9}")  # 905xxxxxxxxx, +90 5xx xxx xx xx, 5xxxxxxxxx: the forms it takes
SEND_AT = re.compile(r"[0-3][0-9]/[01][0-9]/[0-9]{4} [0-2][0-9]:[0-5][0-9]")  # GG/AA/YYYY SS:DD


def iletimerkezi_answer(*, body: bytes) -> Reply:
    code, job_id = gateway_take(provider=codes.ILETIMERKEZI, call=read(body))
    status, words = codes.CODES[codes.ILETIMERKEZI][code]
    answer = {"status": {"code": code, "message": words}}
    if job_id:
        answer["order"] = {"id": job_id}
    return Reply(status, "application/json; charset=utf-8", json.dumps({"response": answer}, ensure_ascii=False).encode())


def read(body: bytes) -> Call:
    request = json_object(body).get("request")
    if not isinstance(request, dict):
        return Call(problem="400", readable=False)
    order = request.get("order") if isinstance(request.get("order"), dict) else {}
    messages = order.get("message")
    messages = [messages] if isinstance(messages, dict) else messages if isinstance(messages, list) else []
    sender = order.get("sender")
    call = Call(header=sender if isinstance(sender, str) else "", authenticated=_authenticated(request.get("authentication")))
    call.parts = [(number, str(m.get("text") or "")) for m in messages if isinstance(m, dict) for number in _numbers(m)]
    call.problem = _problem(order, sender, messages)
    return call


def _authenticated(authentication) -> bool:
    if not isinstance(authentication, dict):
        return False
    if "key" in authentication:
        return key_hash_matches(authentication.get("key") or "", authentication.get("hash") or "")
    return account_matches(authentication.get("username") or "", authentication.get("password") or "")


def _numbers(message: dict) -> list[str]:
    receipents = message.get("receipents")  # sic: İleti Merkezi's spelling
    numbers = receipents.get("number") if isinstance(receipents, dict) else None
    numbers = [numbers] if isinstance(numbers, str) else numbers if isinstance(numbers, list) else []
    return [str(number) for number in numbers]


def _problem(order: dict, sender, messages: list) -> str | None:
    if not order or str(order.get("iys")) not in ("0", "1"):
        return "400"
    if str(order.get("iys")) == "1" and order.get("iysList") not in ("BIREYSEL", "TACIR"):
        return "400"
    if not isinstance(sender, str) or not sender.strip() or len(sender) > 11:
        return "450"
    send_at = order.get("sendDateTime")
    for value in send_at if isinstance(send_at, list) else [send_at]:
        if value not in (None, "") and not (isinstance(value, str) and SEND_AT.fullmatch(value)):
            return "457"
    if not messages or not all(isinstance(m, dict) for m in messages):
        return "454"
    for message in messages:
        if not isinstance(message.get("text"), str) or not message["text"].strip():
            return "454"
        numbers = _numbers(message)
        if not numbers or not all(NUMBER.fullmatch(re.sub(r"[\s()-]", "", number)) for number in numbers):
            return "452"
        if too_long(message["text"]):
            return "453"
    return None
