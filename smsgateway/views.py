"""The gateway over HTTP: each provider's sending call at the path its API has, under the provider's
name (``SMS_URL`` is ``…/smsgateway/<provider>``)."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from smsgateway.iletimerkezi import iletimerkezi_answer
from smsgateway.netgsm import netgsm_answer
from smsgateway.receiving import Reply
from smsgateway.verimor import verimor_answer


def _http(reply: Reply) -> HttpResponse:
    return HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)


@csrf_exempt  # the providers' APIs: their callers are programs with an account, not browsers with cookies
@require_POST
def netgsm_send(request: HttpRequest) -> HttpResponse:
    return _http(netgsm_answer(body=request.body, authorization=request.headers.get("Authorization", "")))


@csrf_exempt
@require_POST
def verimor_send(request: HttpRequest) -> HttpResponse:
    return _http(verimor_answer(body=request.body))


@csrf_exempt
@require_POST
def iletimerkezi_send(request: HttpRequest) -> HttpResponse:
    return _http(iletimerkezi_answer(body=request.body))
