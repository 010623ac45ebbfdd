"""ubl_sign, ubl_verify and seal_import from the command line, and the demo's seals."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from invoices.services import invoice_issue
from signing import pki
from signing.models import Seal
from tenants.models import Tenant
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
