"""``manage.py smsgateway force CODE [--provider netgsm|verimor|iletimerkezi] [--times N]``,
``manage.py smsgateway list [--number NUMBER] [--provider …] [--limit N]`` and
``manage.py smsgateway clear-forced [--provider …]``."""

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from integrator.commands import LocalizedCommand
from smsgateway.codes import PROVIDERS
from smsgateway.forcing import ForceInvalid, gateway_clear_forced, gateway_force
from smsgateway.selectors import messages_received


class Command(LocalizedCommand):
    help = "The local SMS gateway: force the codes it answers, list the messages it received."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        force = commands.add_parser("force", help="answer CODE to the next messages on purpose")
        force.add_argument("code", metavar="CODE", help="a code of the provider's API (Netgsm 20…101, Verimor INSUFFICIENT_CREDITS…, İleti Merkezi 401…)")
        force.add_argument("--provider", choices=PROVIDERS, help="whose API (default: SMS_PROVIDER)")
        force.add_argument("--times", type=int, default=1, metavar="N", help="how many messages (default 1)")
        listing = commands.add_parser("list", help="the messages received, newest first")
        listing.add_argument("--number", default="", help="only to this number (any way it is written)")
        listing.add_argument("--provider", choices=PROVIDERS, help="only by this provider's API")
        listing.add_argument("--limit", type=int, default=20, metavar="N", help="at most N messages (default 20)")
        clear = commands.add_parser("clear-forced", help="forget the forced codes not yet used up")
        clear.add_argument("--provider", choices=PROVIDERS, help="only this provider's (default: all)")

    def handle(self, *args, action, **options):
        try:
            {"force": self._force, "list": self._list, "clear-forced": self._clear}[action](**options)
        except ForceInvalid as exc:
            raise CommandError(str(exc)) from None

    def _force(self, *, code, provider, times, **options):
        forced = gateway_force(provider=provider or settings.SMS_PROVIDER, code=code, times=times)
        self.stdout.write(_("The gateway answers %(code)s to the next %(times)s %(provider)s message(s).") % {
            "code": forced.code, "times": forced.remaining, "provider": forced.get_provider_display()})

    def _list(self, *, number, provider, limit, **options):
        messages = messages_received(number=number, provider=provider or "")[:max(limit, 0)]
        for message in messages:
            self.stdout.write(f"{timezone.localtime(message.received_at):%Y-%m-%d %H:%M:%S}  {message.provider:<12}  "
                              f"{message.header:<11}  {message.number:<13}  {message.code:<6}  {message.job_id or '-':<10}  {message.text}")
        if not messages:
            self.stdout.write(_("No messages."))

    def _clear(self, *, provider, **options):
        self.stdout.write(_("%(count)s forced code(s) cleared.") % {"count": gateway_clear_forced(provider=provider)})
