"""Showing a UBL-TR document as people read it: through its own XSLT, as GİB's viewers do.

The stylesheet is the one embedded in the document (cac:AdditionalDocumentReference/cac:Attachment, a
base64 ``.xslt``); else the caller's fallback; else the platform's default design for an invoice, or
GİB's ``appResponse.xslt`` from the installed package for an application response.

An incoming invoice's stylesheet is written by a stranger. It is parsed with no DTD, no entities and
no network; it may not include or import other stylesheets (libxslt loads those while compiling,
before any access control applies, so a ``file:`` include would be read); and it runs under lxml's
``XSLTAccessControl.DENY_ALL``: ``document()`` reads nothing, ``exsl:document`` writes nothing. What
it outputs is still a stranger's HTML: the portal serves it only under a sandboxing
Content-Security-Policy (``invoices.views``). What no setting here bounds is CPU time; libxslt's
recursion limit stops runaway templates.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from collections import OrderedDict

from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from lxml import etree

from integrator.errors import DomainError
from schematron.package import PackageError, active_package
from schematron.parsing import DOCTYPE_MARKERS, UnsafeOrBroken, parse_untrusted, syntax_error
from tenants.designs import XSL
from ubl.build import default_xslt
from ubl.names import INVOICE_NS, NS
from ubl.response import RESPONSE

STYLESHEET_ROOTS = (f"{{{XSL}}}stylesheet", f"{{{XSL}}}transform")
INVOICE = f"{{{INVOICE_NS}}}Invoice"
EMBEDDED = "cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject"
APP_RESPONSE_XSLT = "appResponse.xslt"  # in the installed package's xslt/ folder, beside general.xslt
MAX_STYLESHEET_BYTES = 5 * 1024 * 1024  # GİB's own designs are about 200 kB, logos included
MAX_OUTPUT_BYTES = 20 * 1024 * 1024
CACHE_SIZE = 32
SANDBOX_CSP = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


class DisplayError(DomainError):
    code = "display_error"
    message = _("The document cannot be shown: %(reason)s.")


class StylesheetRefused(DisplayError):
    code = "display_stylesheet_refused"
    message = _("The document's stylesheet cannot be used: %(reason)s.")


class NoStylesheet(DisplayError):
    code = "display_no_stylesheet"
    message = _("There is no stylesheet to show this document with.")


def render_html(*, xml: bytes, fallback_xslt: bytes | None = None) -> bytes:
    """The document *xml* as UTF-8 HTML, through its own stylesheet, else *fallback_xslt*, else the
    platform's. Raises a DisplayError for anything that cannot be shown, never an lxml exception."""
    document = _document(xml)
    stylesheet = _embedded(document) or fallback_xslt or _platform_design(document)
    return _transform(compiled(stylesheet), document)


def sandboxed(html: bytes, *, framed: bool = False) -> HttpResponse:
    """*html* from ``render_html`` as a page that may run nothing, load nothing and go nowhere: an
    incoming invoice's stylesheet is a stranger's. *framed*: it may be shown in a frame of the
    platform's own pages (the buyer's page), and of no one else's."""
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = SANDBOX_CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'") if framed else SANDBOX_CSP
    if framed:
        response["X-Frame-Options"] = "SAMEORIGIN"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


# --- the document and its stylesheet ------------------------------------------------------------


def _document(xml: bytes) -> etree._ElementTree:
    try:
        return parse_untrusted(xml).tree
    except UnsafeOrBroken as exc:
        raise DisplayError(reason=exc) from None


def _embedded(document: etree._ElementTree) -> bytes | None:
    """The first embedded .xslt with content; an empty one (GİB's YOLCUBERABER sample) counts as none."""
    for node in document.getroot().iterfind(EMBEDDED, NS):
        text = "".join((node.text or "").split())
        if text and (node.get("filename") or "").strip().lower().endswith(".xslt"):
            return _decoded(text)
    return None


def _decoded(text: str) -> bytes:
    if len(text) * 3 // 4 > MAX_STYLESHEET_BYTES:
        raise StylesheetRefused(reason=_("it is larger than %(limit)s bytes") % {"limit": MAX_STYLESHEET_BYTES})
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise StylesheetRefused(reason=_("it is not valid base64")) from None


def _platform_design(document: etree._ElementTree) -> bytes:
    tag = document.getroot().tag
    if tag == INVOICE:
        return default_xslt()
    if tag == RESPONSE and (gib := _gib_app_response()) is not None:
        return gib
    raise NoStylesheet()


def _gib_app_response() -> bytes | None:
    try:
        path = active_package().path / "xslt" / APP_RESPONSE_XSLT
    except PackageError:
        return None
    return path.read_bytes() if path.is_file() else None


# --- compiling, once per distinct stylesheet ------------------------------------------------------

_cache: OrderedDict[str, etree.XSLT] = OrderedDict()
_cache_lock = threading.Lock()


def compiled(stylesheet: bytes) -> etree.XSLT:
    """The stylesheet compiled under DENY_ALL, from a small LRU cache keyed by its SHA-256: GİB's and
    the suppliers' designs repeat across thousands of invoices. Raises StylesheetRefused."""
    key = hashlib.sha256(stylesheet).hexdigest()
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    transform = _compile(stylesheet)  # outside the lock: a slow compile must not hold up the others
    with _cache_lock:
        _cache[key] = transform
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return transform


class _NothingFromOutside(etree.Resolver):
    """Whatever the stylesheet asks to load resolves to an empty document: a second lock on the door
    _stylesheet_root already shuts (includes and imports are refused before compiling)."""

    def resolve(self, url, pubid, context):
        return self.resolve_string("<refused/>", context)


def _parser() -> etree.XMLParser:
    # One per call: lxml parsers are not to be shared between threads.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False)
    parser.resolvers.add(_NothingFromOutside())
    return parser


def _stylesheet_root(stylesheet: bytes) -> etree._Element:
    if len(stylesheet) > MAX_STYLESHEET_BYTES:
        raise StylesheetRefused(reason=_("it is larger than %(limit)s bytes") % {"limit": MAX_STYLESHEET_BYTES})
    if any(marker in stylesheet for marker in DOCTYPE_MARKERS):
        raise StylesheetRefused(reason=_("it has a DOCTYPE declaration"))
    try:
        root = etree.fromstring(stylesheet, _parser())
    except etree.XMLSyntaxError as exc:
        raise StylesheetRefused(reason=_("it is not well-formed XML (%(error)s)") % {"error": syntax_error(exc)}) from None
    except (ValueError, LookupError, UnicodeError):
        raise StylesheetRefused(reason=_("its character encoding cannot be read")) from None
    if root.tag not in STYLESHEET_ROOTS:
        raise StylesheetRefused(reason=_("it is not an XSLT stylesheet"))
    if next(root.iter(f"{{{XSL}}}include", f"{{{XSL}}}import"), None) is not None:
        raise StylesheetRefused(reason=_("it includes or imports another stylesheet"))
    return root


def _compile(stylesheet: bytes) -> etree.XSLT:
    root = _stylesheet_root(stylesheet)
    try:
        return etree.XSLT(root, access_control=etree.XSLTAccessControl.DENY_ALL)
    except etree.LxmlError as exc:
        raise StylesheetRefused(reason=_("it does not compile (%(error)s)") % {"error": _engine_error(exc)}) from None


def _engine_error(exc: Exception) -> str:
    """Where libxslt stopped and, in English answers, its own words (it has no others, nor codes)."""
    entries = list(getattr(exc, "error_log", ()))
    line = next((entry.line for entry in entries if entry.line), None)
    where = _("line %(line)s") % {"line": line} if line else _("no line given")
    words = (str(exc).strip().splitlines() or [""])[0][:300]
    if (translation.get_language() or "").startswith("en"):
        return f"{where}: {words}" if words else where
    return where


# --- running --------------------------------------------------------------------------------------


def _transform(transform: etree.XSLT, document: etree._ElementTree) -> bytes:
    try:
        result = transform(document)
    except etree.LxmlError as exc:
        # A denied document() or exsl:document, xsl:message terminate="yes", runaway recursion.
        raise StylesheetRefused(reason=_("it failed while running (%(error)s)") % {"error": _engine_error(exc)}) from None
    # str() decodes whatever encoding xsl:output named; the page is always served as UTF-8.
    html = str(result).encode("utf-8")
    if not html.strip():
        raise DisplayError(reason=_("its stylesheet produced nothing"))
    if len(html) > MAX_OUTPUT_BYTES:
        raise DisplayError(reason=_("its stylesheet produced more than %(limit)s bytes") % {"limit": MAX_OUTPUT_BYTES})
    return html
