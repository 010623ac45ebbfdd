"""The hub over HTTP: GİB's EFaturaService (SOAP 1.2) and GİB's registered-user lists."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from envelopes.gib import soap
from gibhub.earsiv import EarsivHubFault, hub_earsiv_call
from gibhub.earsiv import fault as earsiv_fault
from gibhub.receiving import HubFault, hub_application_response, hub_send_document
from gibhub.userlist import FILE_NAMES, userlist_zip


def _soap(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=soap.CONTENT_TYPE)


def _answer(call: soap.SendDocument | soap.GetApplicationResponse) -> bytes:
    if isinstance(call, soap.SendDocument):
        msg = hub_send_document(file_name=call.file_name, data=call.data, md5=call.hash)
        return soap.send_document_response(msg=msg, hash=call.hash)
    return soap.application_response_response(hub_application_response(uuid=call.instance_identifier))


@csrf_exempt  # a SOAP service: its callers are programs, authenticated (at GİB) by mutual TLS, not cookies
@require_POST
def efatura_service(request: HttpRequest) -> HttpResponse:
    """SOAP faults are HTTP 500 (SOAP 1.2's rule for a fault); a request that is no call of the service, 400."""
    # Read from the stream, not request.body: that is capped at DATA_UPLOAD_MAX_MEMORY_SIZE, below GİB's 5 MB.
    body = request.read(soap.MAX_REQUEST_BYTES + 1)
    try:
        return _soap(_answer(soap.parse_request(body, request.META.get("CONTENT_TYPE", ""))))
    except soap.SoapError as exc:
        return _soap(soap.fault(code=None, msg=str(exc)), status=400)
    except HubFault as fault:
        return _soap(soap.fault(code=fault.fault_code, msg=fault.gib_msg), status=500)


@csrf_exempt  # as EFatura's: a SOAP service for programs, each call signed (WS-Security)
@require_POST
def earsiv_service(request: HttpRequest) -> HttpResponse:
    """GİB's EArsivWs; a fault is HTTP 500 with GİB's EArsivFault in its detail."""
    try:
        return _soap(hub_earsiv_call(request.read(64 * 1024 * 1024 + 1)))
    except EarsivHubFault as exc:
        return _soap(earsiv_fault(code=exc.fault_code, text=exc.text), status=500)


@require_GET
def userlist(request: HttpRequest, kind: str) -> HttpResponse:
    response = HttpResponse(userlist_zip(kind=kind), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{FILE_NAMES[kind]}"'
    return response
