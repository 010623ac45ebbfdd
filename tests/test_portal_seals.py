"""The portal's seal page: PKCS#12 uploads and PKCS#11 token seals registered with every bad seal
refused by name and nothing stored, what the seals say, the invoices waiting for one, and the
integrator's seal with the tenant's authorisation for it (an owner's to give)."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from invoices.models import Invoice
from invoices.status import Status
from signing import pki
from signing.models import Seal
from signing.services import keys_close, seal_import_pkcs12
from tests.clock import NOW, VALID_DAYS, VALID_FROM
from tests.exchange_fixtures import eager, trust
from tests.factories import make_user
from tests.test_seal_held import seal_by_the_worker, valid_invoice

pytestmark = pytest.mark.django_db(transaction=True)  # a registration's commit releases held invoices

PASSWORD = b"m\xc3\xbch\xc3\xbcr-parolas\xc4\xb1"  # "mühür-parolası"


@pytest.fixture(autouse=True)
def _setup(gib_package, settings, tmp_path, test_root, local_tsa):
    """The tests' root trusted (SEAL_TRUST_ROOTS), the local TSA for e-Arşiv seals, keys opened afresh."""
    trust(settings, tmp_path, test_root)
    roots = tmp_path / "tsa-roots.pem"
    roots.write_bytes(pki.pem(local_tsa.root.certificate))
    settings.TSA_URL, settings.TSA_TRUST_ROOTS = local_tsa.url, str(roots)
    keys_close()
    yield
    keys_close()


@pytest.fixture
def owner(client, user_a):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user_a)
    return client


def seals_url(tenant) -> str:
    return reverse("portal:seals", args=[tenant.identifier])


def upload(client, tenant, issued: pki.Issued, root: pki.Issued, *, name="Kamu SM 2027", password=PASSWORD, given=None):
    data = pki.to_pkcs12(issued, password, chain=[root.certificate])
    form = {"kind": "pkcs12", "p12-name": name, "p12-password": (given or password).decode(),
            "p12-file": SimpleUploadedFile("muhur.p12", data, content_type="application/x-pkcs12")}
    return client.post(seals_url(tenant), form, follow=True)


def test_an_uploaded_seal_is_in_use_and_shown_with_what_its_certificate_says(owner, tenant_a, seal_a, test_root):
    page = upload(owner, tenant_a, seal_a, test_root).content.decode()

    seal = Seal.objects.get(tenant=tenant_a)
    assert (seal.name, seal.kind, seal.is_active, seal.holder_identifier) == ("Kamu SM 2027", "pkcs12", True, tenant_a.identifier)
    assert PASSWORD not in bytes(seal.encrypted_secret) and PASSWORD.decode() not in page  # kept encrypted, never shown
    assert "The seal Kamu SM 2027 of A Tekstil A.Ş. is registered and in use." in page
    for fact in ("A Tekstil A.Ş.", "Test Mali Mühür Kök", f"{seal_a.certificate.serial_number:X}", "In use"):
        assert fact in page


def other_root() -> pki.Issued:
    return pki.root_ca("Başka Kök", now=VALID_FROM - dt.timedelta(days=365))


@pytest.mark.parametrize("case, error", [
    ("wrong password", "The seal's PKCS#12 file cannot be opened: the password is wrong or the file is damaged."),
    ("expired", "The seal's certificate expired on {expiry}; renew the seal at Kamu SM."),
    ("not yet valid", "The seal's certificate is valid only from {start}."),
    ("untrusted", "The seal's certificate (issued by {issuer}) does not chain to a root this platform trusts; "
                  "GİB accepts only seals issued by Kamu SM."),
    ("another holder", "The seal belongs to 4840847211, not to the supplier 1234567890."),
])
def test_a_bad_seal_is_refused_with_the_reason_and_nothing_stored(owner, tenant_a, test_root, seal_b, case, error):
    issued, root, given = pki.seal(test_root, identifier=tenant_a.identifier, title=tenant_a.title, not_before=VALID_FROM), test_root, None
    if case == "wrong password":
        given = b"not the password"
    elif case == "expired":
        issued = pki.seal(test_root, identifier=tenant_a.identifier, title=tenant_a.title, not_before=NOW - dt.timedelta(days=400), days=30)
    elif case == "not yet valid":
        issued = pki.seal(test_root, identifier=tenant_a.identifier, title=tenant_a.title, not_before=NOW + dt.timedelta(days=10))
    elif case == "untrusted":
        root = other_root()
        issued = pki.seal(root, identifier=tenant_a.identifier, title=tenant_a.title, not_before=VALID_FROM)
    elif case == "another holder":
        issued = seal_b

    response = upload(owner, tenant_a, issued, root, given=given)

    certificate = issued.certificate
    expected = error.format(expiry=certificate.not_valid_after_utc.date().isoformat(), start=certificate.not_valid_before_utc.date().isoformat(),
                            issuer=certificate.issuer.rfc4514_string())
    page = response.content.decode()
    assert response.status_code == 200 and expected in html.unescape(page)
    assert not Seal.objects.exists()


def test_a_seal_with_a_name_taken_or_a_file_that_is_no_seal_is_refused(owner, tenant_a, seal_a, test_root):
    upload(owner, tenant_a, seal_a, test_root, name="mühür")
    again = upload(owner, tenant_a, seal_a, test_root, name="mühür").content.decode()
    junk = owner.post(seals_url(tenant_a), {"kind": "pkcs12", "p12-name": "çöp", "p12-password": "x",
                                            "p12-file": SimpleUploadedFile("muhur.p12", b"not a PKCS#12 file")}).content.decode()
    empty = owner.post(seals_url(tenant_a), {"kind": "pkcs12", "p12-name": "boş", "p12-password": "x"}).content.decode()

    assert "A seal named “mühür” is registered already; give this one another name." in again
    assert "the password is wrong or the file is damaged" in junk
    assert "This field is required." in empty
    assert list(Seal.objects.values_list("name", flat=True)) == ["mühür"]


def test_an_uploaded_seal_releases_the_invoices_held_for_want_of_one(owner, tenant_a, seal_a, test_root):
    held = [seal_by_the_worker(valid_invoice(tenant_a)) for _ in range(2)]
    before = owner.get(seals_url(tenant_a)).content.decode()
    assert "2 invoices wait for a usable seal" in before and f"{reverse('portal:invoices', args=[tenant_a.identifier])}?status=held" in before

    with eager():
        page = upload(owner, tenant_a, seal_a, test_root).content.decode()

    assert "The 2 invoices that waited for a seal go on now." in page and "No invoice waits for a seal." in page
    assert set(Invoice.objects.filter(id__in=[i.id for i in held]).values_list("status", flat=True)) == {Status.KEPT}


# --- PKCS#11 ------------------------------------------------------------------------------------


@pytest.fixture
def token(softhsm, settings):
    settings.PKCS11_MODULE = softhsm.module
    return softhsm


def register_token(client, tenant, softhsm, **given):
    form = {"kind": "pkcs11", "p11-name": "HSM", "p11-token_label": softhsm.token, "p11-key_label": "seal", "p11-pin": softhsm.pin}
    form.update({f"p11-{field}": value for field, value in given.items()})
    return client.post(seals_url(tenant), form, follow=True)


def test_a_token_seal_is_registered_on_softhsm_and_seals(owner, tenant_a, token):
    invoice = seal_by_the_worker(valid_invoice(tenant_a))

    with eager():
        page = register_token(owner, tenant_a, token).content.decode()

    seal = Seal.objects.get(tenant=tenant_a)
    assert (seal.kind, seal.token_label, seal.key_label) == ("pkcs11", token.token, "seal")
    assert token.pin.encode() not in bytes(seal.encrypted_secret) and token.pin not in page
    assert "The seal HSM of A Tekstil A.Ş. is registered and in use." in page and f"<code>{token.token}</code>" in page
    invoice.refresh_from_db()
    assert invoice.status == Status.KEPT  # sealed on the token


@pytest.mark.parametrize("given, error", [
    ({"pin": "0000"}, "The PIN for token “seal-token” is wrong."),
    ({"key_label": "yok"}, "Token “seal-token” holds no RSA private key labelled “yok”."),
    ({"key_label": "bare"}, "Token “seal-token” holds the key “bare” but no certificate with its label or ID."),
    ({"token_label": "takili-degil"}, "No token labelled “takili-degil” is present through"),
    ({"pin": ""}, "This field is required."),
])
def test_a_token_seal_that_cannot_be_used_is_refused_with_the_reason(owner, tenant_a, token, given, error):
    page = register_token(owner, tenant_a, token, **given).content.decode()

    assert error in page and not Seal.objects.exists()


def test_a_token_seal_not_chaining_to_the_trusted_roots_is_refused(owner, tenant_a, token, settings, tmp_path):
    roots = tmp_path / "other-roots.pem"
    roots.write_bytes(pki.pem(other_root().certificate))
    settings.SEAL_TRUST_ROOTS = str(roots)

    page = register_token(owner, tenant_a, token).content.decode()

    assert "does not chain to a root this platform trusts" in page and not Seal.objects.exists()


# --- the integrator's seal -----------------------------------------------------------------------


@pytest.fixture
def integrators(test_root) -> Seal:
    issued = pki.seal(test_root, identifier="9000068418", title="Entegratör A.Ş.", not_before=VALID_FROM, days=VALID_DAYS)
    return seal_import_pkcs12(tenant=None, name="entegrator", data=pki.to_pkcs12(issued, b"pw"), password=b"pw")


def authorise(client, tenant, value: str):
    return client.post(reverse("portal:seal-authorisation", args=[tenant.identifier]), {"authorised": value}, follow=True)


def test_an_owner_authorises_the_integrators_seal_and_held_invoices_go_on(owner, tenant_a, integrators):
    invoice = seal_by_the_worker(valid_invoice(tenant_a))
    page = owner.get(seals_url(tenant_a)).content.decode()
    assert "Entegratör A.Ş." in page and "Not authorised" in page

    with eager():
        page = authorise(owner, tenant_a, "1").content.decode()

    tenant_a.refresh_from_db()
    invoice.refresh_from_db()
    assert tenant_a.sealed_by_integrator and invoice.status == Status.KEPT
    assert "In use for this taxpayer" in page and "Withdraw the authorisation" in page

    page = html.unescape(authorise(owner, tenant_a, "0").content.decode())
    tenant_a.refresh_from_db()
    assert not tenant_a.sealed_by_integrator and "the integrator's seal is no longer used for this taxpayer" in page


def test_only_an_owner_grants_the_authorisation(client, tenant_a, integrators):
    client.force_login(make_user(tenant=tenant_a, role="accountant"))

    page = client.get(seals_url(tenant_a)).content.decode()
    refused = authorise(client, tenant_a, "1")

    assert 'id="authorisation"' not in page and refused.status_code == 403
    tenant_a.refresh_from_db()
    assert not tenant_a.sealed_by_integrator


@pytest.mark.parametrize("role", ["clerk", "viewer"])
def test_those_who_may_not_configure_cannot_register_a_seal(client, tenant_a, seal_a, test_root, role):
    client.force_login(make_user(tenant=tenant_a, role=role))

    assert client.get(seals_url(tenant_a)).status_code == 403
    assert upload(client, tenant_a, seal_a, test_root).status_code == 403
    assert authorise(client, tenant_a, "1").status_code == 403
    assert not Seal.objects.exists()


def test_tenant_bs_seal_page_is_404_for_as_people(owner, tenant_b, seal_b, test_root):
    assert owner.get(seals_url(tenant_b)).status_code == 404
    assert upload(owner, tenant_b, seal_b, test_root).status_code == 404
    assert authorise(owner, tenant_b, "1").status_code == 404
    tenant_b.refresh_from_db()
    assert not Seal.objects.exists() and not tenant_b.sealed_by_integrator


def test_a_seal_ending_soon_is_shown_so_with_the_warnings_given(owner, tenant_a, test_root, mailoutbox):
    from signing.warnings import seals_warn

    ending = pki.seal(test_root, identifier=tenant_a.identifier, title=tenant_a.title, not_before=NOW - dt.timedelta(days=300), days=320)
    seal_import_pkcs12(tenant=tenant_a, name="bitiyor", data=pki.to_pkcs12(ending, b"pw"), password=b"pw")
    assert [warned.days for warned in seals_warn()] == [30]

    page = html.unescape(owner.get(seals_url(tenant_a)).content.decode())

    end = ending.certificate.not_valid_after_utc
    assert f"ends on {date_format(timezone.localtime(end), 'SHORT_DATE_FORMAT')}: renew it now" in page
    assert "Warned 30 days before its end." in page
