"""``manage.py gibhub force CODE [--receiver ALIAS] [--times N] [--on send|query]`` and
``manage.py gibhub register VKN TITLE --endpoint URL [--gb ALIAS]... [--pk ALIAS]... [--integrator VKN]``."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from gibhub.forcing import ForceInvalid, Operation, hub_force
from gibhub.registry import RegistryError, hub_register
from integrator.commands import LocalizedCommand

OPERATIONS = {"send": Operation.SEND, "query": Operation.QUERY, "processing": Operation.PROCESSING}


class Command(LocalizedCommand):
    help = "The local GİB hub: force the codes it answers, register users and their aliases."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        force = commands.add_parser("force", help="answer CODE for the next envelopes (or calls) on purpose")
        force.add_argument("code", type=int, metavar="CODE", help="a status code (1100–1999) or a fault (2000–2999)")
        force.add_argument("--receiver", default="", metavar="ALIAS", help="only for envelopes to this alias (default: any)")
        force.add_argument("--times", type=int, default=1, metavar="N", help="how many envelopes or calls (default 1)")
        force.add_argument("--on", choices=sorted(OPERATIONS),
                           help="default: processing for a status, query for 2004, send for other faults")
        earsiv = commands.add_parser("force-earsiv", help="answer CODE for the next e-Arşiv reports (durumKodu) or, with --fault, calls")
        earsiv.add_argument("code", type=int, metavar="CODE", help="a durumKodu (30 done, 10/15 processing, anything else failed) or a fault code")
        earsiv.add_argument("--fault", action="store_true", help="answer sendDocumentFile with an EArsivFault of CODE instead")
        earsiv.add_argument("--times", type=int, default=1, metavar="N", help="how many reports or calls (default 1)")
        register = commands.add_parser("register", help="register a user and its aliases at an integrator's endpoint")
        register.add_argument("identifier", metavar="VKN")
        register.add_argument("title", metavar="TITLE")
        register.add_argument("--endpoint", required=True, metavar="URL", help="the integrator's EFaturaService URL")
        register.add_argument("--gb", action="append", default=[], metavar="ALIAS")
        register.add_argument("--pk", action="append", default=[], metavar="ALIAS")
        register.add_argument("--integrator", metavar="VKN",
                              help="the special integrator whose seal may seal the user's documents (\"\": none; default: unchanged)")

    def handle(self, *args, action, **options):
        try:
            if action == "force-earsiv":
                return self._force_earsiv(**options)
            self._force(**options) if action == "force" else self._register(**options)
        except (ForceInvalid, RegistryError) as exc:
            raise CommandError(str(exc)) from None

    def _force(self, *, code, receiver, times, on, **options):
        forced = hub_force(code=code, receiver_alias=receiver, times=times, operation=OPERATIONS[on] if on else None)
        receiver = forced.receiver_alias or "any receiver"
        self.stdout.write(_("The hub answers %(code)s on %(operation)s %(times)s time(s), for %(receiver)s.") % {"code": forced.code, "operation": forced.operation, "times": forced.remaining, "receiver": receiver})

    def _force_earsiv(self, *, code, fault, times, **options):
        from gibhub.earsiv import hub_force_earsiv

        if times < 1:
            raise CommandError(_("--times must be at least 1."))
        forced = hub_force_earsiv(code=code, times=times, fault=fault)
        self.stdout.write(_("The hub answers %(code)s on %(operation)s %(times)s time(s).")
                          % {"code": forced.code, "operation": forced.operation, "times": forced.remaining})

    def _register(self, *, identifier, title, endpoint, gb, pk, integrator, **options):
        aliases = [("GB", name) for name in gb] + [("PK", name) for name in pk]
        user = hub_register(identifier=identifier, title=title, aliases=aliases, endpoint=endpoint, integrator=integrator)
        self.stdout.write(_("%(user)s: %(count)s alias(es) at %(endpoint)s.") % {"user": user, "count": len(aliases), "endpoint": endpoint})
