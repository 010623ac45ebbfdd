from django.utils.translation import gettext as _

from demo.setup import demo_exchange, demo_load, demo_login, demo_seals_renew
from integrator.commands import LocalizedCommand


class Command(LocalizedCommand):
    help = "Load the demo tenants, accountant and API keys once; later runs change nothing."

    def add_arguments(self, parser):
        parser.add_argument("--address", default="http://127.0.0.1:8000/", help="where the portal is served")

    def handle(self, *args, address, **options):
        created = demo_load()
        if created:
            self.stdout.write(self.style.SUCCESS(_("Demo loaded: two tenants, one accountant serving both.")))
            for tenant, raw_key in created["keys"].items():
                self.stdout.write(_("  API key of %(tenant)s (shown only now):") % {"tenant": tenant} + f"\n    {raw_key}")
        else:
            renewed = demo_seals_renew()
            self.stdout.write(_("Demo already loaded; nothing changed. (API keys are shown only when created.)") if not renewed
                              else _("Demo already loaded; its ending test seals renewed. (API keys are shown only when created.)"))
            for tenant in renewed:
                self.stdout.write(_("  %(tenant)s: a new local test seal, valid for a year") % {"tenant": tenant})
        demo_exchange(address=address)
        username, password = demo_login()
        self.stdout.write(self.style.SUCCESS(_("\n  Portal:  %(address)s") % {"address": address}))
        self.stdout.write(_("  Login:   %(user)s / %(password)s\n") % {"user": username, "password": password or _("(password set elsewhere)")})
