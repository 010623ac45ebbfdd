"""The one way webhooks leave the platform: a POST that tells what happened, never raises, and never
reaches an address inside our network unless ``settings.WEBHOOK_ALLOW_PRIVATE`` says it may.

A tenant names the host, so a URL checked when it was saved proves little when it is used: its name
may resolve elsewhere by then. The address is therefore judged again on the connected socket, after
the name was resolved and before a byte is sent; proxies from the environment are not used, since a
proxy would be the peer judged.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

ERROR_LIMIT = 1000  # characters of an error kept on an attempt
USER_AGENT = "integrator-webhooks/1"


class PrivateAddress(Exception):
    """The host resolved to an address the platform does not post to."""


@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None: no answer (refused, timed out, private address)
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def is_public(address: str) -> bool:
    """Whether *address* (an IP, with or without an IPv6 zone) is on the public internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:127.0.0.1 is loopback too
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def addresses(host: str) -> set[str]:
    """The addresses *host* names now: itself if it is an IP; none if the name does not resolve."""
    try:
        return {str(ipaddress.ip_address(host.strip("[]")))}
    except ValueError:
        pass
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError):
        return set()


def allowed(address: str) -> bool:
    return settings.WEBHOOK_ALLOW_PRIVATE or is_public(address)


class _Guarded:
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        if not allowed(peer):
            sock.close()
            raise PrivateAddress(f"{self.host} is at {peer}, a private address")
        return sock


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies, no ~/.netrc credentials from the environment
    for scheme in ("http://", "https://"):
        session.mount(scheme, _GuardedAdapter())
    return session


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: int) -> Outcome:
    """POST *body* to *url*; redirects are not followed (a 3xx is an answer, not a delivery)."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    started = time.monotonic()
    try:
        with _session() as session, session.post(
            url, data=body, headers=headers, timeout=(timeout, timeout), allow_redirects=False, stream=True
        ) as response:  # stream: the status is all we need, the body is never read
            status = response.status_code
            error = "" if 200 <= status < 300 else f"HTTP {status} {response.reason}"
    except (requests.RequestException, PrivateAddress, OSError) as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"
    return Outcome(status_code=status, error=error[:ERROR_LIMIT], duration_ms=round((time.monotonic() - started) * 1000))
