"""What every management command shares: it speaks the operator's language.

``--lang tr|en``, else English when the environment's ``LANGUAGE`` (or, unset, ``LANG``) starts with
"en", else Turkish, the platform's language.
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation


def language_from_environment() -> str:
    """"en" when LANGUAGE, else LANG, names English (en, en_US.UTF-8, en_GB:tr); otherwise "tr"."""
    wanted = os.environ.get("LANGUAGE") or os.environ.get("LANG") or ""
    return "en" if wanted.lower().startswith("en") else "tr"


class LocalizedCommand(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--lang", choices=[code for code, _name in settings.LANGUAGES],
            help="language of the output; by default en when LANGUAGE or LANG starts with en, else tr",
        )
        return parser

    def execute(self, *args, **options):
        with translation.override(options.get("lang") or language_from_environment()):
            return super().execute(*args, **options)
