"""manage.py ubl_verify [--json] FILE...

Verifies the seal of each document against the configured trust roots. Exit status 0 when every
file verifies, 1 otherwise, 2 on usage errors.
"""

import json
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from integrator.commands import LocalizedCommand
from signing.verify import Verification, verify


class Command(LocalizedCommand):
    help = "Verify the XAdES seal of UBL-TR documents: digest, signature, certificate chain, validity, timestamp."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--json", action="store_true", dest="as_json", help="one JSON object per line per file")

    def handle(self, *args, files: list[str], as_json: bool, **options):
        paths = [Path(name) for name in files]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError(_("no such file: %(files)s") % {"files": ", ".join(missing)}, returncode=2)
        reports = [(path, verify(path.read_bytes())) for path in paths]
        for path, report in reports:
            self.stdout.write(self._as_json(path, report) if as_json else self._as_text(path, report))
        if not all(report.valid for _, report in reports):
            raise SystemExit(1)

    @staticmethod
    def _as_json(path: Path, report: Verification) -> str:
        return json.dumps({"file": str(path), **report.as_dict()}, ensure_ascii=False)

    @staticmethod
    def _as_text(path: Path, report: Verification) -> str:
        if report.valid:
            when = (report.timestamp_time or report.signing_time).isoformat()
            said = _("%(file)s: verified, sealed by %(signer)s (%(identifier)s) at %(when)s, timestamped") if report.timestamp_time \
                else _("%(file)s: verified, sealed by %(signer)s (%(identifier)s) at %(when)s")
            return said % {"file": path, "signer": report.signer, "identifier": report.identifier, "when": when}
        lines = [_("%(file)s: NOT verified") % {"file": path}]
        lines += [f"  {check.label}: {check.detail or _('failed')}" for check in report.failed]
        return "\n".join(lines)
