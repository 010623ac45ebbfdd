"""The roof's middleware, around every request: the portal's language, for the API a bound on the
body and the audit row of each call (``archive.models.ApiCall``), the Content-Security-Policy of
every page, and the two-factor rule of tenants whose owners must use it."""

import logging
import time

from django.conf import settings
from django.db import DatabaseError
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils import translation
from django.utils.translation import gettext

from accounts.selectors import two_factor_missing
from archive.models import ApiCall
from integrator.api import API_PREFIX, PROBLEM, problem

logger = logging.getLogger(__name__)


class PortalLanguageMiddleware:
    """Turkish unless the person chose otherwise.

    The portal speaks the language kept in the language cookie (set by Django's ``set_language``
    view) and Turkish otherwise, whatever the browser asks for. The API, used by programs, follows
    ``Accept-Language``, as do the SOAP clients that push envelopes to us.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if request.path.startswith(("/api/", "/gib/")):  # programs: the API, and SOAP clients pushing to us
            language = translation.get_language_from_request(request)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ApiMiddleware:
    """For /api/ paths: refuses a body larger than ``API_MAX_BODY_BYTES`` before anyone reads it
    (413), and writes one ``ApiCall`` row per call, after the answer, whatever it was."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX) or request.path.startswith(tuple(settings.API_UNAUDITED_PATHS)):
            return self.get_response(request)
        started = time.monotonic()
        response = self._too_large(request) or self.get_response(request)
        _audit(request, response, started)
        return response

    @staticmethod
    def _too_large(request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= settings.API_MAX_BODY_BYTES:
            return None
        detail = gettext("The body is %(size)d bytes; the API takes at most %(limit)d.") % {"size": length, "limit": settings.API_MAX_BODY_BYTES}
        return JsonResponse(problem(413, "too_large", detail), status=413, content_type=PROBLEM)


def _audit(request, response, started: float) -> None:
    api_key = getattr(request, "auth", None)
    data = getattr(response, "data", None)
    try:
        ApiCall.objects.create(
            tenant_id=getattr(api_key, "tenant_id", None),
            api_key=api_key,
            key_prefix=getattr(api_key, "prefix", "") or _presented_prefix(request),
            method=request.method[:10],
            path=request.path[:500],
            query=request.META.get("QUERY_STRING", "")[:500],
            status_code=response.status_code,
            problem=(data.get("code", "") if isinstance(data, dict) and response.status_code >= 400 else "")[:50],
            duration_ms=round((time.monotonic() - started) * 1000),
            client_ip=request.META.get("REMOTE_ADDR") or None,
            idempotency_key=request.headers.get("Idempotency-Key", "")[:255],
        )
    except DatabaseError:  # the answer matters more than its audit row; the log keeps the loss
        logger.exception("could not audit %s %s", request.method, request.path)


def _presented_prefix(request) -> str:
    """The visible part of a presented key (``itk_xxxxxxxx``), never what follows the dot."""
    keyword, _sep, raw = request.headers.get("Authorization", "").partition(" ")
    return raw.strip().partition(".")[0][:16] if keyword == "Api-Key" else ""



# The portal's pages run only our own scripts and styles (static/), embed only data: images (the
# enrolment QR code) and may be framed by no one. The invoice's own display (``invoices.display``)
# sets its stricter policy, which this one never replaces.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'"
)
CSP_EXEMPT_PATHS = ("/admin/", "/api/docs/")  # Django's admin and Swagger UI carry inline scripts of their own


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(CSP_EXEMPT_PATHS):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class TwoFactorRequiredMiddleware:
    """An owner of a tenant that asks its owners for two-factor, who has none yet, is sent to set it
    up before any of that tenant's pages (those whose URL names the tenant: ``identifier``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        identifier = view_kwargs.get("identifier")
        if not identifier or not request.user.is_authenticated:
            return None
        if not two_factor_missing(user=request.user, identifier=identifier):
            return None
        messages.warning(request, gettext("This taxpayer's owners must use two-factor verification: set it up to go on."))
        return redirect(f"{reverse('two-factor')}?{urlencode({'next': request.get_full_path()})}")
