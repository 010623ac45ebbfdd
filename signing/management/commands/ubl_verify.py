"""manage.py ubl_verify [--json] FILE...

Verifies the seal of each document against the configured trust roots. Exit status 0 when every
file verifies, 1 otherwise, 2 on usage errors.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from signing.verify import Verification, verify


class Command(BaseCommand):
    help = "Verify the XAdES seal of UBL-TR documents: digest, signature, certificate chain, validity, timestamp."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--json", action="store_true", dest="as_json", help="one JSON object per line per file")

    def handle(self, *args, files: list[str], as_json: bool, **options):
        paths = [Path(name) for name in files]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}", returncode=2)
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
            stamp = ", timestamped" if report.timestamp_time else ""
            return f"{path}: verified, sealed by {report.signer} ({report.identifier}) at {when}{stamp}"
        lines = [f"{path}: NOT verified"]
        lines += [f"  {check.name}: {check.detail or 'failed'}" for check in report.failed]
        return "\n".join(lines)
