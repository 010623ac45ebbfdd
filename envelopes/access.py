"""Who may push envelopes to our receiving endpoint: GİB, and nobody else once the settings say so.

Two checks, each on when its setting is: the client's address is in ``GIB_PUSH_ALLOWED_NETWORKS``,
and the TLS-terminating proxy in front of us says it verified the client's certificate
(``GIB_PUSH_CLIENT_VERIFY_HEADER`` is ``SUCCESS``). The client's address is the one that connected,
unless that is one of ``GIB_PUSH_TRUSTED_PROXIES``: then X-Forwarded-For is read from its right end,
each trusted proxy passed over, and the first address that is not one is the client's. What cannot be
read is refused: an access check fails closed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
VERIFIED = "SUCCESS"  # nginx's $ssl_client_verify (and HAProxy's, Apache's SSL_CLIENT_VERIFY) for a verified certificate


class PushRefused(Exception):
    """The push is not let in; the message says why, for the log (the pusher is told less)."""


def push_check(*, meta: Mapping[str, str]) -> Address | None:
    """PushRefused when this request may not push; else the client's address, for the log (None:
    unknown, which only matters when GIB_PUSH_ALLOWED_NETWORKS is set). *meta*: ``request.META``."""
    peer = _address(meta.get("REMOTE_ADDR", ""), "the connecting address")
    from_proxy = peer is not None and _within(peer, settings.GIB_PUSH_TRUSTED_PROXIES)
    if settings.GIB_PUSH_CLIENT_VERIFY_HEADER:
        _check_verified(meta, settings.GIB_PUSH_CLIENT_VERIFY_HEADER, from_proxy=from_proxy, peer=peer)
    if not settings.GIB_PUSH_ALLOWED_NETWORKS:
        return peer
    client = _forwarded_client(meta, peer) if from_proxy else peer
    if client is None:
        raise PushRefused("the client's address is unknown")
    if not _within(client, settings.GIB_PUSH_ALLOWED_NETWORKS):
        raise PushRefused(f"{client} is not in GIB_PUSH_ALLOWED_NETWORKS")
    return client


def client_address(*, meta: Mapping[str, str]) -> Address | None:
    """The client's address, read as for a push: X-Forwarded-For believed only from a trusted proxy
    (None: no address). PushRefused when what is there cannot be read."""
    peer = _address(meta.get("REMOTE_ADDR", ""), "the connecting address")
    if peer is not None and _within(peer, settings.GIB_PUSH_TRUSTED_PROXIES):
        return _forwarded_client(meta, peer)
    return peer


def _check_verified(meta: Mapping[str, str], header: str, *, from_proxy: bool, peer: Address | None) -> None:
    # A client could send the header itself: once the proxies are named, only theirs counts.
    if settings.GIB_PUSH_TRUSTED_PROXIES and not from_proxy:
        raise PushRefused(f"{header} did not come through a trusted proxy (connected from {peer})")
    said = meta.get("HTTP_" + header.upper().replace("-", "_"), "")
    if said.strip() != VERIFIED:
        raise PushRefused(f"{header} is {said!r}, not {VERIFIED}: no verified client certificate")


def _forwarded_client(meta: Mapping[str, str], peer: Address) -> Address:
    """The rightmost address of X-Forwarded-For that is not a trusted proxy (each proxy appends the
    address it was connected from; only what trusted proxies appended can be believed)."""
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        if not _within(client, settings.GIB_PUSH_TRUSTED_PROXIES):
            break
        client = _address(hop, "X-Forwarded-For")
    return client


def _address(text: str, what: str) -> Address | None:
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise PushRefused(f"{what} {text[:60]!r} is not an IP address") from None
    # A dual-stack socket shows an IPv4 client as ::ffff:a.b.c.d; the settings name it as a.b.c.d.
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _within(address: Address, networks: Sequence[Network]) -> bool:
    return any(address.version == network.version and address in network for network in networks)
