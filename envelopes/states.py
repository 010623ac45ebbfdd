"""What a GİB status code does to an outgoing envelope and to the documents in it.

The code table (``envelopes.codes``) gives each code its action; this module carries it out, once per
change of code, and records it. Invoices follow their envelope: waiting codes keep them SENT (with the
code), 1300 makes them DELIVERED, refusals make them FAILED (1163 also ``never_resend``), and 1215/1230
put them back in the queue for a new envelope with the same ETTN, up to ``GIB_RESENDS`` times
(``requeued`` tells the pipeline so).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envelopes import codes
from envelopes.codes import Action
from envelopes.models import Envelope, EnvelopeStateChange, EnvelopeStatus
from integrator.errors import DomainError
from invoices.models import Invoice
from invoices.services import gib_code_set, statuses_set
from invoices.status import Status

ATTENTION_AFTER = dt.timedelta(hours=48)  # GİB's advice for 1220

State = Envelope.State
# Where an envelope may go from each state ("": it is being made). An outgoing one is packed, handed
# to GİB (SENDING again: a retried call), then followed (SENT) until GİB's code is final (DONE); GİB's
# answer pushed to us may overtake our record of the send. An incoming one is received, or refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    "": frozenset({State.PACKED, State.RECEIVED}),
    State.PACKED: frozenset({State.SENDING}),
    State.SENDING: frozenset({State.SENDING, State.SENT, State.DONE}),
    State.SENT: frozenset({State.SENT, State.DONE}),
    State.DONE: frozenset({State.DONE}),
    State.RECEIVED: frozenset({State.REFUSED}),
    State.REFUSED: frozenset(),
}


class IllegalEnvelopeMove(DomainError):
    code = "illegal_envelope_move"
    message = _("An envelope cannot go from %(from)s to %(to)s.")


def envelope_made(envelope: Envelope, *, text: str = "") -> Envelope:
    """Record the state a new envelope starts in."""
    return envelope_move(envelope, to=envelope.state, text=text, made=True)


def envelope_move(envelope: Envelope, *, to: str, text: str = "", now: dt.datetime | None = None, made: bool = False) -> Envelope:
    """Move *envelope* (locked by the caller, who saves it) to *to* if the table allows it; a move to
    another state is recorded."""
    start = "" if made else envelope.state
    if to not in TRANSITIONS[start]:
        raise IllegalEnvelopeMove(**{"from": start or "-", "to": to})
    if to != start:
        EnvelopeStateChange.objects.create(envelope=envelope, from_state=start, to_state=to, text=text, created_at=now or timezone.now())
    envelope.state = to
    return envelope


def next_poll(envelope: Envelope, now: dt.datetime) -> dt.datetime:
    """Backoff: the first poll after GIB_POLL_FIRST seconds, then twice as long each time, up to GIB_POLL_MAX."""
    seconds = min(settings.GIB_POLL_FIRST * 2 ** min(envelope.polls, 20), settings.GIB_POLL_MAX)
    return now + dt.timedelta(seconds=seconds)


def record(envelope: Envelope, *, code: int | None, text: str, source: str, now: dt.datetime) -> None:
    EnvelopeStatus.objects.create(envelope=envelope, code=code, text=text, source=source, created_at=now)


def _invoices_status(invoices: list[Invoice], entry: codes.Status) -> None:
    """GİB's code *entry* for the envelope's *invoices*: those SENT move as it says (DELIVERED, FAILED,
    or stay SENT with the code recorded), all in one batch; every one records the code."""
    code, text = str(entry.code), entry.text_tr
    sent = [invoice for invoice in invoices if invoice.status == Status.SENT]
    moved_before = [invoice for invoice in invoices if invoice.status != Status.SENT]  # a late code: only the code is recorded
    if entry.action == Action.DONE:
        to = Status.DELIVERED
    elif entry.action in (Action.FIX_AND_RESEND, Action.NEVER_RESEND, Action.RESEND):
        to = Status.FAILED
        for invoice in sent:
            invoice.never_resend = entry.action == Action.NEVER_RESEND
    else:
        to = Status.SENT
    statuses_set(invoices=sent, to=to, code=code, text=text, gib_code=entry.code)
    for invoice in moved_before:
        gib_code_set(invoice=invoice, code=entry.code, never_resend=invoice.never_resend)


def _resend(invoices: list[Invoice]) -> list[Invoice]:
    """Invoices GİB gave up delivering (1215) or the receiver refused (1230), back in the queue while
    they have sends left: they go in a new envelope, keeping their ETTN."""
    again = [i for i in invoices if i.status == Status.FAILED and i.sends <= settings.GIB_RESENDS]
    return statuses_set(invoices=again, to=Status.SEALED)  # back in the queue: the failure before it says why


def requeued(envelope: Envelope) -> bool:
    """Whether the code just applied to *envelope* put invoices back in the queue to be packed again."""
    return envelope.type == Envelope.Type.SENDER and envelope.code is not None and codes.status(envelope.code).action == Action.RESEND


def _attention(envelope: Envelope, entry: codes.Status, now: dt.datetime) -> str:
    if entry.action == Action.ATTENTION:
        return entry.text_en
    if entry.action == Action.ATTENTION_AFTER_48H and envelope.sent_at and now - envelope.sent_at >= ATTENTION_AFTER:
        return "No system response from the receiver for 48 hours (1220): ask the receiver or GİB."
    return ""


def envelope_apply(*, envelope: Envelope, code: int, text: str, source: str, now: dt.datetime | None = None) -> Envelope:
    """Apply GİB's *code* for a locked outgoing *envelope*; returns it saved. A repeated code only
    moves the next poll."""
    now = now or timezone.now()
    entry = codes.status(code)
    if code != envelope.code:
        record(envelope, code=code, text=text or entry.text_tr, source=source, now=now)
        envelope.code, envelope.text = code, text or entry.text_tr
        if envelope.type == Envelope.Type.SENDER:
            _follow(envelope, entry)
    envelope.attention = _attention(envelope, entry, now) or envelope.attention
    final = entry.final or envelope.state == State.DONE  # a final envelope stays final; a late code is only recorded
    envelope_move(envelope, to=State.DONE if final else State.SENT, text=str(code), now=now)
    envelope.next_poll_at = None if final else next_poll(envelope, now)
    envelope.save()
    return envelope


def _follow(envelope: Envelope, entry: codes.Status) -> None:
    invoices = list(envelope.invoices.select_for_update(of=("self",)).select_related("tenant").order_by("id"))
    _invoices_status(invoices, entry)
    if entry.action == Action.RESEND:
        _resend(invoices)
