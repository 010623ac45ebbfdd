"""The one client that talks to GİB's EFaturaService (or to anything speaking it: the local GİB hub, a
receiver's integrator), with zeep, from GİB's own WSDL in the installed GİB package.

Every call is bounded (``GIB_TIMEOUT`` for connecting and for each read, ``GIB_CALL_DEADLINE`` for the
whole call, its answer read to the end: ``envelopes.gib.deadline``), logged with its duration, and
ends in an answer or a domain error: ``GibFault`` for GİB's EFaturaFault (2000–2007, with the
action the code table gives), ``GibUnavailable`` when no answer came (network, timeout, a non-SOAP
reply, a SOAP fault without GİB's code, the deadline passed), which is always safe to retry. Whatever the peer sends, no
other exception leaves a call. Mutual TLS with the integrator's client certificate when
``GIB_CLIENT_CERTIFICATE`` and ``GIB_CLIENT_KEY`` are set; ``GIB_CA_BUNDLE``, when set, is the only
trust, whatever ``REQUESTS_CA_BUNDLE`` says.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import requests
import zeep
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault
from lxml import etree
from zeep.transports import Transport

from envelopes import codes
from envelopes.gib import deadline
from envelopes.gib.soap import EF
from integrator.errors import DomainError, network_reason
from schematron.package import PackageNotInstalled, active_package

BINDING = f"{{{EF}}}EFaturaSoapBinding"
WSDL_NAME = "EFatura_Test.wsdl"  # GİB's test and live WSDLs differ only in the address, which is a setting
logger = logging.getLogger(__name__)


class GibError(DomainError):
    code = "gib_error"
    message = _("GİB's service could not be used.")


class GibUnavailable(GibError):
    code = "gib_unavailable"
    message = _("No answer from %(url)s: %(reason)s.")


class GibFault(GibError):
    """GİB refused the call with an EFaturaFault; ``entry`` says what it means and what to do."""

    code = "gib_fault"
    message = _("GİB answered with fault %(fault)s: %(text)s")

    def __init__(self, fault_code: int | str, text: str):
        self.entry = codes.fault(fault_code)
        self.fault_code = self.entry.code
        self.text = text
        super().__init__(fault=self.entry.code, text=text or self.entry.text_tr)


class _Late(Exception):
    """The call's deadline passed before its answer was read."""


class NoWsdl(GibError):
    code = "gib_no_wsdl"
    message = _("The installed GİB package has no WSDL (%(path)s); install a package with its wsdl folder.")


def wsdl_path() -> Path:
    if settings.GIB_WSDL:
        path = Path(settings.GIB_WSDL)
    else:
        try:
            path = active_package().path / "wsdl" / WSDL_NAME
        except PackageNotInstalled as exc:
            raise NoWsdl(path=str(exc)) from None
    if not path.is_file():
        raise NoWsdl(path=str(path))
    return path


@lru_cache(maxsize=4)
def _wsdl(path: str) -> zeep.Client:
    # Parsed once per process: the service is made per client from the same definitions.
    return zeep.Client(path, settings=zeep.Settings(strict=True, xml_huge_tree=True))


class _Session(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        adapter = deadline.DeadlineAdapter()  # connections a call's deadline can shut down
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE replace a session's own CA bundle (psf/requests#3829):
    # GİB would then be trusted by whatever the environment names instead of GIB_CA_BUNDLE.
    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        merged = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if self.verify is not True:
            merged["verify"] = self.verify
        return merged


class _Transport(Transport):
    """zeep's transport, connecting within what is left of the call's deadline (a connection being made
    has no socket to shut down yet). urllib3 sends the request under the connect timeout too, and one
    sendall() is bounded by it as a whole: the request is also sent within what is left."""

    def post(self, address, message, headers):
        limit = deadline.current()
        connect = min(self.operation_timeout, max(limit.left(), 0.001)) if limit else self.operation_timeout
        return self.session.post(address, data=message, headers=headers, timeout=(connect, self.operation_timeout))


class GibClient:
    """EFaturaService at *url*; *certificate* and *key* (PEM paths) for mutual TLS; *ca_bundle* to trust;
    *timeout* for connecting and each read, *call_deadline* (by default GIB_CALL_DEADLINE) for a whole call."""

    def __init__(self, *, url: str, timeout: float, certificate: str | None = None, key: str | None = None,
                 ca_bundle: str | None = None, call_deadline: float | None = None):
        self.url = url
        self.call_deadline = call_deadline if call_deadline is not None else settings.GIB_CALL_DEADLINE
        session = _Session()
        if certificate:
            session.cert = (certificate, key)
        if ca_bundle:
            session.verify = ca_bundle
        definitions = _wsdl(str(wsdl_path()))
        client = zeep.Client(definitions.wsdl, transport=_Transport(session=session, timeout=timeout, operation_timeout=timeout),
                             settings=definitions.settings)
        self._service = client.create_service(BINDING, url)

    @contextmanager
    def _call(self, operation: str, subject: str):
        started = time.perf_counter()
        outcome, level = "ok", logging.INFO
        try:
            with self._bounded():
                yield
        except Fault as exc:
            error = _as_fault(exc, self.url)
            outcome, level = _outcome(error), logging.WARNING
            raise error from None
        except _Late:
            outcome, level = "unavailable (deadline)", logging.WARNING
            reason = _("no whole answer within %(seconds)s s (GIB_CALL_DEADLINE)") % {"seconds": self.call_deadline}
            raise GibUnavailable(url=self.url, reason=reason) from None
        except (requests.RequestException, ZeepError) as exc:
            outcome, level = f"unavailable ({type(exc).__name__})", logging.WARNING
            raise GibUnavailable(url=self.url, reason=network_reason(exc)) from None
        except Exception as exc:
            # zeep reading a reply it did not expect (an empty SOAP body: IndexError) must not crash a
            # poller; the traceback is kept, in case the fault is ours and not the peer's.
            outcome, level = f"unavailable ({type(exc).__name__})", logging.ERROR
            logger.exception("gib %s %s %s: zeep could not read the answer", operation, self.url, subject)
            raise GibUnavailable(url=self.url, reason=f"an answer zeep could not read ({type(exc).__name__})") from None
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            logger.log(level, "gib %s %s %s: %s in %.0f ms", operation, self.url, subject, outcome, duration_ms,
                       extra={"operation": operation, "url": self.url, "subject": subject, "outcome": outcome,
                              "duration_ms": duration_ms})

    @contextmanager
    def _bounded(self):
        with deadline.within(self.call_deadline) as limit:
            try:
                yield
            except Fault:
                raise  # a whole answer came: GİB's, however late
            except Exception:
                if limit.over():  # the call's time was up: the deadline is why it failed
                    raise _Late() from None
                raise

    def send_document(self, *, file_name: str, data: bytes, md5: str) -> str:
        """Hand over the zip *file_name*; GİB's message when it took it (it answers the status later)."""
        with self._call("sendDocument", file_name):
            answer = self._service.sendDocument(fileName=file_name, binaryData={"_value_1": data}, hash=md5)
        return (answer.msg or "") if answer is not None else ""

    def get_application_response(self, instance_identifier: str) -> bytes:
        """The system response (an ApplicationResponse document) GİB holds for the envelope."""
        with self._call("getApplicationResponse", instance_identifier):
            answer = self._service.getApplicationResponse(instanceIdentifier=instance_identifier)
        if not answer:
            raise GibUnavailable(url=self.url, reason=_("the answer holds no application response"))
        return answer.encode("utf-8")


def _as_fault(exc: Fault, url: str) -> GibError:
    # zeep gives the Detail element, None, or (when the reply held no SOAP 1.2 Fault) the whole reply as bytes.
    detail = exc.detail if isinstance(exc.detail, etree._Element) else None
    found = detail.find(f".//{{{EF}}}EFaturaFault") if detail is not None else None
    if found is None:
        return GibUnavailable(url=url, reason=_("a SOAP fault without GİB's fault code: %(message)s") % {"message": exc.message})
    return GibFault((found.findtext("code") or "").strip(), (found.findtext("msg") or "").strip())


def _outcome(error: GibError) -> str:
    return f"fault {error.fault_code}" if isinstance(error, GibFault) else "unavailable (SOAP fault without GİB's code)"


def gib_client() -> GibClient:
    """The client for the GİB service the settings name (the local hub, GİB's test or live service)."""
    return GibClient(url=settings.GIB_SERVICE_URL, timeout=settings.GIB_TIMEOUT,
                     certificate=settings.GIB_CLIENT_CERTIFICATE, key=settings.GIB_CLIENT_KEY,
                     ca_bundle=settings.GIB_CA_BUNDLE, call_deadline=settings.GIB_CALL_DEADLINE)
