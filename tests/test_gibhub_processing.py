"""The local GİB hub refuses what GİB refuses, each with GİB's code, after answering sendDocument:
zip and name faults, schema, schematron, seals and their holders, the sender's authority and the
receiver's address."""

import base64
import datetime as dt
import uuid

import pytest
from lxml import etree

from envelopes import packing, sbdh
from gibhub.models import HubDeliveryAttempt, HubDocument, HubEnvelope
from gibhub.registry import hub_alias_delete, hub_register
from signing import pki, xades
from tests.clock import NOW
from tests.envelope_helpers import BROKEN_ZIPS, ENVELOPE_ID, OTHER_ENVELOPE, sealed_invoices, zipped
from tests.envelope_helpers import envelope, invoices  # noqa: F401  (fixtures)
from tests.gibhub_fixtures import A_PK, B_GB, history, hub, sender_envelope, serve_receiver, skip_without_hub  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), skip_without_hub]


def refused(hub, file_name: str, data: bytes) -> list[int]:
    """Send, then the envelope's history as the hub recorded it; nothing may have been delivered."""
    assert hub.send_zip(file_name, data) == "ZARF KUYRUGA EKLENDI"  # GİB takes it first, refuses later
    envelope_uuid = file_name.removesuffix(".zip")
    assert not hub.b.received and not HubDeliveryAttempt.objects.exists()
    assert hub.status(envelope_uuid)[0] == str(history(envelope_uuid)[-1])
    return history(envelope_uuid)


OTHER = OTHER_ENVELOPE


@BROKEN_ZIPS
def test_zip_and_name_faults_earn_gibs_codes(hub, envelope, make, code):
    assert refused(hub, f"{ENVELOPE_ID}.zip", make(envelope)) == [1000, 1100, code]


def test_a_zip_named_after_another_envelope_is_1142(hub, envelope):
    assert refused(hub, f"{OTHER}.zip", zipped((f"{ENVELOPE_ID}.xml", envelope))) == [1000, 1100, 1142]


def test_an_envelope_against_gibs_xml_schema_is_1160(hub, envelope):
    broken = envelope.replace(b"<sh:HeaderVersion>1.0</sh:HeaderVersion>", b"<sh:HeaderVersion>1.0</sh:HeaderVersion><sh:Extra>x</sh:Extra>", 1)
    assert broken != envelope

    assert refused(hub, f"{ENVELOPE_ID}.zip", zipped((f"{ENVELOPE_ID}.xml", broken))) == [1000, 1100, 1160]


def test_an_envelope_against_gibs_schematron_is_1150(hub, envelope):
    broken = envelope.replace(b"<sh:HeaderVersion>1.0<", b"<sh:HeaderVersion>9.9<", 1)  # GİB's HeaderCheck: 1.0 or 1.2
    assert broken != envelope

    assert refused(hub, f"{ENVELOPE_ID}.zip", zipped((f"{ENVELOPE_ID}.xml", broken))) == [1000, 1100, 1150]


def forged(invoice: bytes) -> bytes:
    """The invoice with one bit of its signature value flipped: still base64, no longer A's signature."""
    root = etree.fromstring(invoice)
    value = root.find(".//ds:SignatureValue", xades.NS)
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_forged_seal_is_1177(hub, invoices):
    xml = sender_envelope([invoices[0], forged(invoices[1])])
    packed = packing.pack(xml, sbdh.parse_envelope(xml).uuid)

    assert refused(hub, packed.file_name, packed.data) == [1000, 1100, 1177]


def test_a_seal_from_an_untrusted_root_is_1177(hub, tenant_a, tenant_b):
    stranger = pki.root_ca("Yabancı Kök")
    invoices = sealed_invoices(tenant_a, pki.seal(stranger, identifier="1234567890", title="A Tekstil A.Ş."), stranger)
    xml = sender_envelope(invoices)
    packed = packing.pack(xml, sbdh.parse_envelope(xml).uuid)

    assert refused(hub, packed.file_name, packed.data) == [1000, 1100, 1177]


@pytest.mark.parametrize("validity", [
    pytest.param({"not_before": NOW - dt.timedelta(days=400), "days": 365}, id="expired"),
    pytest.param({"not_before": NOW + dt.timedelta(days=1), "days": 365}, id="not-yet-valid"),
])
def test_a_seal_made_outside_its_certificates_validity_is_1177(hub, tenant_a, tenant_b, test_root, validity):
    seal = pki.seal(test_root, identifier="1234567890", title="A Tekstil A.Ş.", **validity)
    xml = sender_envelope(sealed_invoices(tenant_a, seal, test_root))  # sealed at NOW
    packed = packing.pack(xml, sbdh.parse_envelope(xml).uuid)

    assert refused(hub, packed.file_name, packed.data) == [1000, 1100, 1177]


def test_a_document_sealed_with_another_taxpayers_seal_is_1176(hub, invoices, tenant_a, seal_b, test_root):
    xml = sender_envelope([invoices[0], *sealed_invoices(tenant_a, seal_b, test_root)])  # A's invoice, B's seal
    packed = packing.pack(xml, sbdh.parse_envelope(xml).uuid)

    assert refused(hub, packed.file_name, packed.data) == [1000, 1100, 1176]
    assert hub.status(sbdh.parse_envelope(xml).uuid) == ("1176", "IMZA SAHIBI YETKISIZ")
    note = HubEnvelope.objects.get(uuid=sbdh.parse_envelope(xml).uuid).status_changes.last().note
    assert "4840847211" in note and "1234567890" in note  # the seal's holder, and the sender it may not seal for


def test_a_seal_naming_no_vkn_is_1161(hub, tenant_a, tenant_b, test_root):
    nameless = pki.seal(test_root, identifier="", title="A Tekstil A.Ş.")
    xml = sender_envelope(sealed_invoices(tenant_a, nameless, test_root))
    packed = packing.pack(xml, sbdh.parse_envelope(xml).uuid)

    assert refused(hub, packed.file_name, packed.data) == [1000, 1100, 1161]


INTEGRATOR_VKN = "9000068418"


def test_the_integrators_seal_is_taken_only_for_the_users_it_serves(hub, tenant_a, tenant_b, test_root):
    """GİB lets a special integrator seal its users' documents with its own seal (the platform's
    ``sealed_by_integrator``): the hub takes that seal from a user registered with that integrator."""
    integrator = pki.seal(test_root, identifier=INTEGRATOR_VKN, title="Entegratör A.Ş.")
    invoices = sealed_invoices(tenant_a, integrator, test_root)
    first, second = sender_envelope(invoices), sender_envelope(invoices)

    packed = packing.pack(first, sbdh.parse_envelope(first).uuid)
    assert refused(hub, packed.file_name, packed.data) == [1000, 1100, 1176]  # A has not named an integrator

    hub_register(identifier="1234567890", title="A Tekstil A.Ş.", aliases=[], endpoint=hub.a.url, integrator=INTEGRATOR_VKN)
    hub.send(second)
    assert history(sbdh.parse_envelope(second).uuid) == [1000, 1100, 1200]
    assert len(hub.b.received) == 1


def test_another_integrators_seal_is_1176(hub, tenant_a, tenant_b, test_root):
    hub_register(identifier="1234567890", title="A Tekstil A.Ş.", aliases=[], endpoint=hub.a.url, integrator=INTEGRATOR_VKN)
    stranger = pki.seal(test_root, identifier="1111111111", title="Başka Entegratör A.Ş.")
    xml = sender_envelope(sealed_invoices(tenant_a, stranger, test_root))
    packed = packing.pack(xml, sbdh.parse_envelope(xml).uuid)

    assert refused(hub, packed.file_name, packed.data) == [1000, 1100, 1176]


@pytest.mark.parametrize("parties", [
    {"sender_alias": A_PK},  # A's postbox cannot send invoices
    {"sender_alias": "urn:mail:satis@a-tekstil.com.tr"},  # not A's alias at all
    {"sender_alias": B_GB},  # B's sender unit, claimed by A's VKN
], ids=["pk-as-sender", "unregistered", "another-users-alias"])
def test_a_sender_alias_the_sender_does_not_hold_as_gb_is_1171(hub, invoices, parties):
    xml = sender_envelope(invoices, **parties)
    packed = packing.pack(xml, sbdh.parse_envelope(xml).uuid)

    assert refused(hub, packed.file_name, packed.data) == [1000, 1100, 1171]


def test_an_unknown_receiver_alias_is_1181(hub, invoices):
    xml = sender_envelope(invoices, receiver_alias="urn:mail:yok@b-gida.com.tr")
    packed = packing.pack(xml, sbdh.parse_envelope(xml).uuid)

    assert refused(hub, packed.file_name, packed.data) == [1000, 1100, 1181]


def test_a_deleted_receiver_alias_is_1181_and_refused_documents_are_not_registered(hub, envelope):
    assert hub_alias_delete(name="urn:mail:pk@b-gida.com.tr")
    packed = packing.pack(envelope, ENVELOPE_ID)

    assert refused(hub, packed.file_name, packed.data) == [1000, 1100, 1181]
    assert not HubDocument.objects.exists()


def test_processing_twice_changes_nothing(hub, envelope):
    from gibhub.processing import hub_envelope_process

    hub.send(envelope)
    envelope_id = HubDocument.objects.first().envelope_id
    hub_envelope_process(envelope_id=envelope_id)

    assert history(ENVELOPE_ID) == [1000, 1100, 1200]
    assert HubDocument.objects.count() == 3 and len(hub.b.received) == 1


def test_the_documents_are_registered_by_their_uuids(hub, envelope, invoices):
    hub.send(envelope)

    expected = {etree.fromstring(i).findtext("cbc:UUID", namespaces=xades.NS).lower() for i in invoices}
    assert set(HubDocument.objects.values_list("uuid", flat=True)) == expected
    assert uuid.UUID(ENVELOPE_ID) == HubDocument.objects.first().envelope.uuid


def test_without_gibs_package_installed_the_hub_answers_its_own_failure_1195(hub, envelope, settings, tmp_path):
    settings.GIB_PACKAGES_ROOT = tmp_path / "empty"  # the client already holds the WSDL it read

    packed = packing.pack(envelope, ENVELOPE_ID)

    assert refused(hub, packed.file_name, packed.data) == [1000, 1100, 1195]
