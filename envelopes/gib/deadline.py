"""A deadline for a whole call to GİB: connecting, sending, and reading the answer to its last byte.

A socket timeout bounds each connect, send and read, never their sum: a server that trickles its
answer (or reads our 5 MB envelope slowly) a little within each timeout holds the caller for as long
as it likes. requests has no bound on a whole request (psf/requests#1928, #4201), and checking the
clock between reads does not bound the read that blocks. What does is shutting the socket down from
another thread: a blocked ``recv`` or ``send`` then returns at once (urllib3/urllib3#2868, the way
urllib3's own ``HTTPResponse.shutdown`` works).

So a call runs ``within(seconds)``: when the seconds are up, the process's one watchdog thread shuts
down the sockets of the connections the call used. Connections learn which call they serve from the thread they run in:
the session's adapter makes connections that report to the current call of their thread whenever
they connect or send a request. One that connects after the time is up is shut at once.
"""

from __future__ import annotations

import heapq
import itertools
import os
import selectors
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class Deadline:
    """The end of one call, and the connections it used, to be shut down when it comes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.passed = False
        self._connections: list[HTTPConnection] = []
        self.cancelled = False
        self._lock = threading.Lock()

    def left(self) -> float:
        return max(self.ends - time.monotonic(), 0.0)

    def over(self) -> bool:
        """Whether the call's time is up: the timer fired, or a socket whose timeout was what was left
        of the deadline (connecting, sending) timed out a moment before the timer could."""
        return self.passed or self.left() == 0.0

    def watch(self, connection: HTTPConnection) -> None:
        # Under the lock, a connection is either seen by the timer or sees that it has run.
        with self._lock:
            self._connections.append(connection)
            passed = self.passed
        if passed:
            _shut(connection)

    def _pass(self) -> None:
        # The sockets, taken under the lock: once the call has failed, urllib3 may connect the same
        # connection object again for the next call, whose new socket this deadline must not touch.
        with self._lock:
            if self.cancelled:
                return
            self.passed = True
            sockets = list({id(sock): sock for sock in map(_socket_of, self._connections) if sock is not None}.values())
        for sock in sockets:
            _shut_socket(sock)

    def cancel(self) -> None:
        """The call is over: its time running out later changes nothing."""
        with self._lock:
            self.cancelled = True
            self._connections.clear()


class _Watchdog:
    """One thread for the deadlines of every call of the process: it waits in the kernel's poll until
    the nearest one comes (or a nearer one is added), and lets those that came pass.

    Rather than a ``threading.Timer`` a call: no thread is started per call to GİB, and the wait is
    one the kernel times from now, which a clock moved under the process cannot stretch (libfaketime,
    with which the tests run at other dates, does not move the timed lock waits a Timer rests on)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._due: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._waker, self._wakeup = socket.socketpair()
        self._waker.setblocking(False)
        self._wakeup.setblocking(False)
        self._thread = threading.Thread(target=self._run, name="gib-deadlines", daemon=True)
        self._thread.start()

    def add(self, deadline: Deadline) -> None:
        with self._lock:
            heapq.heappush(self._due, (deadline.ends, next(self._order), deadline))
        try:
            self._waker.send(b"\0")
        except BlockingIOError:
            pass  # a wake-up is already waiting to be read

    def _next(self) -> tuple[list[Deadline], float | None]:
        """The deadlines that came (and are not cancelled), and the seconds until the next one."""
        with self._lock:
            now, came = time.monotonic(), []
            while self._due and (self._due[0][0] <= now or self._due[0][2].cancelled):
                came.append(heapq.heappop(self._due)[2])
            return [d for d in came if not d.cancelled], (self._due[0][0] - now if self._due else None)

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._wakeup, selectors.EVENT_READ)
            while True:
                came, wait = self._next()
                for deadline in came:
                    deadline._pass()
                if selector.select(wait):
                    try:
                        while self._wakeup.recv(4096):
                            pass
                    except BlockingIOError:
                        pass


_watchdogs: dict[int, _Watchdog] = {}  # by process: a forked worker starts its own
_watchdogs_lock = threading.Lock()


def _watchdog() -> _Watchdog:
    with _watchdogs_lock:
        pid = os.getpid()
        if pid not in _watchdogs:
            _watchdogs.clear()
            _watchdogs[pid] = _Watchdog()
        return _watchdogs[pid]


def _socket_of(connection: HTTPConnection) -> socket.socket | None:
    """The plain socket under *connection*; None when it is not connected (yet: it reports again once it is)."""
    sock = connection.sock
    while sock is not None and not isinstance(sock, socket.socket):  # urllib3's SSLTransport (TLS through a TLS proxy) wraps one
        sock = getattr(sock, "socket", None)
    return sock


def _shut(connection: HTTPConnection) -> None:
    sock = _socket_of(connection)
    if sock is not None:
        _shut_socket(sock)


def _shut_socket(sock: socket.socket) -> None:
    try:
        # The plain socket's shutdown, also under TLS: SSLSocket's would drop its state under a reader.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed by the peer or by its reader


def current() -> Deadline | None:
    """The deadline of the call running in this thread, if any."""
    return getattr(_current, "deadline", None)


@contextmanager
def within(seconds: float) -> Iterator[Deadline]:
    """Run a call that must be over in *seconds*: past them, its connections are shut down, and
    what it was waiting for fails (``deadline.passed`` then says why)."""
    deadline, outer = Deadline(seconds), current()
    _current.deadline = deadline
    _watchdog().add(deadline)
    try:
        yield deadline
    finally:
        deadline.cancel()
        _current.deadline = outer


def _report(connection: HTTPConnection) -> None:
    deadline = current()
    if deadline is not None:
        deadline.watch(connection)


class _Watched:
    """A connection that tells the current call about itself when it connects and sends a request."""

    def connect(self) -> None:
        super().connect()
        _report(self)

    def request(self, *args, **kwargs) -> None:
        _report(self)  # a kept-alive connection serves several calls
        super().request(*args, **kwargs)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter, with connections that a call's deadline can shut down (an HTTP(S) proxy's
    too; a SOCKS proxy's connections are its own and not watched)."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _POOLS
        return manager
