"""manage.py archive_move_in --tenant VKN FILE..."""

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from integrator.commands import LocalizedCommand
from invoices.moving_in import ALREADY_HERE, MOVED_IN, REFUSED, files_move_in
from tenants.models import Tenant


class Command(LocalizedCommand):
    help = "Move a tenant's signed invoices from another integrator into the archive (XML files or ZIPs of them)."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="VKN", required=True, help="the tenant's VKN/TCKN")
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")

    def handle(self, *args, tenant: str, files: list[Path], lang: str | None, **options):
        found = Tenant.objects.filter(identifier=tenant).first()
        if found is None:
            raise CommandError(_("no tenant has the VKN/TCKN %(identifier)s") % {"identifier": tenant})
        outcomes = [outcome for path in files for outcome in files_move_in(tenant=found, name=path.name, data=path.read_bytes())]
        for outcome in outcomes:
            line = f"{outcome.name}: {outcome.label}" + (f" {outcome.number}" if outcome.number else "")
            self.stdout.write(f"{line}: {outcome.reason}" if outcome.reason else line)
        refused = sum(outcome.result == REFUSED for outcome in outcomes)
        summary = _("%(moved)d moved in, %(here)d already here, %(refused)d refused") % {
            "moved": sum(o.result == MOVED_IN for o in outcomes), "here": sum(o.result == ALREADY_HERE for o in outcomes), "refused": refused}
        if refused:
            raise CommandError(summary)
        self.stdout.write(summary)
