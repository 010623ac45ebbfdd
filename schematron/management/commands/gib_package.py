"""manage.py gib_package install [PATH] | list | activate VERSION"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from integrator.commands import LocalizedCommand
from schematron.package import (
    PackageError,
    PackageNotInstalled,
    active_package,
    package_activate,
    package_install,
    packages_list,
)


class Command(LocalizedCommand):
    help = "Install, list and activate GİB's schema/schematron packages."
    requires_system_checks = []  # installing is how the "no package" warning gets fixed

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        install = actions.add_parser("install", help="install from a folder or GİB's zip and make it active")
        install.add_argument("path", nargs="?", help="default: settings.GIB_PACKAGE_SOURCE")
        install.add_argument(
            "--if-missing", action="store_true", help="only when no package is active; a missing source is a warning"
        )
        actions.add_parser("list", help="list installed versions")
        activate = actions.add_parser("activate", help="make an installed version active")
        activate.add_argument("version")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except PackageError as exc:
            raise CommandError(str(exc)) from exc

    def _install(self, *, path: str | None, if_missing: bool, **options) -> None:
        source = Path(path or settings.GIB_PACKAGE_SOURCE)
        if if_missing:
            try:
                self.stdout.write(_("GİB package %(version)s is active") % {"version": active_package().version})
                return
            except PackageNotInstalled:
                if not source.exists():
                    self.stderr.write(_("warning: no GİB package installed and %(source)s does not exist; validation will refuse to run") % {"source": source})
                    return
        package = package_install(source=source)
        self.stdout.write(_("installed and activated GİB package %(version)s at %(path)s") % {"version": package.version, "path": package.path})

    def _list(self, **options) -> None:
        entries = packages_list()
        if not entries:
            self.stdout.write(_("no GİB package installed"))
        for entry in entries:
            marker = "*" if entry["active"] else " "
            self.stdout.write(_("%(marker)s %(version)s  installed %(at)s  from %(source)s") % {"marker": marker, "version": entry["version"], "at": entry["installed_at"], "source": entry["source"]})

    def _activate(self, *, version: str, **options) -> None:
        package = package_activate(version=version)
        self.stdout.write(_("active GİB package: %(version)s") % {"version": package.version})
