"""Turkish first: every text marked for translation has its Turkish, none is fuzzy or empty, and the
compiled catalogue the platform reads says what the catalogue says.

The strings are found as a developer finds them, by ``makemessages`` over the code and templates,
into a copy of the catalogue (the repository's is never touched); GNU gettext's own tools
(Debian's gettext, which ``make test`` installs) read the result.
"""

import ast
import contextlib
import gettext
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale/tr/LC_MESSAGES"
# Not the platform's texts: the tests, the benchmarks, local state, and what is not code.
NOT_READ = (".git", ".venv", "var", "tests", "bench", "build", "__pycache__", "*.egg-info", ".pytest_cache")


def _msgids(po: Path, *flags: str) -> list[tuple[str | None, str]]:
    """(msgctxt, msgid) of the entries of *po* that GNU msgattrib selects with *flags*, the header left out."""
    output = subprocess.run(["msgattrib", *flags, str(po)], capture_output=True, text=True, check=True).stdout
    entries = []
    for block in output.split("\n\n"):
        fields, field = {}, None
        for line in block.splitlines():
            if line.startswith("#"):
                continue  # comments, flags, and the obsolete entries (#~)
            if line.startswith('"'):
                fields[field] += ast.literal_eval(line)
            else:
                field, _, rest = line.partition(" ")
                fields[field] = ast.literal_eval(rest)
        if fields.get("msgid"):
            entries.append((fields.get("msgctxt"), fields["msgid"]))
    return entries


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """The Turkish catalogue as makemessages leaves it after reading today's code: the repository's
    translations kept, the strings it no longer finds dropped, the new ones added untranslated."""
    assert shutil.which("msgattrib") and shutil.which("xgettext"), "the tests need Debian's gettext (make test installs it)"
    # makemessages writes into the locale folder it finds in the tree it reads: it reads a copy.
    tree = tmp_path_factory.mktemp("tree") / "platform"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*NOT_READ))
    from django.test import override_settings

    with override_settings(LOCALE_PATHS=[tree / "locale"]), contextlib.chdir(tree):
        call_command("makemessages", locale=["tr"], no_obsolete=True, verbosity=0)
    return tree / "locale/tr/LC_MESSAGES/django.po"


def test_every_text_marked_for_translation_has_its_turkish(extracted):
    assert _msgids(extracted, "--untranslated") == []


def test_no_turkish_text_is_fuzzy(extracted):
    assert _msgids(extracted, "--only-fuzzy") == []


def test_the_catalogue_holds_exactly_the_texts_the_code_marks(extracted):
    found, kept = set(_msgids(extracted)), set(_msgids(CATALOGUE / "django.po"))
    assert (sorted(found - kept), sorted(kept - found)) == ([], [])  # new texts, and texts no longer used


def test_the_compiled_catalogue_is_the_catalogue(tmp_path):
    subprocess.run(["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(CATALOGUE / "django.po")], check=True)
    with open(tmp_path / "django.mo", "rb") as fresh, open(CATALOGUE / "django.mo", "rb") as shipped:
        assert gettext.GNUTranslations(shipped)._catalog == gettext.GNUTranslations(fresh)._catalog
