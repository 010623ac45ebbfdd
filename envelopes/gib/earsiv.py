"""The client of GİB's e-Arşiv service (EArsivWs, SOAP 1.2), beside the EFatura one and built as it
is: zeep over GİB's own WSDL (``EArsivWs.wsdl`` of the installed package's ``earsiv/`` folder, or
``GIB_EARSIV_WSDL``), every call bounded (``GIB_TIMEOUT``, ``GIB_CALL_DEADLINE``), logged with its
duration, and ended by an answer or a domain error: ``EArsivFault`` for GİB's fault (its code and
message), ``GibUnavailable`` when no answer came (always safe to retry).

Each call is WS-Security signed (Timestamp, BinarySecurityToken, exclusive C14N, RSA-SHA256 over
Body and Timestamp) with the seal ``signing`` chooses for the tenant: the client hands the envelope
over and never sees a key.

A report goes as ``sendDocumentFile(Attachment{fileName, binaryData})``: ``<raporNo>.zip`` holding
``<raporNo>.xml``; ``getBatchStatus(paketId=raporNo)`` answers ``durumKodu`` and ``durumAciklama``:
working clients read 30 as done, 10 and 15 as still processing, anything else as failed."""

from __future__ import annotations

import io
import logging
import time
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
import zeep
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from lxml import etree
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault

from envelopes.gib import deadline
from envelopes.gib.client import GibError, GibUnavailable, _Late, _Session, _Transport, _wsdl  # the WSDL parsed once per process, as EFatura's
from integrator.errors import network_reason
from schematron.package import PackageNotInstalled, active_package

EA = "http://earsiv.vedop3.ggm.gov.org/"
BINDING = f"{{{EA}}}EArsivWsServiceSoapBinding"
WSDL_NAME = "EArsivWs.wsdl"
DONE, PROCESSING = frozenset({30}), frozenset({10, 15})
ZIP_MOMENT = (1980, 1, 1, 0, 0, 0)  # the zip's entry carries no clock: the same report zips to the same bytes
logger = logging.getLogger(__name__)

# Signs a SOAP envelope in place (signing.services.soap_seal, bound to a tenant).
EnvelopeSigner = Callable[[etree._Element], object]


class EArsivFault(GibError):
    """GİB refused the call with an EArsivFault (its code and message)."""

    code = "earsiv_fault"
    message = _("GİB's e-Arşiv service answered with fault %(fault)s: %(text)s")

    def __init__(self, fault_code: str, text: str):
        self.fault_code, self.text = fault_code, text
        super().__init__(fault=fault_code or "?", text=text)


class NoEarsivWsdl(GibError):
    code = "gib_no_earsiv_wsdl"
    message = _("The installed GİB package has no e-Arşiv WSDL (%(path)s); install a package with its earsiv folder.")


@dataclass(frozen=True)
class BatchStatus:
    code: int
    text: str

    @property
    def done(self) -> bool:
        return self.code in DONE

    @property
    def processing(self) -> bool:
        return self.code in PROCESSING


def wsdl_path() -> Path:
    if settings.GIB_EARSIV_WSDL:
        path = Path(settings.GIB_EARSIV_WSDL)
    else:
        try:
            path = active_package().earsiv_dir / WSDL_NAME
        except PackageNotInstalled as exc:
            raise NoEarsivWsdl(path=str(exc)) from None
    if not path.is_file():
        raise NoEarsivWsdl(path=str(path))
    return path


class _Wsse:
    """zeep's WS-Security hook: the envelope is signed by *sign* just before it goes."""

    def __init__(self, sign: EnvelopeSigner) -> None:
        self.sign = sign

    def apply(self, envelope, headers):
        self.sign(envelope)
        return envelope, headers

    def verify(self, envelope):
        return envelope


def report_zip(number: str, xml: bytes) -> bytes:
    """``<raporNo>.zip`` holding ``<raporNo>.xml``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(f"{number}.xml", date_time=ZIP_MOMENT), xml, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


class EArsivClient:
    """EArsivWs at *url*, each call signed by *sign*; *timeout* for connecting and each read,
    *call_deadline* for a whole call; *certificate*, *key* and *ca_bundle* as for the EFatura client."""

    def __init__(self, *, url: str, sign: EnvelopeSigner, timeout: float, call_deadline: float, certificate: str | None = None,
                 key: str | None = None, ca_bundle: str | None = None):
        self.url, self.call_deadline = url, call_deadline
        session = _Session()
        if certificate:
            session.cert = (certificate, key)
        if ca_bundle:
            session.verify = ca_bundle
        definitions = _wsdl(str(wsdl_path()))
        client = zeep.Client(definitions.wsdl, transport=_Transport(session=session, timeout=timeout, operation_timeout=timeout),
                             settings=definitions.settings, wsse=_Wsse(sign))
        self._service = client.create_service(BINDING, url)

    @contextmanager
    def _call(self, operation: str, subject: str):
        started = time.perf_counter()
        outcome, level = "ok", logging.INFO
        try:
            with deadline.within(self.call_deadline) as limit:
                try:
                    yield
                except Fault:
                    raise
                except Exception:
                    if limit.over():
                        raise _Late() from None
                    raise
        except Fault as exc:
            error = _as_fault(exc, self.url)
            outcome, level = f"fault {getattr(error, 'fault_code', '?')}", logging.WARNING
            raise error from None
        except _Late:
            outcome, level = "unavailable (deadline)", logging.WARNING
            raise GibUnavailable(url=self.url, reason=_("no whole answer within %(seconds)s s (GIB_CALL_DEADLINE)")
                                 % {"seconds": self.call_deadline}) from None
        except (requests.RequestException, ZeepError) as exc:
            outcome, level = f"unavailable ({type(exc).__name__})", logging.WARNING
            raise GibUnavailable(url=self.url, reason=network_reason(exc)) from None
        except GibError:
            raise
        except Exception as exc:
            outcome, level = f"unavailable ({type(exc).__name__})", logging.ERROR
            logger.exception("gib earsiv %s %s %s: zeep could not read the answer", operation, self.url, subject)
            raise GibUnavailable(url=self.url, reason=f"an answer zeep could not read ({type(exc).__name__})") from None
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            logger.log(level, "gib earsiv %s %s %s: %s in %.0f ms", operation, self.url, subject, outcome, duration_ms,
                       extra={"operation": operation, "url": self.url, "subject": subject, "outcome": outcome, "duration_ms": duration_ms})

    def send_report(self, *, number: str, xml: bytes) -> str:
        """Hand over the signed report *xml* as ``<number>.zip``; GİB's answer text when it took it."""
        with self._call("sendDocumentFile", number):
            answer = self._service.sendDocumentFile(Attachment={"fileName": f"{number}.zip", "binaryData": report_zip(number, xml)})
        return str(answer or "")

    def batch_status(self, number: str) -> BatchStatus:
        """What GİB says of the report *number* (its paketId)."""
        with self._call("getBatchStatus", number):
            answer = self._service.getBatchStatus(paketId=number)
        if answer is None or answer.durumKodu is None:
            raise GibUnavailable(url=self.url, reason=_("the answer holds no durumKodu"))
        return BatchStatus(code=int(answer.durumKodu), text=answer.durumAciklama or "")


def _as_fault(exc: Fault, url: str) -> GibError:
    detail = exc.detail if isinstance(exc.detail, etree._Element) else None
    found = detail.find(f".//{{{EA}}}EArsivFault") if detail is not None else None
    if found is None:
        return GibUnavailable(url=url, reason=_("a SOAP fault without GİB's fault code: %(message)s") % {"message": exc.message})
    return EArsivFault((found.findtext("code") or "").strip(), (found.findtext("message") or "").strip())


def earsiv_client(*, sign: EnvelopeSigner) -> EArsivClient:
    """The client for the e-Arşiv service the settings name (the local hub, GİB's test or live service)."""
    return EArsivClient(url=settings.GIB_EARSIV_SERVICE_URL, sign=sign, timeout=settings.GIB_TIMEOUT,
                        call_deadline=settings.GIB_CALL_DEADLINE, certificate=settings.GIB_CLIENT_CERTIFICATE,
                        key=settings.GIB_CLIENT_KEY, ca_bundle=settings.GIB_CA_BUNDLE)
