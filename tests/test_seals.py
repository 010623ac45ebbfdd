"""Registering seals and choosing the one that seals a tenant's document."""

import datetime as dt

import pytest
from django.utils import timezone
from lxml import etree

from invoices.services import invoice_issue
from signing import pki, xades
from signing.certificates import SealExpired, SealWrongHolder
from signing.keys import SealPasswordWrong
from signing.models import Seal
from signing.pkcs11 import SealPinWrong
from signing.services import NoSeal, document_seal, keys_close, seal_add_pkcs11, seal_for, seal_import_pkcs12, seals_expiring
from signing.verify import verify
from tests.invoice_payloads import CUSTOMER, payload

INTEGRATOR_VKN = "9000068418"


@pytest.fixture
def integrator_seal(db, test_root):
    issued = pki.seal(test_root, identifier=INTEGRATOR_VKN, title="Entegratör A.Ş.")
    return seal_import_pkcs12(tenant=None, name="entegrator", data=pki.to_pkcs12(issued, b"pw"), password=b"pw")


@pytest.fixture
def seal_of_a(tenant_a, seal_a, test_root):
    data = pki.to_pkcs12(seal_a, b"p12 password", chain=[test_root.certificate])
    return seal_import_pkcs12(tenant=tenant_a, name="mali-muhur", data=data, password=b"p12 password")


def signer_of(xml: bytes) -> str:
    return etree.fromstring(xml).findtext("cac:Signature/cbc:ID", namespaces=xades.NS)


def test_a_tenant_seals_with_its_own_seal(tenant_a, seal_of_a, test_root):
    xml = document_seal(tenant=tenant_a, xml=bytes(invoice_issue(tenant=tenant_a, data=payload()).xml), timestamped=False)
    assert verify(xml, roots=[test_root.certificate]).valid
    assert signer_of(xml) == "1234567890"
    assert (seal_of_a.holder_identifier, seal_of_a.kind) == ("1234567890", Seal.Kind.PKCS12)


def test_the_key_and_its_password_are_stored_encrypted(seal_of_a, seal_a):
    stored = Seal.objects.get(pk=seal_of_a.pk)
    raw_key = seal_a.key.private_numbers().d.to_bytes(256, "big")
    for column in (bytes(stored.encrypted_pkcs12), bytes(stored.encrypted_secret)):
        assert b"p12 password" not in column and raw_key not in column
    assert "PRIVATE" not in stored.certificate


def test_the_integrator_seals_only_for_tenants_who_authorised_it(tenant_b, integrator_seal, test_root):
    with pytest.raises(NoSeal):
        seal_for(tenant=tenant_b)
    tenant_b.sealed_by_integrator = True
    tenant_b.save()
    assert seal_for(tenant=tenant_b) == integrator_seal
    xml = document_seal(tenant=tenant_b, xml=bytes(invoice_issue(tenant=tenant_b, data=payload(customer={**CUSTOMER, "vkn": "1234567890", "name": "A Tekstil A.Ş."})).xml), timestamped=False)
    assert signer_of(xml) == INTEGRATOR_VKN  # cac:Signature names who sealed
    assert verify(xml, roots=[test_root.certificate]).valid


def test_a_tenants_own_seal_comes_before_the_integrators(tenant_a, seal_of_a, integrator_seal):
    tenant_a.sealed_by_integrator = True
    tenant_a.save()
    assert seal_for(tenant=tenant_a) == seal_of_a


def test_a_new_seal_replaces_the_active_one(tenant_a, seal_of_a, test_root):
    renewed = pki.seal(test_root, identifier="1234567890", title="A Tekstil A.Ş.")
    new = seal_import_pkcs12(tenant=tenant_a, name="yeni", data=pki.to_pkcs12(renewed, b"x"), password=b"x")
    assert seal_for(tenant=tenant_a) == new
    assert Seal.objects.get(pk=seal_of_a.pk).is_active is False


def test_registering_a_bad_seal_is_refused_with_the_reason(tenant_a, tenant_b, seal_a, test_root):
    data = pki.to_pkcs12(seal_a, b"right")
    with pytest.raises(SealPasswordWrong):
        seal_import_pkcs12(tenant=tenant_a, name="x", data=data, password=b"wrong")
    with pytest.raises(SealWrongHolder):
        seal_import_pkcs12(tenant=tenant_b, name="x", data=data, password=b"right")
    old = pki.seal(test_root, identifier="1234567890", title="A", not_before=timezone.now() - dt.timedelta(days=400), days=365)
    with pytest.raises(SealExpired):
        seal_import_pkcs12(tenant=tenant_a, name="x", data=pki.to_pkcs12(old, b"y"), password=b"y")
    assert not Seal.objects.exists()


def test_seals_ending_within_30_days_are_listed(tenant_a, seal_of_a):
    assert seals_expiring() == []
    assert seals_expiring(now=seal_of_a.not_after - dt.timedelta(days=10)) == [seal_of_a]


@pytest.fixture
def token_settings(softhsm, settings):
    settings.PKCS11_MODULE = softhsm.module
    yield
    keys_close()  # the opened key holds the token's login; later tests expect a logged-out token


def test_a_seal_on_a_pkcs11_token_seals_and_verifies(tenant_a, softhsm, token_settings, test_root):
    seal = seal_add_pkcs11(tenant=tenant_a, name="hsm", token_label=softhsm.token, key_label="seal", pin=softhsm.pin)
    stored = Seal.objects.get(pk=seal.pk)
    assert (stored.kind, stored.encrypted_pkcs12) == (Seal.Kind.PKCS11, None)
    assert softhsm.pin.encode() not in bytes(stored.encrypted_secret)
    xml = document_seal(tenant=tenant_a, xml=bytes(invoice_issue(tenant=tenant_a, data=payload()).xml), timestamped=False)
    report = verify(xml, roots=[test_root.certificate])
    assert report.valid, report.failed
    assert report.identifier == "1234567890"


def test_a_wrong_pin_is_refused_when_the_token_seal_is_registered(tenant_a, softhsm, token_settings):
    with pytest.raises(SealPinWrong):
        seal_add_pkcs11(tenant=tenant_a, name="hsm", token_label=softhsm.token, key_label="seal", pin="0000")
    assert not Seal.objects.exists()


def test_the_dashboard_shows_the_seal_and_warns_before_it_ends(client, user_a, tenant_a, test_root):
    client.force_login(user_a)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get(f"/t/{tenant_a.identifier}/").content.decode()
    assert "No seal: invoices cannot be sealed" in page
    ending = pki.seal(test_root, identifier="1234567890", title="A Tekstil A.Ş.", not_before=timezone.now() - dt.timedelta(days=350))
    seal_import_pkcs12(tenant=tenant_a, name="m", data=pki.to_pkcs12(ending, b"x"), password=b"x")
    page = client.get(f"/t/{tenant_a.identifier}/").content.decode()
    assert "renew it now" in page and "A Tekstil A.Ş. (1234567890)" in page
    assert "PRIVATE" not in page
