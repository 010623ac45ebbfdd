"""The states of an invoice, and the only moves between them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    ISSUED = "issued", _("Issued")  # numbered and built, not yet checked
    INVALID = "invalid", _("Invalid")  # failed validation: fix and issue again
    VALID = "valid", _("Validated")  # passed GİB's schema and schematron and our own rules
    HELD = "held", _("Waiting for a usable seal")  # none, expired, wrong PIN…: a person must act, then it goes on
    SEALED = "sealed", _("Sealed")
    KEPT = "kept", _("e-Arşiv, kept for delivery")  # sealed e-Arşiv invoices do not go through GİB's envelopes
    QUEUED = "queued", _("In an envelope")
    SENT = "sent", _("Sent to GİB")
    FAILED = "failed", _("Failed at GİB")
    DELIVERED = "delivered", _("Delivered")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    RECEIVED = "received", _("Received")  # an incoming invoice
    MIGRATED = "migrated", _("Moved in")  # issued or received at another integrator, brought here to be kept


TRANSITIONS: dict[str, frozenset[str]] = {
    Status.ISSUED: frozenset({Status.VALID, Status.INVALID}),
    Status.INVALID: frozenset(),
    Status.VALID: frozenset({Status.SEALED, Status.HELD}),
    Status.HELD: frozenset({Status.VALID}),  # a usable seal was registered: sealing goes on
    Status.SEALED: frozenset({Status.QUEUED, Status.KEPT, Status.FAILED}),
    Status.KEPT: frozenset(),
    Status.QUEUED: frozenset({Status.SENT, Status.FAILED}),
    # The receiver's answer may overtake our poll for 1300: it proves delivery.
    Status.SENT: frozenset({Status.DELIVERED, Status.FAILED, Status.SENT, Status.ACCEPTED, Status.REJECTED}),
    Status.FAILED: frozenset({Status.SEALED}),  # back in the queue for a new envelope, same ETTN
    Status.DELIVERED: frozenset({Status.ACCEPTED, Status.REJECTED}),
    Status.ACCEPTED: frozenset(),
    Status.REJECTED: frozenset(),
    Status.RECEIVED: frozenset({Status.ACCEPTED, Status.REJECTED}),
    Status.MIGRATED: frozenset(),  # kept as it was brought: never issued, sent or answered here
}
