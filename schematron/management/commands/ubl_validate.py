"""manage.py ubl_validate [--type efatura|earchive] [--json] FILE...

Exit status: 0 every file valid, 1 some file invalid (or no GİB package), 2 usage error.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from schematron.package import PackageNotInstalled
from schematron.validation import DOC_TYPES, Report, validate


class Command(BaseCommand):
    help = "Validate UBL-TR invoices, application responses and envelopes (recognised by root element)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--type", choices=DOC_TYPES, dest="doc_type", help="force GİB's type parameter")
        parser.add_argument("--json", action="store_true", dest="as_json", help="one JSON object per line per file")

    def handle(self, *args, files: list[str], doc_type: str | None, as_json: bool, **options):
        paths = [Path(name) for name in files]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}", returncode=2)
        try:
            reports = [(path, validate(path.read_bytes(), doc_type=doc_type)) for path in paths]
        except PackageNotInstalled as exc:
            raise CommandError(str(exc)) from exc
        for path, report in reports:
            self.stdout.write(self._as_json(path, report) if as_json else self._as_text(path, report))
        if not all(report.valid for _, report in reports):
            raise SystemExit(1)

    @staticmethod
    def _as_json(path: Path, report: Report) -> str:
        errors = [issue.as_dict() for issue in report.errors]
        return json.dumps({"file": str(path), "valid": report.valid, "errors": errors}, ensure_ascii=False)

    @staticmethod
    def _as_text(path: Path, report: Report) -> str:
        if report.valid:
            return f"{path}: valid ({report.doc_type})"
        lines = [f"{path}: {len(report.errors)} error(s)"]
        for issue in report.errors:
            where = f"line {issue.line}" if issue.line else (issue.xpath or "-")
            lines.append(f"  [{issue.layer}] {issue.rule} at {where}: {issue.message_tr}")
        return "\n".join(lines)
