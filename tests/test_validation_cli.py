"""manage.py ubl_validate / gib_package, the missing-package error and the platform's own rules."""

import io
import json
import shutil
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from schematron.checks import gib_package_installed
from schematron.package import PackageError, PackageNotInstalled, active_package, compiled_rules, package_activate, package_install, packages_list
from schematron.validation import validate
from tests.gib_fixtures import GIB, SAMPLES, gib_package, gib_root  # noqa: F401

VALID = SAMPLES / "responses" / "IHRACAT_GTB_UygulamaYaniti_KABUL.xml"
INVALID = SAMPLES / "responses" / "KabulUygulamaYanitiOrnegi.xml"
TICARI = SAMPLES / "invoices" / "ubltr-1.2.1" / "TicariFaturaOrnegi.xml"
TICARI_DAY = date(2009, 1, 5)


def _run(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("ubl_validate", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_exit_zero_when_all_valid(gib_package):
    status, output = _run("--lang", "en", str(VALID))
    assert status == 0 and output == f"{VALID}: valid (efatura)\n"


def test_exit_one_and_json_shape(gib_package):
    status, output = _run("--json", str(VALID), str(INVALID))
    assert status == 1
    first, second = [json.loads(line) for line in output.splitlines()]
    assert first == {"file": str(VALID), "valid": True, "errors": []}
    assert second["valid"] is False
    assert set(second["errors"][0]) == {"layer", "rule", "message_tr", "message_en", "xpath", "line"}
    assert {error["rule"] for error in second["errors"]} == {"ARSignatureCheck", "ApplicationResponseProfileIDCheck"}


def test_forced_type(gib_package):
    earchive = SAMPLES / "invoices" / "ubltr-1.2.1" / "YTB_Satıs_EArşiv.xml"
    _, output = _run("--json", "--type", "efatura", str(earchive))
    assert "ProfileIDCheck" in {error["rule"] for error in json.loads(output)["errors"]}


# --- the text output's language ------------------------------------------------------------------


@pytest.fixture
def environment(monkeypatch):
    """Sets the locale variables a test names; none of the machine's own leaks in."""
    for name in ("LANGUAGE", "LANG"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch.setenv


def _only_in(output: str, language: str) -> bool:
    """Whether every message of INVALID is in the output in *language*, and none in the other."""
    issues = validate(INVALID.read_bytes()).errors
    assert issues and all(issue.message_tr != issue.message_en for issue in issues)
    wanted = [issue.message_tr if language == "tr" else issue.message_en for issue in issues]
    other = [issue.message_en if language == "tr" else issue.message_tr for issue in issues]
    return all(text in output for text in wanted) and not any(text in output for text in other)


def test_text_output_is_turkish_by_default(gib_package, environment):
    status, output = _run(str(INVALID))
    assert status == 1 and _only_in(output, "tr")
    assert "Uygulama yanıtı için cac:Signature elemanı bulunmalıdır." in output  # GİB's own Turkish text


@pytest.mark.parametrize("variables", [{"LANG": "tr_TR.UTF-8"}, {"LANG": "C.UTF-8"}, {"LANGUAGE": "tr", "LANG": "en_US.UTF-8"}])
def test_a_non_english_environment_gives_turkish(gib_package, environment, variables):
    for name, value in variables.items():
        environment(name, value)
    assert _only_in(_run(str(INVALID))[1], "tr")


def test_lang_en_gives_english(gib_package, environment):
    environment("LANG", "tr_TR.UTF-8")
    status, output = _run("--lang", "en", str(INVALID))
    assert status == 1 and _only_in(output, "en")
    assert "ARSignatureCheck at line 11: An application response must contain a cac:Signature element." in output


@pytest.mark.parametrize("variables", [{"LANG": "en_US.UTF-8"}, {"LANGUAGE": "en_GB:tr", "LANG": "tr_TR.UTF-8"}])
def test_an_english_environment_gives_english(gib_package, environment, variables):
    for name, value in variables.items():
        environment(name, value)
    assert _only_in(_run(str(INVALID))[1], "en")


def test_lang_tr_wins_over_an_english_environment(gib_package, environment):
    environment("LANG", "en_US.UTF-8")
    assert _only_in(_run("--lang", "tr", str(INVALID))[1], "tr")


def test_json_keeps_both_languages_whatever_lang_says(gib_package, environment):
    environment("LANG", "en_US.UTF-8")
    outputs = {_run("--json", *lang, str(INVALID))[1] for lang in ((), ("--lang", "tr"), ("--lang", "en"))}
    (output,) = outputs
    expected = [issue.as_dict() for issue in validate(INVALID.read_bytes()).errors]
    assert json.loads(output)["errors"] == expected


def test_unknown_lang_exits_two(gib_package):
    with pytest.raises(SystemExit) as caught:
        ManagementUtility(["manage.py", "ubl_validate", "--lang", "de", str(VALID)]).execute()
    assert caught.value.code == 2


def test_missing_file_is_usage_error(gib_package):
    with pytest.raises(CommandError) as caught:
        call_command("ubl_validate", "/no/such/file.xml")
    assert caught.value.returncode == 2


def test_bad_option_exits_two(gib_package):
    with pytest.raises(SystemExit) as caught:
        ManagementUtility(["manage.py", "ubl_validate", "--type", "bogus", str(VALID)]).execute()
    assert caught.value.code == 2


# --- no package -------------------------------------------------------------------------------


def test_no_package_is_a_clear_error(settings, tmp_path):
    settings.GIB_PACKAGES_ROOT = tmp_path / "empty"
    with pytest.raises(PackageNotInstalled, match="no GİB package installed: run manage.py gib_package install PATH"):
        validate(VALID.read_bytes())
    assert [message.id for message in gib_package_installed(None)] == ["schematron.W001"]
    with pytest.raises(CommandError, match="no GİB package installed"):
        call_command("ubl_validate", str(VALID))


def test_check_is_quiet_with_a_package(gib_package):
    assert gib_package_installed(None) == []


# --- package management -------------------------------------------------------------------------


def _zip_in_gib_layout(target: Path) -> Path:
    # GİB's zips nest everything one folder deeper and under other folder names.
    archive = target / "e-FaturaPaketi.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in GIB.rglob("*"):
            if path.is_file() and path.parts[len(GIB.parts)] in {"xsd", "schematron", "xslt", "wsdl", "earsiv"}:
                handle.write(path, "Paket/" + path.relative_to(GIB).as_posix().replace("xsd/", "xsdrt/", 1))
    return archive


def test_install_from_zip_list_activate(settings, tmp_path, gib_package):
    settings.GIB_PACKAGES_ROOT = tmp_path / "root"
    from_zip = package_install(source=_zip_in_gib_layout(tmp_path))
    assert from_zip.version.startswith("20260312-")
    assert (from_zip.path / "xsd" / "maindoc" / "UBL-Invoice-2.1.xsd").is_file()
    # Same files as the session's folder install, hence the same version.
    assert from_zip.version == json.loads((gib_package / "registry.json").read_text())["active"]
    assert [entry["active"] for entry in packages_list()] == [True]
    assert package_activate(version=from_zip.version).version == from_zip.version
    with pytest.raises(PackageError, match="not installed"):
        package_activate(version="19990101-deadbeef")


def test_install_reports_missing_files(settings, tmp_path):
    settings.GIB_PACKAGES_ROOT = tmp_path / "root"
    partial = tmp_path / "partial"
    shutil.copytree(GIB / "schematron", partial / "schematron")
    with pytest.raises(PackageError, match="UBL-Invoice-2.1.xsd"):
        package_install(source=partial)
    out = io.StringIO()
    with pytest.raises(CommandError, match="PackageProxy_1_2.xsd"):
        call_command("gib_package", "install", str(partial), stdout=out)


def test_list_command(gib_package):
    out = io.StringIO()
    call_command("gib_package", "list", stdout=out)
    assert out.getvalue().startswith("* 20260312-")


# --- layer 4: our own rules ---------------------------------------------------------------------


def _platform_rules(document: bytes, today: date = TICARI_DAY) -> set[str]:
    return {issue.rule for issue in validate(document, today=today).errors if issue.layer == "platform"}


def test_consistent_totals_pass(gib_package):
    fixed = TICARI.read_bytes().replace(b">26003.40<", b">25216.50<")
    assert _platform_rules(fixed) == set()


def test_gibs_own_convention_passes_where_it_reconciles(gib_package):
    # GİB's sample writes the total before the lines' discounts (25216.50 + 786.90) and the discounts
    # in AllowanceTotalAmount: its amounts reconcile that way, as ours do the other.
    assert _platform_rules(TICARI.read_bytes()) == set()


@pytest.mark.parametrize("change", [
    (b">26003.40<", b">26003.50<"),  # neither the lines' total nor the total before their discounts
    (b'<cbc:TaxExclusiveAmount currencyID="TRY">25216.50', b'<cbc:TaxExclusiveAmount currencyID="TRY">26003.40'),  # the discounts not off
    (b"<cbc:Amount currencyID=\"TRY\">495.3<", b"<cbc:Amount currencyID=\"TRY\">495.4<"),  # a line's discount that does not add up
], ids=["total", "tax-exclusive", "line-discount"])
def test_totals_that_add_up_neither_way_fail(gib_package, change):
    original = TICARI.read_bytes()
    assert change[0] in original
    report = validate(original.replace(*change), today=TICARI_DAY)
    (issue,) = [issue for issue in report.errors if issue.layer == "platform"]
    assert issue.rule == "PLT-TOTAL-LINES" and issue.line == 140
    assert "25216.5" in issue.message_en and "before their discounts" in issue.message_en and "iskontolarından önceki" in issue.message_tr


def test_altered_totals_fail_with_our_rule_ids(gib_package):
    original = TICARI.read_bytes()
    altered = original.replace(
        b'<cbc:PayableAmount currencyID="TRY">29755.47', b'<cbc:PayableAmount currencyID="TRY">29755.49'
    )
    report = validate(altered, today=TICARI_DAY)
    (issue,) = [issue for issue in report.errors if issue.layer == "platform"]
    assert issue.rule == "PLT-TOTAL-PAYABLE" and issue.line == 140
    assert "PayableAmount 29755.49" in issue.message_en and "Ödenecek tutar" in issue.message_tr


def test_issue_date_not_more_than_seven_days_back(gib_package):
    fixed = TICARI.read_bytes().replace(b">26003.40<", b">25216.50<")
    assert _platform_rules(fixed, today=date(2009, 1, 12)) == set()
    assert _platform_rules(fixed, today=date(2009, 1, 13)) == {"PLT-ISSUE-DATE-PAST"}


def test_gibs_rule_against_a_future_issue_date_judges_by_the_day_it_is_given(gib_package):
    # GİB's TimeCheck asks current-date(), which Saxon answers in the machine's zone (UTC on a server:
    # from 21:00 to midnight, Istanbul's today would be "tomorrow"); it judges by the validator's day.
    def gib_rules(today: date) -> set[str]:
        return {issue.rule for issue in validate(TICARI.read_bytes(), today=today).errors if issue.layer == "gib"}

    assert "TimeCheck" not in gib_rules(TICARI_DAY)
    assert "TimeCheck" in gib_rules(TICARI_DAY - timedelta(days=1))
    xslt, _asserts = compiled_rules(active_package())
    assert xslt.count("current-date()") == 1  # the parameter's default, read by every rule that asked it


def test_install_if_missing_keeps_the_active_package(gib_package):
    out = io.StringIO()
    call_command("gib_package", "install", "--if-missing", stdout=out)
    assert "is active" in out.getvalue()


def test_install_if_missing_without_a_source_only_warns(settings, tmp_path):
    settings.GIB_PACKAGES_ROOT = tmp_path / "none"
    settings.GIB_PACKAGE_SOURCE = tmp_path / "absent"
    err = io.StringIO()
    call_command("gib_package", "install", "--if-missing", stderr=err)
    assert "no GİB package installed" in err.getvalue() and "absent" in err.getvalue()
    with pytest.raises(PackageNotInstalled):
        validate(VALID.read_bytes())
