"""Who gets e-Fatura: the decision, made when an invoice is issued, and its reason.

A customer on GİB's registered-user list gets e-Fatura, in the postbox (PK alias) the sender names,
else in its main one; anyone else gets e-Arşiv. Only TEMELFATURA and TICARIFATURA can become
e-Arşiv: the other profiles (KAMU, IHRACAT, …) exist only between registered users, so an invoice of
theirs to someone not on the list is refused rather than turned into something else.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from directory.lookup import default_postbox, is_postbox
from integrator.errors import DomainError

EARSIV = "EARSIVFATURA"
CONVERTIBLE = ("TEMELFATURA", "TICARIFATURA")

# The channels and the reasons, as plain values (the invoice keeps them: ``Invoice.Channel``, ``Invoice.Routing``).
CHANNEL_EFATURA, CHANNEL_EARSIV = "efatura", "earsiv"
EARSIV_ASKED, ALIAS_GIVEN, DEFAULT_ALIAS, NOT_REGISTERED = "earsiv_asked", "alias_given", "default_alias", "not_registered"


class NotRegistered(DomainError):
    code = "customer_not_registered"
    message = _("%(identifier)s is not on GİB's registered-user list, and a %(profile)s invoice goes only to registered e-Fatura users.")


class UnknownPostbox(DomainError):
    code = "receiver_alias_unknown"
    message = _("%(alias)s is not an active postbox (PK alias) of %(identifier)s on GİB's registered-user list.")


@dataclass(frozen=True)
class Route:
    channel: str
    profile: str
    alias: str
    reason: str


def route(*, profile: str, customer: str, alias: str = "") -> Route:
    """The channel, the profile to build (EARSIVFATURA for a customer not on the list) and the postbox."""
    if profile == EARSIV:
        return Route(CHANNEL_EARSIV, EARSIV, "", EARSIV_ASKED)
    if alias:
        return Route(CHANNEL_EFATURA, profile, _named_postbox(customer, alias), ALIAS_GIVEN)
    postbox = default_postbox(customer)
    if postbox is not None:
        return Route(CHANNEL_EFATURA, profile, postbox.name, DEFAULT_ALIAS)
    if profile not in CONVERTIBLE:
        raise NotRegistered(identifier=customer, profile=profile)
    return Route(CHANNEL_EARSIV, EARSIV, "", NOT_REGISTERED)


def _named_postbox(customer: str, alias: str) -> str:
    if not is_postbox(customer, alias):
        raise UnknownPostbox(alias=alias, identifier=customer)
    return alias
