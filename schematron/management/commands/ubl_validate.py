"""manage.py ubl_validate [--type efatura|earchive] [--json] [--lang tr|en] FILE...

The text output is in the language asked for: ``--lang``, else English when the environment's
``LANGUAGE`` (or, unset, ``LANG``) starts with "en", else Turkish, the platform's language.
``--json`` always carries both messages.

Exit status: 0 every file valid, 1 some file invalid (or no GİB package), 2 usage error.
"""

import json
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.lookup import is_postbox
from integrator.commands import LocalizedCommand
from schematron.package import PackageNotInstalled
from schematron.validation import DOC_TYPES, Report, ValidationIssue, localized, validate


class Command(LocalizedCommand):
    help = "Validate UBL-TR invoices, application responses and envelopes (recognised by root element)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--type", choices=DOC_TYPES, dest="doc_type", help="force GİB's type parameter")
        parser.add_argument("--json", action="store_true", dest="as_json", help="one JSON object per line per file")

    def handle(self, *args, files: list[str], doc_type: str | None, as_json: bool, lang: str | None, **options):
        paths = [Path(name) for name in files]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError(_("no such file: %(files)s") % {"files": ", ".join(missing)}, returncode=2)
        try:
            reports = [(path, validate(path.read_bytes(), doc_type=doc_type, postbox=is_postbox)) for path in paths]
        except PackageNotInstalled as exc:
            raise CommandError(str(exc)) from exc
        for path, report in reports:  # in the command's language (integrator.commands)
            self.stdout.write(self._as_json(path, report) if as_json else self._as_text(path, report))
        if not all(report.valid for _path, report in reports):
            raise SystemExit(1)

    @staticmethod
    def _as_json(path: Path, report: Report) -> str:
        errors = [issue.as_dict() for issue in report.errors]
        return json.dumps({"file": str(path), "valid": report.valid, "errors": errors}, ensure_ascii=False)

    @staticmethod
    def _as_text(path: Path, report: Report) -> str:
        if report.valid:
            return _("%(file)s: valid (%(type)s)") % {"file": path, "type": report.doc_type}
        count = len(report.errors)
        lines = [ngettext("%(file)s: %(count)d error", "%(file)s: %(count)d errors", count) % {"file": path, "count": count}]
        lines += [Command._issue_line(issue) for issue in report.errors]
        return "\n".join(lines)

    @staticmethod
    def _issue_line(issue: ValidationIssue) -> str:
        message = localized(issue.as_dict())  # the validator gives both languages; the command speaks one
        where = _("line %(line)d") % {"line": issue.line} if issue.line else (issue.xpath or "-")
        return _("  [%(layer)s] %(rule)s at %(where)s: %(message)s") % {
            "layer": issue.layer, "rule": issue.rule, "where": where, "message": message,
        }
