import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from integrator.commands import LocalizedCommand
from tenants.api_keys import api_key_create
from tenants.models import ApiKey, Tenant


class Command(LocalizedCommand):
    help = "Create an API key for a tenant and print it. The key is shown only this once."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, metavar="VKN", help="the tenant's VKN or TCKN")
        parser.add_argument(
            "--scope", action="append", choices=ApiKey.Scope.values, dest="scopes", help="repeat for several (default: all)"
        )
        parser.add_argument("--name", default="API key", help="a name telling keys apart")
        parser.add_argument("--expires-days", type=int, metavar="N", help="the key stops working after N days")

    def handle(self, *args, tenant, scopes, name, expires_days, **options):
        found = Tenant.objects.filter(identifier=tenant).first()
        if found is None:
            raise CommandError(_("No tenant has the VKN/TCKN %(identifier)s.") % {"identifier": tenant})
        if expires_days is not None and expires_days < 1:
            raise CommandError(_("--expires-days must be at least 1."))
        expires_at = timezone.now() + datetime.timedelta(days=expires_days) if expires_days else None
        try:
            api_key, raw_key = api_key_create(tenant=found, name=name, scopes=scopes or ApiKey.Scope.values, expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stderr.write(_("API key for %(tenant)s (scopes: %(scopes)s). It will not be shown again:") % {"tenant": found, "scopes": ", ".join(api_key.scopes)})
        self.stdout.write(raw_key)
