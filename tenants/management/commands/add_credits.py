from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from integrator.commands import LocalizedCommand
from tenants.ledger import credits_add
from tenants.models import Tenant


class Command(LocalizedCommand):
    help = "Top up a tenant's pay-per-use credits."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, metavar="VKN")
        parser.add_argument("amount", type=int)
        parser.add_argument("--note", default="")

    def handle(self, *args, tenant, amount, note, **options):
        found = Tenant.objects.filter(identifier=tenant).first()
        if found is None:
            raise CommandError(_("No tenant has the VKN/TCKN %(identifier)s.") % {"identifier": tenant})
        if amount < 1:
            raise CommandError(_("The amount must be a positive number of credits."))
        entry = credits_add(tenant=found, amount=amount, note=note)
        self.stdout.write(_("%(tenant)s: +%(amount)s credits, balance %(balance)s.") % {"tenant": found, "amount": amount, "balance": entry.balance_after})
