"""What every REST API call shares: errors as RFC 9457 problem details, per-key throttling and cursor
pagination. The bound on the body and the audit row of each call are the roof's middleware
(``integrator.middleware.ApiMiddleware``)."""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from integrator.errors import DomainError

logger = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
API_PREFIX = "/api/"

# The status of each DRF error, by the stable code a program reads.
_DRF_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.ParseError, "malformed"),
    (exceptions.ValidationError, "invalid"),
    (exceptions.NotAuthenticated, "unauthorized"),
    (exceptions.AuthenticationFailed, "unauthorized"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
]


# Domain errors that are not 422 Unprocessable Content: the request itself is wrong, or conflicts.
DOMAIN_STATUS = {
    "payload_invalid": 400,
    "not_ubl": 400,
    "duplicate_ettn": 409,
    "answer_refused": 409,
    "invoice_not_found": 404,
    "idempotency_key_reused": 409,
    "insufficient_credits": 402,  # the tenant has no credit left to send with: nothing is issued
}


class ApiProblem(DomainError):
    """A domain error with the HTTP status the API answers it with (``status``), and optional
    ``errors``: a list of ``{"field"|"xpath", "rule", "message"}``."""

    status = 400

    def __init__(self, message=None, *, errors: list[dict] | None = None, **params):
        self.errors = errors
        super().__init__(message, **params)


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, with the stable ``code`` a program acts on."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    code = serializers.CharField()
    detail = serializers.CharField(help_text="In the language of Accept-Language (Turkish or English).")
    errors = serializers.ListField(
        child=serializers.DictField(), required=False,
        help_text="Field errors ({field, code, message}) or validation errors ({layer, rule, message, xpath, line}).",
    )


# The problems an operation answers with, for its ``extend_schema(responses=...)``: typed as the
# exception handler sends them, application/problem+json, not as the JSON of its 2xx.
PROBLEMS = {(code, PROBLEM): OpenApiResponse(ProblemSerializer, description=text) for code, text in {
    400: "malformed or invalid request", 401: "no usable API key", 403: "the key lacks the scope",
    404: "not found", 409: "conflict", 413: "body too large", 415: "unsupported media type",
    422: "the invoice cannot be issued", 429: "too many calls",
}.items()}
# A paged list's 200, keyed as PROBLEMS are: drf-spectacular takes the smallest key, as text, for the
# operation's main answer, and documents the page and its cursor parameters only when that is the list.
PAGE = (200, "application/json")


# A problem's title, in the answer's language; a status not listed is titled by its English phrase.
TITLES = {
    400: _("Bad request"), 401: _("Unauthorized"), 402: _("Payment required"), 403: _("Forbidden"), 404: _("Not found"),
    405: _("Method not allowed"), 406: _("Not acceptable"), 409: _("Conflict"), 413: _("Content too large"),
    415: _("Unsupported media type"), 422: _("Unprocessable content"), 429: _("Too many requests"),
    500: _("Internal server error"), 503: _("Service unavailable"),
}


def problem(status: int, code: str, detail: str, *, errors: list[dict] | None = None, **extra) -> dict:
    title = str(TITLES.get(status) or HTTPStatus(status).phrase)
    body = {"type": f"urn:integrator:problem:{code}", "title": title, "status": status, "code": code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body | extra


def problem_response(status: int, code: str, detail: str, **extra) -> Response:
    return Response(problem(status, code, detail, **extra), status=status, content_type=PROBLEM)


def field_errors(detail, path: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list: ``lines[0].quantity`` → message."""
    if isinstance(detail, dict):
        return [e for key, value in detail.items() for e in field_errors(value, _join(path, key))]
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [{"field": path or "body", "code": getattr(item, "code", "invalid"), "message": str(item)} for item in detail]
        return [e for index, item in enumerate(detail) for e in field_errors(item, f"{path}[{index}]") if item]
    return [{"field": path or "body", "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def _join(path: str, key) -> str:
    if key == "non_field_errors":
        return path or "body"
    if isinstance(key, int):  # a ListField's errors are keyed by the item's index
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def exception_handler(exc, context):
    """Every error of the API as ``application/problem+json``, its message in the caller's language."""
    if isinstance(exc, DomainError):
        status = getattr(exc, "status", None) or DOMAIN_STATUS.get(exc.code, 422)
        errors = getattr(exc, "errors", None)
        if isinstance(errors, dict):  # a payload's field errors, as DRF gives them
            errors = field_errors(errors)
        return problem_response(status, exc.code, str(exc), **({"errors": errors} if errors is not None else {}))
    if isinstance(exc, DjangoValidationError):  # a service's check of its input
        errors = [{"field": "body", "code": e.code or "invalid", "message": " ".join(e.messages)} for e in exc.error_list]
        return problem_response(400, "invalid", errors[0]["message"], errors=errors)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    from rest_framework.views import exception_handler as drf_exception_handler  # DRF's views read these settings

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = next((code for kind, code in _DRF_CODES if isinstance(exc, kind)), exc.default_code)
    if isinstance(exc, exceptions.ValidationError):
        body = problem(response.status_code, code, gettext("The request is not valid; see errors."), errors=field_errors(exc.detail))
    else:
        body = problem(response.status_code, code, str(exc.detail))
    response.data = body
    response.content_type = PROBLEM
    return response


def not_found(request, exception=None):
    """Django's 404 for paths no view serves: a problem under /api/, the usual page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(problem(404, "not_found", gettext("Not found.")), status=404, content_type=PROBLEM)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        detail = gettext("An internal error occurred; it has been logged.")
        return JsonResponse(problem(500, "internal_error", detail), status=500, content_type=PROBLEM)
    from django.views.defaults import server_error as page

    return page(request)


class ApiKeyRateThrottle(SimpleRateThrottle):
    """``API_RATE`` calls per key (e.g. ``1200/min``), counted in the cache (Redis in production)."""

    scope = "api_key"

    def get_rate(self):
        return settings.API_RATE  # read per call, so a changed setting takes effect

    def get_cache_key(self, request, view):
        if request.auth is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.prefix}


class Cursor(CursorPagination):
    """Stable pages over a list that grows while it is read: newest first, by an opaque cursor."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def paginated(view, queryset, serializer_class):
    """One cursor page of *queryset* for *view* (whose ``pagination_class`` the schema reads too)."""
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, view.request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
