"""Reading what the gateway received."""

from __future__ import annotations

from django.db.models import QuerySet

from delivery.sms import InvalidNumber, mobile_number
from smsgateway.models import GatewayMessage


def messages_received(*, number: str = "", provider: str = "") -> QuerySet[GatewayMessage]:
    """The messages received, newest first: to *number* (a mobile written any way, which matches it
    in any of the providers' forms) and by *provider*'s API, when given."""
    messages = GatewayMessage.objects.all()
    if provider:
        messages = messages.filter(provider=provider)
    if number:
        try:
            messages = messages.filter(number__endswith=mobile_number(number))
        except InvalidNumber:
            messages = messages.filter(number=number.strip())
    return messages
