from django.core.management.base import BaseCommand, CommandError

from envelopes.userlist import UserListError, userlist_import


class Command(BaseCommand):
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
            raise CommandError(f"The list was not imported, the previous one stays: {exc}") from None
        self.stdout.write(
            f"{result.kind} list: {result.users} users, {result.aliases} aliases"
            f" ({result.skipped} without an identifier skipped, {result.users_removed} users gone)"
            f" in {result.seconds:.1f} s."
        )
