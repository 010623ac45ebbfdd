"""manage.py seal_import FILE --name NAME [--tenant VKN]

Registers a PKCS#12 seal (the tenant's, or without --tenant the integrator's own) as the active
one. The password is read from SEAL_PASSWORD, or asked for; it is never taken on the command line,
where other users and shell histories would see it.
"""

import getpass
import os
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from integrator.commands import LocalizedCommand
from integrator.errors import DomainError
from signing.services import seal_import_pkcs12
from tenants.models import Tenant


class Command(LocalizedCommand):
    help = "Register a PKCS#12 seal for a tenant (or the integrator's seal); the password comes from SEAL_PASSWORD or a prompt."

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--name", required=True)
        parser.add_argument("--tenant", metavar="VKN", help="the tenant's VKN/TCKN; without it, the integrator's seal")

    def handle(self, *args, file: str, name: str, tenant: str | None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("no such file: %(files)s") % {"files": file}, returncode=2)
        owner = Tenant.objects.filter(identifier=tenant).first() if tenant else None
        if tenant and owner is None:
            raise CommandError(_("No tenant has the VKN/TCKN %(identifier)s.") % {"identifier": tenant}, returncode=2)
        password = os.environ.get("SEAL_PASSWORD")
        if password is None:
            password = getpass.getpass("PKCS#12 password: ")
        try:
            seal = seal_import_pkcs12(tenant=owner, name=name, data=path.read_bytes(), password=password.encode())
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(_("seal %(seal)s registered, valid until %(date)s") % {"seal": seal, "date": f"{seal.not_after:%Y-%m-%d}"})
