"""ubl_sign, ubl_verify and seal_import from the command line, and the demo's seals."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from demo.setup import demo_seals_renew
from invoices.services import invoice_issue
from signing import pki, xades
from signing.keys import Pkcs12Key
from signing.models import Seal
from tenants.models import Tenant
from tests.clock import NOW
from tests.invoice_payloads import payload


@pytest.fixture
def local_pki(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # the local PKI (and its root, trusted by default) lives under VAR_DIR
    from signing.devpki import dev_pki

    return dev_pki()


@pytest.fixture
def a_seal_file(tenant_a, local_pki, tmp_path, monkeypatch):
    issued = pki.seal(local_pki.root, identifier=tenant_a.identifier, title=tenant_a.title)
    path = tmp_path / "a.p12"
    path.write_bytes(pki.to_pkcs12(issued, b"gizli", chain=[local_pki.root.certificate]))
    monkeypatch.setenv("SEAL_PASSWORD", "gizli")
    return path


def run(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command(*args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    except CommandError as exc:
        return exc.returncode, str(exc)
    return 0, out.getvalue()


def test_import_sign_and_verify_from_the_command_line(tenant_a, a_seal_file, tmp_path):
    assert run("seal_import", str(a_seal_file), "--name", "muhur", "--tenant", tenant_a.identifier)[0] == 0
    source = tmp_path / "in.xml"
    source.write_bytes(bytes(invoice_issue(tenant=tenant_a, data=payload()).xml))
    assert run("ubl_sign", str(source), str(tmp_path / "out.xml")) == (0, f"{source}: sealed into {tmp_path / 'out.xml'}\n")
    code, text = run("ubl_verify", "--json", str(tmp_path / "out.xml"), str(source))
    assert code == 1
    good, bad = (json.loads(line) for line in text.splitlines())
    assert good["valid"] and good["identifier"] == tenant_a.identifier
    assert not bad["valid"] and bad["checks"][0]["name"] == "structure"
    assert run("ubl_verify", str(tmp_path / "out.xml"))[0] == 0


@pytest.mark.parametrize(("validity", "words"), [
    ({"not_before": NOW - dt.timedelta(days=400), "days": 365}, "was not valid at"),
    ({"not_before": NOW + dt.timedelta(days=1)}, "was not valid at"),
], ids=["expired", "not-yet-valid"])
def test_ubl_verify_fails_a_seal_made_outside_its_certificates_validity(tenant_a, local_pki, tmp_path, validity, words):
    issued = pki.seal(local_pki.root, identifier=tenant_a.identifier, title=tenant_a.title, **validity)
    key = Pkcs12Key(pki.to_pkcs12(issued, b"gizli", chain=[local_pki.root.certificate]), b"gizli")
    path = tmp_path / "sealed.xml"
    path.write_bytes(xades.sign(bytes(invoice_issue(tenant=tenant_a, data=payload()).xml), key, signing_time=NOW))
    code, text = run("ubl_verify", "--json", str(path))
    report = json.loads(text)
    assert code == 1 and not report["valid"]
    failed = [check for check in report["checks"] if not check["ok"]]
    assert [check["name"] for check in failed] == ["validity"] and words in failed[0]["detail"]


def test_the_cli_refuses_clearly(tenant_a, tenant_b, a_seal_file, tmp_path, monkeypatch):
    monkeypatch.setenv("SEAL_PASSWORD", "yanlış")
    code, message = run("seal_import", str(a_seal_file), "--name", "m", "--tenant", tenant_a.identifier)
    assert code == 1 and "password is wrong" in message
    assert run("ubl_verify", str(tmp_path / "missing.xml"))[0] == 2
    source = tmp_path / "b.xml"
    source.write_bytes(bytes(invoice_issue(tenant=tenant_b, data=payload()).xml))
    code, message = run("ubl_sign", str(source), str(tmp_path / "out.xml"))
    assert code == 1 and "no active seal" in message
    assert run("ubl_sign", str(source), str(tmp_path / "out.xml"), "--seal", "nope")[0] == 2
    assert not (tmp_path / "out.xml").exists()


def test_the_demo_tenants_have_working_seals(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    for tenant in Tenant.objects.all():
        seal = Seal.objects.get(tenant=tenant, is_active=True)
        assert seal.holder_identifier == tenant.identifier


def test_the_demo_renews_its_test_seals_as_they_near_their_end(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("load_demo", stdout=io.StringIO())
    first = {seal.tenant_id: seal for seal in Seal.objects.filter(is_active=True)}
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "nothing changed" in out.getvalue() and set(Seal.objects.filter(is_active=True)) == set(first.values())

    ending = min(seal.not_after for seal in first.values()) - dt.timedelta(days=10)
    assert sorted(demo_seals_renew(now=ending)) == sorted(tenant.display_name for tenant in Tenant.objects.all())
    for tenant_id, old in first.items():
        new = Seal.objects.get(tenant_id=tenant_id, is_active=True)
        assert new.pk != old.pk and new.name.startswith("yerel-test-muhru") and new.holder_identifier == old.holder_identifier
    assert demo_seals_renew() == []  # today, the new seals are a year away from their end
