from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from envelopes.userlist import UserListError, userlist_import
from integrator.commands import LocalizedCommand


class Command(LocalizedCommand):
    help = (
        "Import GİB's registered-user list (GB or PK) from a file or an http(s) URL, plain XML, zip or gzip; "
        "it replaces the previous list of that kind."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="SOURCE", help="a path or an http(s) URL")
        parser.add_argument(
            "--kind", choices=["GB", "PK"], type=str.upper, help="which list; by default read from the name (newUserPkList…)"
        )

    def handle(self, *args, source, kind, **options):
        try:
            result = userlist_import(source=source, kind=kind)
        except UserListError as exc:
            raise CommandError(_("The list was not imported, the previous one stays: %(reason)s") % {"reason": exc}) from None
        self.stdout.write(
            _("%(kind)s list: %(users)s users, %(aliases)s aliases (%(skipped)s without an identifier skipped, "
              "%(removed)s users gone) in %(seconds).1f s.")
            % {"kind": result.kind, "users": result.users, "aliases": result.aliases, "skipped": result.skipped,
               "removed": result.users_removed, "seconds": result.seconds}
        )
