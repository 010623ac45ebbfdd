"""manage.py ubl_sign IN OUT [--seal NAME] [--timestamp]

Seals a UBL-TR document with a registered seal: the one named, else the supplier's (or the
integrator's, for a supplier who authorised it). Exit status 0 sealed, 1 refused, 2 usage error.
"""

from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from integrator.commands import LocalizedCommand
from integrator.errors import DomainError
from signing import services, xades
from signing.models import Seal
from tenants.models import Tenant

SUPPLIER_ID = "string(cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID[@schemeID='VKN' or @schemeID='TCKN'])"


class Command(LocalizedCommand):
    help = "Seal a UBL-TR invoice or application response (XAdES-BES; XAdES-T with --timestamp)."

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="IN")
        parser.add_argument("target", metavar="OUT")
        parser.add_argument("--seal", metavar="NAME", help="a registered seal by name (default: the supplier's)")
        parser.add_argument("--timestamp", action="store_true", help="add an RFC 3161 timestamp (XAdES-T)")

    def handle(self, *args, source: str, target: str, seal: str | None, timestamp: bool, **options):
        path = Path(source)
        if not path.is_file():
            raise CommandError(_("no such file: %(files)s") % {"files": source}, returncode=2)
        xml = path.read_bytes()
        try:
            signed = self._sign(xml, seal, timestamp)
        except DomainError as exc:
            raise CommandError(_("%(file)s: %(reason)s") % {"file": source, "reason": exc}) from exc
        Path(target).write_bytes(signed)
        self.stdout.write(_("%(source)s: sealed into %(target)s") % {"source": source, "target": target})

    def _sign(self, xml: bytes, name: str | None, timestamped: bool) -> bytes:
        if name is None:
            return services.document_seal(tenant=self._supplier(xml), xml=xml, timestamped=timestamped)
        supplier = self._supplier_identifier(xml)
        return services.seal_with(seal=self._named(name), supplier=supplier, xml=xml, timestamped=timestamped)

    @staticmethod
    def _supplier_identifier(xml: bytes) -> str:
        return xades.parse(xml).xpath(SUPPLIER_ID, namespaces=xades.NS).strip()

    def _supplier(self, xml: bytes) -> Tenant:
        identifier = self._supplier_identifier(xml)
        tenant = Tenant.objects.filter(identifier=identifier).first() if identifier else None
        if tenant is None:
            raise CommandError(_("the supplier %(identifier)s is not a tenant here; name a seal with --seal") % {"identifier": identifier or "-"})
        return tenant

    @staticmethod
    def _named(name: str) -> Seal:
        seals = list(Seal.objects.filter(name=name, is_active=True))
        if len(seals) != 1:
            said = _("no active seal is named %(name)r") if not seals else _("%(count)s active seals are named %(name)r")
            raise CommandError(said % {"name": name, "count": len(seals)}, returncode=2)
        return seals[0]
