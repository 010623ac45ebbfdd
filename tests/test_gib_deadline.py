"""GIB_CALL_DEADLINE: a whole call to GİB ends in time, however slowly the peer trickles.

The peer is a real server on 127.0.0.1 (plain or TLS) that answers a byte or a few at a time, each well
within the client's per-read timeout: only the deadline can end such a call. Sending a large envelope
to a peer that reads it slowly is bounded the same way.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from envelopes.gib import deadline, soap
from envelopes.gib.client import GibClient, GibUnavailable, gib_client
from signing import pki
from tests.test_gib_client import APPLICATION_RESPONSE, PATH, QUEUED, UUID, server_certificate
from tests.test_settings import _check

ZIP = f"{UUID}.zip"


@pytest.fixture(autouse=True)
def _package(gib_package):
    """GİB's package, whose wsdl folder the client reads."""


def http_answer(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {soap.CONTENT_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


SEND_ANSWER = http_answer(soap.send_document_response(msg=QUEUED, hash="x"))


@dataclass
class Trickle:
    """How the peer answers one connection: its status line and headers at once (unless *trickle_head*),
    then *piece* bytes of the rest of *answer* every *every* seconds; the request read at *read_rate*
    bytes a second (None: at once)."""

    answer: bytes = SEND_ANSWER
    piece: int = 1
    every: float = 0.05
    trickle_head: bool = False
    read_rate: int | None = None


@dataclass
class Peer:
    plans: list[Trickle] = field(default_factory=list)  # one per connection, the last one for the rest
    stop: threading.Event = field(default_factory=threading.Event)
    requests: int = 0

    def plan(self) -> Trickle:
        return self.plans.pop(0) if len(self.plans) > 1 else self.plans[0]

    def serve(self, connection: socket.socket) -> None:
        plan = self.plan()
        with connection:
            try:
                while self._read_request(connection, plan):
                    self.requests += 1
                    self._answer(connection, plan)
            except OSError:
                pass  # the client gave up and shut its side: what the tests expect

    def _read_request(self, connection: socket.socket, plan: Trickle) -> bool:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = connection.recv(1)
            if not chunk:
                return False
            head += chunk
        length = next(int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:"))
        while length > 0 and not self.stop.is_set():
            step = plan.read_rate // 20 if plan.read_rate else length
            got = connection.recv(min(step, length, 65536))
            if not got:
                return False
            length -= len(got)
            if plan.read_rate:
                time.sleep(0.05)
        return length <= 0

    def _answer(self, connection: socket.socket, plan: Trickle) -> None:
        head = 0 if plan.trickle_head else plan.answer.index(b"\r\n\r\n") + 4
        connection.sendall(plan.answer[:head])
        for start in range(head, len(plan.answer), plan.piece):
            if self.stop.is_set():
                return
            connection.sendall(plan.answer[start:start + plan.piece])
            time.sleep(plan.every)


@contextmanager
def trickling(*plans: Trickle, tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, Peer]]:
    peer = Peer(list(plans))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)

    def accept() -> None:
        while not peer.stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(10)
            if tls:
                try:
                    connection = tls.wrap_socket(connection, server_side=True)
                except (ssl.SSLError, OSError):
                    connection.close()
                    continue
            threading.Thread(target=peer.serve, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept, name="test-trickle", daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{listener.getsockname()[1]}{PATH}", peer
    finally:
        peer.stop.set()
        thread.join(timeout=5)
        listener.close()


def timed(call) -> tuple[float, BaseException | None]:
    started = time.monotonic()
    try:
        call()
    except BaseException as exc:  # returned for the test to look at
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


# --- a trickled answer ------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["sendDocument", "getApplicationResponse"])
def test_an_answer_trickled_byte_by_byte_is_given_up_at_the_deadline(operation, caplog):
    caplog.set_level(logging.INFO, logger="envelopes.gib.client")
    # The body a byte every 50 ms: each read is answered 40 times within its 2 s; the whole takes ~15 s.
    with trickling(Trickle()) as (url, _peer):
        gib = GibClient(url=url, timeout=2, call_deadline=1)
        call = (lambda: gib.send_document(file_name=ZIP, data=b"PK", md5="x")) if operation == "sendDocument" \
            else (lambda: gib.get_application_response(UUID))
        took, error = timed(call)

    assert isinstance(error, GibUnavailable)
    assert "GIB_CALL_DEADLINE" in str(error)
    assert 0.9 <= took < 2.5
    (record,) = [r for r in caplog.records if r.name == "envelopes.gib.client"]
    assert (record.operation, record.outcome, record.levelno) == (operation, "unavailable (deadline)", logging.WARNING)


def test_a_status_line_and_headers_trickled_are_given_up_at_the_deadline():
    # http.client reads the head line by line, each line read by read: a per-read timeout never fires.
    with trickling(Trickle(trickle_head=True)) as (url, _peer):
        took, error = timed(lambda: GibClient(url=url, timeout=2, call_deadline=1).get_application_response(UUID))

    assert isinstance(error, GibUnavailable) and 0.9 <= took < 2.5


def test_a_slow_answer_that_ends_within_the_deadline_is_the_answer():
    answer = http_answer(soap.application_response_response(APPLICATION_RESPONSE.read_bytes()))
    # About a second to trickle it all, in pieces: well within 10 s.
    with trickling(Trickle(answer=answer, piece=max(len(answer) // 20, 1), every=0.05)) as (url, _peer):
        took, error = timed(lambda: GibClient(url=url, timeout=2, call_deadline=10).get_application_response(UUID))
        document = GibClient(url=url, timeout=2, call_deadline=10).get_application_response(UUID)

    assert error is None and 0.9 <= took < 5
    assert document == APPLICATION_RESPONSE.read_bytes()


def test_a_5_mb_envelope_read_slowly_is_given_up_at_the_deadline():
    # 200 KB a second: the send would take 25 s. Python bounds one sendall() by the socket timeout as a
    # whole, so the timeout here is longer than the deadline: what ends the send must be the deadline.
    with trickling(Trickle(read_rate=200_000)) as (url, peer):
        gib = GibClient(url=url, timeout=5, call_deadline=1.5)
        took, error = timed(lambda: gib.send_document(file_name=ZIP, data=bytes(5 * 1024 * 1024), md5="x"))

    assert isinstance(error, GibUnavailable) and "GIB_CALL_DEADLINE" in str(error)
    assert 1.4 <= took < 3.5  # the timeout (5 s) would have ended it later
    assert peer.requests == 0  # the request never got through whole


def test_over_tls_the_deadline_holds_too(test_root, tmp_path):
    server = server_certificate(test_root)
    (tmp_path / "root.pem").write_bytes(pki.pem(test_root.certificate))
    (tmp_path / "server.pem").write_bytes(pki.pem(server.certificate))
    (tmp_path / "server.key").write_bytes(pki.key_pem(server.key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")

    with trickling(Trickle(), tls=context) as (url, _peer):
        gib = GibClient(url=url, timeout=2, call_deadline=1, ca_bundle=str(tmp_path / "root.pem"))
        took, error = timed(lambda: gib.send_document(file_name=ZIP, data=b"PK", md5="x"))

    assert isinstance(error, GibUnavailable) and "GIB_CALL_DEADLINE" in str(error)
    assert 0.9 <= took < 2.5


# --- after the deadline -----------------------------------------------------------------------------


def test_the_client_works_again_after_a_call_ran_out_of_time():
    # The first connection trickles; the next ones answer at once.
    with trickling(Trickle(), Trickle(piece=len(SEND_ANSWER), every=0)) as (url, _peer):
        gib = GibClient(url=url, timeout=2, call_deadline=1)
        _took, error = timed(lambda: gib.send_document(file_name=ZIP, data=b"PK", md5="x"))
        assert isinstance(error, GibUnavailable)

        assert gib.send_document(file_name=ZIP, data=b"PK", md5="x") == QUEUED
        assert gib.send_document(file_name=ZIP, data=b"PK", md5="x") == QUEUED


def test_calls_share_one_watchdog_and_leave_nothing_behind():
    with trickling(Trickle(piece=len(SEND_ANSWER), every=0)) as (url, _peer):
        gib = GibClient(url=url, timeout=2, call_deadline=30)
        for _ in range(3):
            gib.send_document(file_name=ZIP, data=b"PK", md5="x")

    assert len([t for t in threading.enumerate() if t.name == "gib-deadlines"]) == 1
    watchdog = deadline._watchdog()
    assert watchdog._next() == ([], None)  # the three finished calls' deadlines are dropped, 30 s early
    assert watchdog._due == []


def test_the_deadline_comes_from_the_settings(settings):
    settings.GIB_TIMEOUT, settings.GIB_CALL_DEADLINE = 2, 1
    with trickling(Trickle()) as (url, _peer):
        settings.GIB_SERVICE_URL = url
        gib = gib_client()
        took, error = timed(lambda: gib.get_application_response(UUID))

    assert gib.call_deadline == 1
    assert isinstance(error, GibUnavailable) and 0.9 <= took < 2.5


@pytest.mark.parametrize("value", ["0", "soon"])
def test_a_malformed_deadline_stops_start_up(tmp_path, value):
    result = _check(tmp_path, GIB_CALL_DEADLINE=value)
    assert result.returncode != 0 and "configuration error: GIB_CALL_DEADLINE" in result.stderr
