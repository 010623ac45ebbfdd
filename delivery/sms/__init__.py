"""The SMS transport of a delivery: one message to one Turkish mobile, through the provider
``SMS_PROVIDER`` names (Netgsm, Verimor or İleti Merkezi) at ``SMS_URL`` with the account
``SMS_USERNAME`` / ``SMS_PASSWORD``; unset, the local SMS gateway (``smsgateway``) speaking Netgsm's API.

``sms_send`` says what became of the try and never raises for what the provider or the network did:
accepted (with the provider's job id), refused for good (a bad number, text, sender name, account:
no try will do better) or for now (a limit, no credit, the provider's failure, no answer within
``SMS_TIMEOUT``: try again later). One class per provider (``TRANSPORTS``) knows its API.
"""

from __future__ import annotations

from django.conf import settings

from delivery.sms.iletimerkezi import IletiMerkezi
from delivery.sms.netgsm import Netgsm
from delivery.sms.numbers import InvalidNumber, mobile_number
from delivery.sms.transport import SmsResult, Transport
from delivery.sms.verimor import Verimor

__all__ = ["InvalidNumber", "SmsResult", "TRANSPORTS", "mobile_number", "sms_send", "transport"]

TRANSPORTS: dict[str, type[Transport]] = {"netgsm": Netgsm, "verimor": Verimor, "iletimerkezi": IletiMerkezi}


def transport() -> Transport:
    """The provider the settings name, with their account."""
    return TRANSPORTS[settings.SMS_PROVIDER](url=settings.SMS_URL, username=settings.SMS_USERNAME,
                                             password=settings.SMS_PASSWORD, timeout=settings.SMS_TIMEOUT)


def sms_send(*, number: str, text: str, header: str | None = None) -> SmsResult:
    """Send *text* to *number* (a Turkish mobile, written any way ``mobile_number`` reads) under the
    sender name *header* (the tenant's; None: ``SMS_HEADER``, the platform's).

    Raises InvalidNumber when *number* is not a Turkish mobile's: nothing is sent.
    """
    return transport().send(number=mobile_number(number), text=text, header=header or settings.SMS_HEADER)
