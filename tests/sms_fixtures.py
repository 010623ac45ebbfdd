"""SMS under test, over real HTTP: the local SMS gateway on pytest-django's live server, the platform's
transports pointed at it, and two places that are no provider at all: a port nobody listens on, and
a server that takes the connection and never answers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from delivery.sms import TRANSPORTS, Transport

skip_without_gateway = pytest.mark.skipif(not django_settings.SMS_GATEWAY_ENABLED,
                                          reason="the local SMS gateway is off (SMS_GATEWAY_ENABLED)")
ACCOUNT = {"username": "demo", "password": "demo"}


@dataclass
class Gateway:
    base: str  # the live server's /smsgateway
    settings: object  # pytest-django's settings fixture

    def url(self, provider: str) -> str:
        return f"{self.base}/{provider}"

    def use(self, provider: str) -> None:
        """The platform sends through *provider*'s API at the gateway."""
        self.settings.SMS_PROVIDER, self.settings.SMS_URL = provider, self.url(provider)

    def transport(self, provider: str, **account) -> Transport:
        """*provider*'s transport at the gateway, with an account of its own (by default the gateway's)."""
        return TRANSPORTS[provider](url=self.url(provider), timeout=5, **{**ACCOUNT, **account})

    def force(self, code: str, *options: str) -> str:
        out = StringIO()
        call_command("smsgateway", "force", code, *options, stdout=out)
        return out.getvalue()

    # The gateway's models are imported when used: with the gateway off, its app is not installed.
    def received(self) -> list:
        """The messages the gateway kept, in the order they came."""
        from smsgateway.models import GatewayMessage

        return list(GatewayMessage.objects.order_by("id"))

    def forced(self) -> list[tuple[str, str]]:
        """(provider, code) of the forced codes not yet used up."""
        from smsgateway.models import ForcedCode

        return list(ForcedCode.objects.filter(remaining__gt=0).values_list("provider", "code"))


@pytest.fixture
def gateway(settings, live_server) -> Gateway:
    """The gateway with its account demo/demo, the platform sending to it by Netgsm's API."""
    settings.SMS_USERNAME, settings.SMS_PASSWORD = ACCOUNT["username"], ACCOUNT["password"]
    settings.SMS_TIMEOUT, settings.SMS_HEADER = 5, "ENTEGRATOR"
    gateway = Gateway(base=f"{live_server.url}/{django_settings.LOCAL_SMS_PATH}", settings=settings)
    gateway.use("netgsm")
    return gateway


@pytest.fixture
def closed_port() -> str:
    """An address nobody listens on: the port was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that never answers: it listens, so the connection is made (the system completes it
    in the listening queue), takes the request into its buffer, and never accepts nor replies."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
