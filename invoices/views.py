"""The portal's invoice pages: the outgoing list, the inbox, one invoice, its XML, its rendered view,
and the KABUL/RED answer. Every page is the tenant's through the person's membership (another
tenant's invoice is a 404); reads go through ``invoices.selectors``, the answer through
``envelopes.answers``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from archive.audit import request_event
from archive.models import Event
from delivery import services as delivery_services
from delivery.forms import DeliveryForm
from earsiv.views import invoice_panel
from exports.forms import DownloadForm
from integrator.errors import DomainError
from invoices import documents, drafts, selectors
from invoices.audit import invoice_event
from invoices.display import DisplayError, render_html, sandboxed
from invoices.listing import COUNT_CAP, Column, KeysetPage, keyset_page
from invoices.models import Invoice
from invoices.portal_forms import AnswerForm, BulkAnswerForm, IncomingFilter, MoveInForm, OutgoingFilter, SearchForm
from invoices.returns import return_payload, returnable
from invoices.status import Status
from pipeline.flow import invoice_answer as answer_service
from tenants.models import Membership
from tenants.roles import Permission
from tenants.selectors import memberships_of
from tenants.views import membership_or_404
from ubl.parse import ParseError
from ubl.response import needs_answer
from uploads.models import Upload
from uploads.services import upload_counts, uploads_of
from uploads.tasks import upload_start

PER_PAGE = 25
# The rendered page is a stranger's HTML (an incoming invoice's XSLT): no script, no request
# anywhere, no form, its own opaque origin; only inline styles and data: images, as GİB's designs use.
ANSWERED = {
    "KABUL": _("Invoice %(number)s accepted: the KABUL answer is on its way to the supplier."),
    "RED": _("Invoice %(number)s rejected: the RED answer is on its way to the supplier."),
}


def _context(request, membership: Membership, **extra) -> dict:
    return {"membership": membership, "tenant": membership.tenant, "memberships": memberships_of(user=request.user), **extra}


class CappedPaginator(Paginator):
    """Counts matches up to ``COUNT_CAP``; past it, the pages run to the cap and the page says so (a
    narrower search finds the rest)."""

    @cached_property
    def matches(self) -> int:
        return self.object_list[: COUNT_CAP + 1].count()  # SELECT COUNT(*) FROM (… LIMIT cap + 1)

    @cached_property
    def count(self) -> int:
        return min(self.matches, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self.matches > COUNT_CAP


def _page(request, invoices):
    return CappedPaginator(invoices, PER_PAGE).get_page(request.GET.get("page"))


def _viewable(membership: Membership) -> Membership:
    if not membership.can(Permission.VIEW):
        raise PermissionDenied
    return membership


OUTGOING_COLUMNS = {"number": Column("number"), "date": Column("issue_date", descending=True), "customer": Column("customer_name"),
                    "amount": Column("payable_amount", descending=True)}
INBOX_COLUMNS = {"received": Column("received_at", descending=True), "supplier": Column("supplier_name"), "number": Column("number"),
                 "date": Column("issue_date", descending=True), "amount": Column("payable_amount", descending=True)}


def _keyset(request, invoices, columns: dict[str, Column], default: str) -> KeysetPage:
    return keyset_page(invoices, columns=columns, sort=request.GET.get("sort", default), default=default,
                       after=request.GET.get("after", ""), before=request.GET.get("before", ""), per_page=PER_PAGE)


def _headers(page: KeysetPage, columns: dict[str, Column]) -> dict[str, dict]:
    """Each sortable column's link: the other way round when the list is sorted by it, else its own first way."""
    headers = {}
    for name, column in columns.items():
        state = "desc" if page.sort == f"-{name}" else "asc" if page.sort == name else ""
        first = f"-{name}" if column.descending else name
        headers[name] = {"sort": {"desc": name, "asc": f"-{name}"}.get(state, first), "state": state}
    return headers


def _list_context(request, membership: Membership, page: KeysetPage, columns: dict[str, Column], **extra) -> dict:
    query = request.GET.copy()
    for cursor in ("after", "before"):
        query.pop(cursor, None)
    return _context(request, membership, page=page, headers=_headers(page, columns), query=query.urlencode(),
                    downloads=DownloadForm(initial={"query": query.urlencode()}), **extra)


@login_required
def outgoing_list(request, identifier: str):
    membership = _viewable(membership_or_404(request, identifier))
    tenant = membership.tenant
    form = OutgoingFilter(request.GET, profiles=selectors.profiles_of(tenant=tenant, direction=Invoice.Direction.OUTGOING))
    invoices = selectors.invoices_of(tenant=tenant, direction=Invoice.Direction.OUTGOING, filters=form.filters())
    page = _keyset(request, invoices, OUTGOING_COLUMNS, "-date")
    attention = selectors.attention_of(tenant=tenant, direction=Invoice.Direction.OUTGOING, now=timezone.now())
    needing = [(status, Status(status).label, attention[status]) for status in selectors.NEEDS_A_PERSON if attention[status]]
    return render(request, "portal/invoices/outgoing.html", _list_context(request, membership, page, OUTGOING_COLUMNS, form=form,
                                                                          needing=needing))


@login_required
def inbox(request, identifier: str):
    membership = _viewable(membership_or_404(request, identifier))
    now = timezone.now()
    form = IncomingFilter(request.GET)
    invoices = selectors.invoices_of(tenant=membership.tenant, direction=Invoice.Direction.INCOMING, filters=form.filters(), now=now)
    page = _keyset(request, invoices, INBOX_COLUMNS, "-received")
    rows = [(invoice, selectors.answer_state(invoice, now)) for invoice in page]
    attention = selectors.attention_of(tenant=membership.tenant, direction=Invoice.Direction.INCOMING, now=now)
    return render(request, "portal/invoices/inbox.html", _list_context(
        request, membership, page, INBOX_COLUMNS, form=form, rows=rows, attention=attention,
        can_answer=membership.can(Permission.RESPOND) and any(answer.open for _, answer in rows), answer_form=AnswerForm()))


@login_required
def search(request, identifier: str):
    membership = _viewable(membership_or_404(request, identifier))
    form = SearchForm(request.GET)
    invoices = selectors.invoices_of(tenant=membership.tenant, direction=form.chosen_direction(), filters=form.filters())
    page = _page(request, invoices.order_by("-issue_date", "-id"))
    return render(request, "portal/invoices/search.html", _context(request, membership, form=form, page=page))


def _invoice_or_404(membership: Membership, direction: str, uuid) -> Invoice:
    invoice = selectors.invoice_get(tenant=membership.tenant, direction=direction, uuid=uuid)
    if invoice is None:
        raise Http404
    return invoice


@login_required
def invoice_detail(request, identifier: str, direction: str, uuid):
    membership = _viewable(membership_or_404(request, identifier))
    invoice = _invoice_or_404(membership, direction, uuid)
    state = selectors.answer_state(invoice, timezone.now())
    context = _context(
        request, membership, invoice=invoice, history=invoice.status_changes.all(), answer=state,
        can_answer=state.open and membership.can(Permission.RESPOND), answer_form=AnswerForm(),
        customer_may_answer=invoice.direction == Invoice.Direction.OUTGOING and needs_answer(invoice.profile) and not invoice.answer,
        can_return=returnable(invoice) and membership.can(Permission.ISSUE),
        **_delivery(membership, invoice), **invoice_panel(membership, invoice),
    )
    invoice_event(request, invoice, Event.Action.VIEWED)
    return render(request, "portal/invoices/detail.html", context)


def _delivery(membership: Membership, invoice: Invoice) -> dict:
    """What the page shows of the invoice's way to its buyer: the PDF, the buyer's link, each delivery
    with its tries, and "send again" for those who may."""
    sealed = invoice.document_id is not None and invoice.document.kind in delivery_services.READABLE
    outgoing = invoice.direction == Invoice.Direction.OUTGOING
    deliverable = outgoing and sealed and invoice.status != Status.MIGRATED
    return {
        "pdf_ready": sealed,
        "deliveries": invoice.deliveries.prefetch_related("tries") if outgoing else [],
        "buyer_link": delivery_services.link_url(delivery_services.link_for(invoice=invoice)) if deliverable else "",
        "can_deliver": deliverable and membership.can(Permission.ISSUE), "delivery_form": DeliveryForm(),
    }


def _document(invoice: Invoice, document: str) -> bytes:
    """The invoice's XML, or its KABUL/RED (ours for an incoming one, the customer's for an outgoing one)."""
    xml = documents.answer_xml(invoice) if document == "response" else documents.invoice_xml(invoice)
    if not xml:
        raise Http404
    return xml


@login_required
def invoice_xml(request, identifier: str, direction: str, uuid, document: str = "invoice"):
    membership = _viewable(membership_or_404(request, identifier))
    invoice = _invoice_or_404(membership, direction, uuid)
    name = f"{invoice.number}-{invoice.answer}.xml" if document == "response" else f"{invoice.number}.xml"
    response = HttpResponse(_document(invoice, document), content_type="application/xml")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    invoice_event(request, invoice, Event.Action.DOWNLOADED, "XML" if document == "invoice" else f"{invoice.answer} XML")
    return response


@login_required
def invoice_view(request, identifier: str, direction: str, uuid, document: str = "invoice"):
    membership = _viewable(membership_or_404(request, identifier))
    invoice = _invoice_or_404(membership, direction, uuid)
    try:
        html = render_html(xml=_document(invoice, document))
    except DisplayError as exc:
        messages.error(request, str(exc))
        return redirect("portal:invoice", identifier=identifier, direction=direction, uuid=invoice.uuid)
    invoice_event(request, invoice, Event.Action.VIEWED, "HTML" if document == "invoice" else f"{invoice.answer} HTML")
    return sandboxed(html)


@require_POST
@login_required
def invoice_answer(request, identifier: str, uuid):
    """KABUL or RED from the invoice's page; the service decides whether it may be given."""
    membership = membership_or_404(request, identifier)
    invoice = _invoice_or_404(membership, Invoice.Direction.INCOMING, uuid)
    if not membership.can(Permission.RESPOND):
        raise PermissionDenied
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose KABUL or RED; a reason is at most 500 characters."))
    else:
        _answer(request, membership, invoice, form.cleaned_data["code"], form.cleaned_data["reason"])
    return redirect("portal:invoice", identifier=identifier, direction=Invoice.Direction.INCOMING, uuid=invoice.uuid)


@require_POST
@login_required
def invoice_return(request, identifier: str, uuid):
    """A return invoice (IADE) of an invoice received, prepared as a draft of the form and opened there."""
    membership = membership_or_404(request, identifier)
    invoice = _invoice_or_404(membership, Invoice.Direction.INCOMING, uuid)
    if not membership.can(Permission.ISSUE):
        raise PermissionDenied
    try:
        payload = return_payload(tenant=membership.tenant, invoice=invoice)
    except ValueError:
        messages.error(request, _("Invoice %(number)s cannot be returned with an IADE invoice: only a sale received as e-Fatura "
                                  "and not refused can.") % {"number": invoice.number})
        return redirect("portal:invoice", identifier=identifier, direction=Invoice.Direction.INCOMING, uuid=invoice.uuid)
    draft = drafts.draft_save(tenant=membership.tenant, user=request.user, payload=payload)
    messages.success(request, _("A return invoice (IADE) of %(number)s is ready as a draft: check what is returned, then issue it.")
                     % {"number": invoice.number})
    return redirect(reverse("portal:invoice-new", args=[identifier]) + f"?draft={draft.id}")


def _answer(request, membership: Membership, invoice: Invoice, code: str, reason: str) -> None:
    refused = _answered(request, membership, invoice, code, reason)
    if refused:
        messages.error(request, refused)
    else:
        messages.success(request, ANSWERED[code] % {"number": invoice.number})


def _answered(request, membership: Membership, invoice: Invoice, code: str, reason: str) -> str:
    """The answer given (""), or why it may not be."""
    try:
        answer_service(tenant=membership.tenant, invoice_uuid=invoice.uuid, code=code, reason=reason)
    except (DomainError, ParseError) as exc:
        return str(exc)
    invoice_event(request, invoice, Event.Action.ANSWERED, code)
    return ""


@require_POST
@login_required
def inbox_answer(request, identifier: str):
    """KABUL or RED for the invoices ticked in the inbox, each answered on its own: one that may not be
    answered says why, and the others go on. Back to the same page of the inbox."""
    membership = membership_or_404(request, identifier)
    if not membership.can(Permission.RESPOND):
        raise PermissionDenied
    form = BulkAnswerForm(request.POST)
    back = redirect(f"{reverse('portal:inbox', args=[identifier])}?{request.POST.get('query', '')}")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return back
    code, reason, ticked = form.cleaned_data["code"], form.cleaned_data["reason"], form.cleaned_data["uuid"]
    found = {str(invoice.uuid): invoice for invoice in Invoice.objects.filter(
        tenant=membership.tenant, direction=Invoice.Direction.INCOMING, uuid__in=ticked)}
    answered = []
    for ettn in ticked:
        if ettn not in found:
            messages.error(request, _("Invoice %(ettn)s is not in this inbox.") % {"ettn": ettn.upper()})
        elif refused := _answered(request, membership, found[ettn], code, reason):
            messages.error(request, refused)
        else:
            answered.append(found[ettn].number)
    if answered:
        messages.success(request, ngettext(
            "%(count)s invoice answered %(code)s: %(numbers)s. The answers are on their way to the suppliers.",
            "%(count)s invoices answered %(code)s: %(numbers)s. The answers are on their way to the suppliers.",
            len(answered)) % {"count": len(answered), "code": code, "numbers": ", ".join(answered)})
    return back


@login_required
def move_in(request, identifier: str):
    """Signed invoices brought from another integrator, archived as they came by a worker, file by file;
    the upload's page follows it and says what became of each file."""
    membership = membership_or_404(request, identifier)
    if not membership.can(Permission.CONFIGURE):
        raise PermissionDenied
    form = MoveInForm()
    if request.method == "POST":
        form = MoveInForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                upload = upload_start(tenant=membership.tenant, user=request.user, purpose=Upload.Purpose.MOVE_IN,
                                      sources=[(file.name, file.read()) for file in form.cleaned_data["files"]])
            except DomainError as exc:
                form.add_error("files", str(exc))
            else:
                request_event(request, tenant=membership.tenant, action=Event.Action.MOVED_IN, subject=("upload", upload.id),
                              detail=", ".join(upload.names)[:500])
                return redirect("portal:upload", identifier, upload.id)
    moves = list(uploads_of(tenant=membership.tenant, purpose=Upload.Purpose.MOVE_IN).select_related("uploaded_by")[:20])
    for upload in moves:
        counts = upload_counts(upload)
        upload.moved, upload.here, upload.refused = counts["moved_in"], counts["duplicates"], counts["refused"] - counts["duplicates"]
    return render(request, "portal/invoices/move_in.html", _context(request, membership, form=form, moves=moves))
