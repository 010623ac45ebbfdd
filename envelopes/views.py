"""Our side of GİB's EFaturaService: the endpoint GİB (or the local hub) pushes envelopes to."""

import logging

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from envelopes.access import PushRefused, push_check
from envelopes.gib import soap
from envelopes.receiving import Refused
from pipeline.flow import envelope_receive

logger = logging.getLogger(__name__)
TAKEN = "ZARF ALINDI"
NOT_ALLOWED = _("this client may not push envelopes here")


def _soap(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=soap.CONTENT_TYPE)


@csrf_exempt
@require_POST
def gib_service(request: HttpRequest) -> HttpResponse:
    """sendDocument: the envelope is checked and stored before we answer; a refusal is a SOAP fault
    carrying GİB's code (SOAP 1.2 faults travel with HTTP 500). Who may push is checked first, before
    the body is read: a refused push costs us no parsing and stores nothing."""
    try:
        push_check(meta=request.META)
    except PushRefused as refusal:
        logger.warning("push from %s refused: %s", request.META.get("REMOTE_ADDR"), refusal)
        return _soap(soap.fault(code=None, msg=str(NOT_ALLOWED)), status=403)
    try:
        call = soap.parse_request(request.body, request.META.get("CONTENT_TYPE", ""))
    except soap.SoapError as exc:
        return _soap(soap.fault(code=None, msg=str(exc)), status=400)
    if not isinstance(call, soap.SendDocument):
        return _soap(soap.fault(code=None, msg=str(_("this endpoint serves sendDocument only"))), status=400)
    try:
        envelope_receive(request=call)
    except Refused as refusal:
        logger.info("push of %s refused: %s", call.file_name, refusal)
        return _soap(soap.fault(code=refusal.gib_code, msg=str(refusal)), status=500)
    return _soap(soap.send_document_response(msg=TAKEN, hash=call.hash))
