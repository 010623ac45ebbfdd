"""manage.py run_tsa [--bind HOST:PORT]: serve the local RFC 3161 timestamp authority."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrator.commands import LocalizedCommand
from signing.tsa_server import application_from_settings, make_tsa_server, parse_bind

DEFAULT_BIND = "127.0.0.1:8318"  # where the default TSA_URL points
AUTHENTICATION = {
    None: gettext_lazy("no authentication"),
    "basic": gettext_lazy("HTTP Basic auth (TSA_USERNAME)"),
    "kamusm": gettext_lazy("Kamu SM's identity header (customer number TSA_USERNAME)"),
}


class Command(LocalizedCommand):
    help = "Serve the local timestamp authority (RFC 3161 over HTTP) that the embedded default and the demo use."
    requires_system_checks = []  # it needs no database and no GİB package

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=DEFAULT_BIND, metavar="HOST:PORT", help=f"default: {DEFAULT_BIND}")

    def handle(self, *args, bind: str, **options):
        try:
            host, port = parse_bind(bind)
            application = application_from_settings()
            server = make_tsa_server(application, host, port)
        except (ValueError, OSError) as exc:  # a bad --bind, a busy port, a key that does not fit
            raise CommandError(_("run_tsa: %(reason)s") % {"reason": exc}) from exc
        auth = AUTHENTICATION[application.auth]
        self.stdout.write(_("local TSA %(subject)s on http://%(bind)s/, policy %(policy)s, %(auth)s") % {"subject": application.subject, "bind": bind, "policy": application.policy, "auth": auth})
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
