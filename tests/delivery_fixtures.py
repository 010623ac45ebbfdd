"""Delivery under test: a real SMTP server on loopback (aiosmtpd) that keeps what it receives and can
refuse or stall, and tenant A ready to issue e-Arşiv invoices through the API (its seal, an e-Arşiv
series, the local TSA), tasks run in-process."""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from signing import pki
from signing.services import keys_close
from tenants.api_keys import api_key_create
from tenants.models import NumberSeries
from tenants.numbering import series_create
from tests.exchange_fixtures import eager, equip, trust
from tests.invoice_payloads import PERSON

BUYER_EMAIL = "ayse.yilmaz@example.com.tr"
BUYER = {**PERSON, "email": BUYER_EMAIL}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """The SMTP server's side: every message it took, as (from, to, bytes). ``refuse`` answers every
    RCPT with that reply instead; ``stall`` seconds pass before DATA is answered (the message is kept
    first, as a server that took it and then went quiet)."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: str = ""
    stall: float = 0.0
    taken: threading.Event = field(default_factory=threading.Event)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        self.taken.set()
        if self.stall:
            await asyncio.sleep(self.stall)
        return f"250 2.0.0 Ok: queued as Q{len(self.messages)}"

    def parsed(self, index: int = -1) -> EmailMessage:
        return message_from_bytes(self.messages[index][2], policy=policy.default)


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback, and the platform sending to it."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = mailbox.host, mailbox.port, False, 5
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "", ""
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def earsiv(settings, tmp_path, gib_package, local_tsa, test_root, seal_a, tenant_a):
    """Tenant A with its seal, credits and an e-Arşiv series, the local TSA for e-Arşiv's timestamps,
    an API key; tasks run in-process. Yields the key."""
    trust(settings, tmp_path, test_root)
    roots = tmp_path / "tsa-roots.pem"
    roots.write_bytes(pki.pem(local_tsa.root.certificate))
    settings.TSA_URL, settings.TSA_TRUST_ROOTS = local_tsa.url, str(roots)
    settings.PUBLIC_URL = "https://portal.example.com.tr"
    keys_close()
    equip(tenant_a, seal_a, test_root)
    series_create(tenant=tenant_a, prefix="EAA", kind=NumberSeries.Kind.EARSIV, is_default=True)
    with eager():
        yield api_key_create(tenant=tenant_a, name="erp", scopes=["read", "send", "respond"])[1]
    keys_close()
