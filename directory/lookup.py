"""Looking users up in GİB's registered-user list: who is registered, and which postbox gets their
documents. An alias counts while it has no deletion time, or one still in the future."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from django.utils import timezone

from directory.models import RegisteredAlias, RegisteredUser


def _active() -> Q:
    return Q(deleted_at__isnull=True) | Q(deleted_at__gt=timezone.now())


def registered_user(identifier: str) -> RegisteredUser | None:
    """The user GİB lists under this VKN/TCKN, with its active aliases (GB and PK, every document
    type) in ``active_aliases``; None when neither list names it."""
    active = RegisteredAlias.objects.filter(_active()).order_by("kind", "document_type", "created_at", "name")
    users = RegisteredUser.objects.prefetch_related(Prefetch("aliases", queryset=active, to_attr="active_aliases"))
    return users.filter(identifier=identifier).first()


def default_postbox(identifier: str, document_type: str = "Invoice") -> RegisteredAlias | None:
    """The postbox (PK) to send this user's documents of this type to; None: not a registered
    receiver (for an invoice: e-Arşiv, not e-Fatura).

    Of several active postboxes, the oldest: the box a taxpayer opened first is its main one, later
    ones are usually for branches or departments (a receiver who wants one of those names it on the
    order). The name breaks ties, so the choice is the same on every call.
    """
    postboxes = RegisteredAlias.objects.filter(
        _active(), user__identifier=identifier, kind=RegisteredAlias.Kind.PK, document_type=document_type
    )
    return postboxes.order_by("created_at", "name").first()


def is_postbox(identifier: str, alias: str, document_type: str = "Invoice") -> bool:
    """Whether *alias* is an active postbox (PK) of this user for this document type."""
    return RegisteredAlias.objects.filter(
        _active(), user__identifier=identifier, kind=RegisteredAlias.Kind.PK, document_type=document_type, name=alias
    ).exists()
