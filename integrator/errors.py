"""Domain errors: a stable code for programs and a message for people, in the active language."""

import socket
import ssl

from django.utils.translation import gettext as _


class DomainError(Exception):
    code = "error"
    message = "An error occurred."

    def __init__(self, message=None, **params):
        self.params = params
        if message is not None:
            self.message = message
        super().__init__(str(self))

    def __str__(self):
        return str(self.message) % self.params if self.params else str(self.message)


def _causes(exc: BaseException):
    """*exc* and what it wraps: requests wraps urllib3, which wraps the socket's error."""
    seen, todo = set(), [exc]
    while todo:
        error = todo.pop(0)
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        todo += [error.__cause__, error.__context__, getattr(error, "reason", None)]
        todo += [arg for arg in getattr(error, "args", ()) if isinstance(arg, BaseException)]


def network_reason(exc: BaseException) -> str:
    """Why a call over the network failed, in the active language (the libraries say it in English);
    TLS's own reason code (CERTIFICATE_VERIFY_FAILED…) is kept as a value."""
    for error in _causes(exc):
        name = type(error).__name__
        if isinstance(error, ssl.SSLError):
            return _("the TLS handshake failed (%(code)s)") % {"code": error.reason or name}
        if isinstance(error, TimeoutError) or "Timeout" in name:
            return _("no answer within the time allowed")
        if isinstance(error, ConnectionRefusedError):
            return _("the connection was refused")
        if isinstance(error, socket.gaierror) or "NameResolution" in name:
            return _("the host name cannot be resolved")
        if isinstance(error, (ConnectionResetError, BrokenPipeError)) or name in ("RemoteDisconnected", "ProtocolError", "IncompleteRead"):
            return _("the connection was broken")
    return _("the call failed (%(kind)s)") % {"kind": type(exc).__name__}
