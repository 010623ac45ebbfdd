from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from integrator.commands import LocalizedCommand
from invoices.figures import figures_rebuild
from tenants.models import Tenant


class Command(LocalizedCommand):
    help = "Sum the reports' day figures again from the invoices, for one tenant or all."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="VKN", help="only this tenant (default: every tenant)")

    def handle(self, *args, tenant, **options):
        tenants = Tenant.objects.order_by("id")
        if tenant:
            tenants = tenants.filter(identifier=tenant)
            if not tenants:
                raise CommandError(_("No tenant has the VKN/TCKN %(identifier)s.") % {"identifier": tenant})
        for found in tenants:
            counted = figures_rebuild(tenant=found)
            self.stdout.write(_("%(tenant)s: figures summed again from %(count)s invoices.") % {"tenant": found, "count": counted})
