"""The hub's registry of users and aliases: who may send from which alias, and where each alias's
envelopes are forwarded (the ``endpoint`` of the integrator serving it)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gibhub.models import HubAlias, HubUser
from integrator.errors import DomainError
from tenants.aliases import normalize_alias


class RegistryError(DomainError):
    code = "gibhub_registry"
    message = _("The hub's registry refused the change.")


class AliasTaken(RegistryError):
    code = "gibhub_alias_taken"
    message = _("The alias %(name)s is active for %(owner)s; delete it there first.")


class BadRegistration(RegistryError):
    code = "gibhub_bad_registration"
    message = _("Cannot register %(identifier)s: %(reason)s")


def _is_identifier(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) in (10, 11)


def _check(identifier: str, aliases: Iterable[tuple[str, str]], integrator: str | None) -> None:
    if not _is_identifier(identifier):
        raise BadRegistration(identifier=identifier, reason=_("a VKN has 10 digits, a TCKN 11."))
    if integrator and not _is_identifier(integrator):
        raise BadRegistration(identifier=identifier, reason=_("the integrator %(integrator)r is no VKN (10 digits) or TCKN (11).") % {"integrator": integrator})
    for kind, name in aliases:
        if kind.upper() not in HubAlias.Kind.values or not name.strip():
            raise BadRegistration(identifier=identifier, reason=_("%(kind)s %(name)r is not a GB or PK alias.") % {"kind": kind, "name": name})


def hub_register(*, identifier: str, title: str, aliases: list[tuple[str, str]], endpoint: str,
                 integrator: str | None = None) -> HubUser:
    """Register (or update) a user and its *aliases* ``[(kind, name)]``, served at *endpoint*; with
    *integrator*, the VKN of the special integrator whose seal may seal the user's documents ("":
    none; None: left as it is).

    Idempotent: a second call with the same arguments changes nothing; with another endpoint, title
    or integrator it updates them. Aliases not named are left as they are. An alias active for
    another user, or in the other role, raises AliasTaken.
    """
    _check(identifier, aliases, integrator)
    with transaction.atomic():
        user, _created = HubUser.objects.select_for_update().get_or_create(identifier=identifier, defaults={"title": title})
        _user_set(user, title=title, integrator=user.integrator if integrator is None else integrator)
        for kind, name in aliases:
            _alias_set(user=user, kind=kind.upper(), name=normalize_alias(name), endpoint=endpoint)
    return user


def _user_set(user: HubUser, *, title: str, integrator: str) -> None:
    if (user.title, user.integrator) != (title, integrator):
        user.title, user.integrator = title, integrator
        user.save(update_fields=["title", "integrator"])


def _alias_set(*, user: HubUser, kind: str, name: str, endpoint: str) -> None:
    active = HubAlias.objects.select_for_update().filter(name=name, deleted_at__isnull=True).first()
    if active is None:
        HubAlias.objects.create(user=user, kind=kind, name=name, endpoint=endpoint)
    elif active.user_id != user.pk or active.kind != kind:
        raise AliasTaken(name=name, owner=f"{active.kind} {active.user.identifier}")
    elif active.endpoint != endpoint:
        active.endpoint = endpoint
        active.save(update_fields=["endpoint"])


def hub_alias_delete(*, name: str) -> bool:
    """Retire an alias (GİB keeps it in the list with its deletion time); False when none was active."""
    return bool(HubAlias.objects.filter(name=normalize_alias(name), deleted_at__isnull=True).update(deleted_at=timezone.now()))


# --- reads ---------------------------------------------------------------------------------------


def active_alias(*, name: str, kind: str, identifier: str | None = None) -> HubAlias | None:
    """The active *kind* alias called *name* (of the user *identifier*, when given), with its user."""
    found = HubAlias.objects.select_related("user").filter(name=normalize_alias(name), kind=kind, deleted_at__isnull=True)
    if identifier is not None:
        found = found.filter(user__identifier=identifier)
    return found.first()


def seal_holders(*, identifier: str) -> set[str]:
    """Whose seals may seal the documents *identifier* sends: its own, and its special integrator's
    when it has one registered (GİB lets an integrator seal its users' documents with its own seal)."""
    integrator = HubUser.objects.filter(identifier=identifier).values_list("integrator", flat=True).first()
    return {identifier, integrator} - {"", None}
