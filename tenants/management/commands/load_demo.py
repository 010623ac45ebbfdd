from django.core.management.base import BaseCommand

from tenants.demo import demo_exchange, demo_load, demo_login, demo_seals_renew


class Command(BaseCommand):
    help = "Load the demo tenants, accountant and API keys once; later runs change nothing."

    def add_arguments(self, parser):
        parser.add_argument("--address", default="http://127.0.0.1:8000/", help="where the portal is served")

    def handle(self, *args, address, **options):
        created = demo_load()
        if created:
            self.stdout.write(self.style.SUCCESS("Demo loaded: two tenants, one accountant serving both."))
            for tenant, raw_key in created["keys"].items():
                self.stdout.write(f"  API key of {tenant} (shown only now):\n    {raw_key}")
        else:
            renewed = demo_seals_renew()
            self.stdout.write("Demo already loaded; " + ("nothing changed." if not renewed else "its ending test seals renewed:")
                              + " (API keys are shown only when created.)")
            for tenant in renewed:
                self.stdout.write(f"  {tenant}: a new local test seal, valid for a year")
        demo_exchange(address=address)
        username, password = demo_login()
        self.stdout.write(self.style.SUCCESS(f"\n  Portal:  {address}"))
        self.stdout.write(f"  Login:   {username} / {password or '(password set elsewhere)'}\n")
