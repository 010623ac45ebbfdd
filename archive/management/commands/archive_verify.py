"""manage.py archive_verify [--tenant VKN] [--since DATE] [--sample N]"""

import datetime as dt

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from archive.services import archive_verify
from integrator.commands import LocalizedCommand
from tenants.models import Tenant


class Command(LocalizedCommand):
    help = "Read the archive's objects back, recompute their hashes and the chain, and report what is wrong."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", metavar="VKN", help="only this tenant's documents (VKN/TCKN)")
        parser.add_argument("--since", type=dt.date.fromisoformat, metavar="YYYY-MM-DD", help="read only objects stored since this day")
        parser.add_argument("--sample", type=int, metavar="N", help="read N objects at random per tenant (the chain is always checked whole)")

    def handle(self, *args, tenant: str | None, since: dt.date | None, sample: int | None, lang: str | None, **options):
        found = None
        if tenant:
            found = Tenant.objects.filter(identifier=tenant).first()
            if found is None:
                raise CommandError(_("no tenant has the VKN/TCKN %(identifier)s") % {"identifier": tenant})
        result = archive_verify(tenant=found, since=since, sample=sample)
        for problem in result.problems:
            self.stdout.write(_("document %(id)s (%(key)s): %(what)s") % {"id": problem.document, "key": problem.key, "what": problem.what})
        summary = ngettext("%(count)d document read", "%(count)d documents read", result.checked) % {"count": result.checked}
        if result.problems:
            raise CommandError(_("%(summary)s; %(problems)d problem(s) found.") % {"summary": summary, "problems": len(result.problems)})
        self.stdout.write(_("%(summary)s; the archive is intact.") % {"summary": summary})
