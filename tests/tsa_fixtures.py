"""The local TSA for the tests: real HTTP on a free port, served from a thread of the test process.

``local_tsa`` is one TSA under the test root for the whole run; ``serve`` starts any other WSGI
application (a TSA with a password, one under a foreign root, a ``Relay``, a ``HeaderTap``) for one test.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import pytest

from signing import pki
from signing.timestamp import REPLY_TYPE
from signing.tsa_server import TsaApplication, make_tsa_server
from tests.clock import NOW

POLICY = "2.999.3161.7"


@dataclass(frozen=True)
class LocalTsa:
    url: str
    signer: pki.Issued
    root: pki.Issued


@contextmanager
def serving(application) -> Iterator[str]:
    server = make_tsa_server(application, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-tsa", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Relay:
    """A man in the middle: forwards ``alter(request)`` to *upstream*, keeps what passed, answers with
    what ``rewrite(request, reply)`` makes of the reply (by default both pass unchanged)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.requests: list[bytes] = []
        self.replies: list[bytes] = []
        self.alter: Callable[[bytes], bytes] = lambda request: request
        self.rewrite: Callable[[bytes, bytes], bytes] = lambda request, reply: reply

    def __call__(self, environ, start_response):
        request = self.alter(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        self.requests.append(request)
        forwarded = urllib.request.Request(
            self.upstream, data=request, headers={"Content-Type": environ.get("CONTENT_TYPE", "")}
        )
        try:
            with urllib.request.urlopen(forwarded, timeout=10) as response:
                reply = response.read()
        except urllib.error.HTTPError as error:  # a rejection comes with HTTP 400: pass it on as it is
            with error:
                reply = error.read()
        self.replies.append(reply)
        answer = self.rewrite(request, reply)
        start_response("200 OK", [("Content-Type", REPLY_TYPE), ("Content-Length", str(len(answer)))])
        return [answer]


class HeaderTap:
    """Passes each request on to *application*, keeping its HTTP headers (lower-case names) first;
    the headers in ``replace`` are then put in place of the client's, as a man in the middle would."""

    def __init__(self, application) -> None:
        self.application = application
        self.headers: list[dict[str, str]] = []
        self.replace: dict[str, str] = {}

    def __call__(self, environ, start_response):
        self.headers.append({k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")})
        environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in self.replace.items()})
        return self.application(environ, start_response)


@pytest.fixture(scope="session")
def local_tsa(test_root) -> Iterator[LocalTsa]:
    signer = pki.tsa(test_root, common_name="Test Zaman Damgası", now=NOW)
    with serving(TsaApplication(signer=signer, policy=POLICY)) as url:
        yield LocalTsa(url=url, signer=signer, root=test_root)


@pytest.fixture
def serve() -> Iterator[Callable[[object], str]]:
    """``serve(application)`` → the URL it answers on, until the test ends."""
    with ExitStack() as stack:
        yield lambda application: stack.enter_context(serving(application))
