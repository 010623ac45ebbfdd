"""An envelope's way through the hub, as GİB's status codes, and the only moves between them.

1000 queued → 1100 processing → a refusal (11xx, final) or 1200 processed. From 1200 the hub delivers:
a failed try is 1210 (tried again; back to 1200 once delivered), 1215 when it stops trying; a delivered
envelope waits at 1200 for the receiver's system response, 1220 when it waits too long, and the
response makes it 1300 (the receiver processed it) or 1230 (it could not).
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from envelopes import codes
from gibhub.models import HubEnvelope, HubStatusChange
from integrator.errors import DomainError

QUEUED, PROCESSING, PROCESSED = 1000, 1100, 1200
NOT_DELIVERED, DELIVERY_ENDED, NO_ANSWER, ANSWER_FAILED, DONE = 1210, 1215, 1220, 1230, 1300
AWAITING_ANSWER = (PROCESSED, NOT_DELIVERED, NO_ANSWER)  # a receiver's system response may still come
_AFTER: dict[int, frozenset[int]] = {
    QUEUED: frozenset({PROCESSING}),
    PROCESSED: frozenset({NOT_DELIVERED, NO_ANSWER, ANSWER_FAILED, DONE}),
    NOT_DELIVERED: frozenset({PROCESSED, DELIVERY_ENDED, ANSWER_FAILED, DONE}),
    NO_ANSWER: frozenset({ANSWER_FAILED, DONE}),
}
_FOLD = str.maketrans("ÇĞİIÖŞÜçğıiöşü", "CGIIOSUCGIIOSU")


class IllegalMove(DomainError):
    code = "gibhub_illegal_move"
    message = _("A hub envelope cannot go from %(from)s to %(to)s.")


def allowed(current: int, to: int) -> bool:
    """1100 may end in any code (a refusal, 1200, or one forced on purpose); the rest follow ``_AFTER``."""
    if current == PROCESSING:
        return to not in (QUEUED, PROCESSING)
    return to in _AFTER.get(current, frozenset())


def gib_text(code: int) -> str:
    """GİB's text for a status, as GİB's service writes it: upper-case ASCII ("ZARF KUYRUGA EKLENDI")."""
    return folded(codes.status(code).text_tr)


def folded(text: str) -> str:
    return text.translate(_FOLD).upper()


def record(*, envelope: HubEnvelope, code: int, note: str = "") -> None:
    """The status row of a new envelope or of a move already checked; GİB's own text, unfolded."""
    HubStatusChange.objects.create(envelope=envelope, code=code, text=codes.status(code).text_tr, note=note[:2000])


def set_status(*, envelope: HubEnvelope, to: int, note: str = "") -> HubEnvelope:
    """Move a locked *envelope* to *to* when the table allows it, and record the move with its cause."""
    if not allowed(envelope.status, to):
        raise IllegalMove(**{"from": envelope.status, "to": to})
    envelope.status, envelope.status_at = to, timezone.now()
    envelope.save(update_fields=["status", "status_at"])
    record(envelope=envelope, code=to, note=note)
    return envelope


def locked(envelope_id: int) -> HubEnvelope:
    """The envelope, its row locked until the transaction ends; call inside ``transaction.atomic``."""
    return HubEnvelope.objects.select_for_update().get(pk=envelope_id)
