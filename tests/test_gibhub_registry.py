"""The local GİB hub's registry, the user lists it publishes in GİB's format (read back by our own
importer over HTTP), the command that registers, and the admin."""

import datetime as dt
import io
import zipfile

import pytest
import requests
from django.core.management import CommandError, call_command
from django.urls import reverse
from lxml import etree

from directory.lookup import default_postbox, registered_user
from directory.models import RegisteredAlias, RegisteredUser
from envelopes.userlist import userlist_import
from gibhub.models import ForcedCode, HubAlias, HubEnvelope, HubUser
from gibhub.registry import AliasTaken, BadRegistration, hub_alias_delete, hub_register
from tests.envelope_helpers import ENVELOPE_ID
from tests.envelope_helpers import envelope, invoices  # noqa: F401  (fixtures)
from tests.gib import GIB
from tests.gibhub_fixtures import hub, serve_receiver, skip_without_hub  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), skip_without_hub]
ENDPOINT = "http://127.0.0.1:9/services/EFatura"


def register_c(**changes):
    spec = {"identifier": "12345678950", "title": "Ayşe Yılmaz", "aliases": [("PK", "urn:mail:ayse@ornek.com.tr")], "endpoint": ENDPOINT}
    return hub_register(**{**spec, **changes})


# --- the registry ----------------------------------------------------------------------------------------


def test_registering_twice_changes_nothing():
    first = register_c()
    created = HubAlias.objects.get().created_at
    second = register_c()

    assert first.pk == second.pk and HubUser.objects.count() == 1
    assert list(HubAlias.objects.values_list("kind", "name", "endpoint", "created_at")) == [("PK", "urn:mail:ayse@ornek.com.tr", ENDPOINT, created)]


def test_registering_again_moves_the_endpoint_and_adds_aliases_keeping_the_others():
    register_c()
    register_c(title="Ayşe Yılmaz Kaya", aliases=[("gb", "URN:MAIL:Ayse-GB@ornek.com.tr")], endpoint="http://127.0.0.1:8/x")

    assert HubUser.objects.get().title == "Ayşe Yılmaz Kaya"
    assert set(HubAlias.objects.values_list("kind", "name", "endpoint")) == {
        ("PK", "urn:mail:ayse@ornek.com.tr", ENDPOINT), ("GB", "urn:mail:ayse-gb@ornek.com.tr", "http://127.0.0.1:8/x"),
    }


def test_an_active_alias_names_one_user_in_one_role():
    register_c()
    with pytest.raises(AliasTaken):
        hub_register(identifier="1234567890", title="A", aliases=[("PK", "urn:mail:ayse@ornek.com.tr")], endpoint=ENDPOINT)
    with pytest.raises(AliasTaken):
        register_c(aliases=[("GB", "urn:mail:ayse@ornek.com.tr")])

    assert hub_alias_delete(name="urn:mail:ayse@ornek.com.tr")
    hub_register(identifier="1234567890", title="A", aliases=[("PK", "urn:mail:ayse@ornek.com.tr")], endpoint=ENDPOINT)
    assert [(a.user.identifier, a.deleted_at is None) for a in HubAlias.objects.order_by("created_at")] == [
        ("12345678950", False), ("1234567890", True),
    ]
    assert not hub_alias_delete(name="urn:mail:yok@ornek.com.tr")


@pytest.mark.parametrize(("identifier", "aliases"), [("123", [("PK", "urn:mail:a@b.com.tr")]), ("1234567890", [("XX", "urn:mail:a@b.com.tr")]),
                                                      ("1234567890", [("PK", " ")])])
def test_what_is_no_registration_is_refused(identifier, aliases):
    with pytest.raises(BadRegistration):
        hub_register(identifier=identifier, title="A", aliases=aliases, endpoint=ENDPOINT)
    assert not HubUser.objects.exists()


def test_a_users_integrator_is_set_kept_and_cleared():
    register_c(integrator="9000068418")
    register_c()  # not named: kept
    assert HubUser.objects.get().integrator == "9000068418"
    register_c(integrator="")
    assert HubUser.objects.get().integrator == ""
    with pytest.raises(BadRegistration):
        register_c(integrator="90000")


def test_the_command_registers_a_users_integrator():
    call_command("gibhub", "register", "1234567890", "A Tekstil A.Ş.", "--endpoint", ENDPOINT, "--integrator", "9000068418")
    assert HubUser.objects.get().integrator == "9000068418"


def test_the_command_registers():
    call_command("gibhub", "register", "1234567890", "A Tekstil A.Ş.", "--endpoint", ENDPOINT,
                 "--gb", "urn:mail:gb@a-tekstil.com.tr", "--pk", "urn:mail:pk@a-tekstil.com.tr")

    assert set(HubAlias.objects.values_list("user__identifier", "kind", "name")) == {
        ("1234567890", "GB", "urn:mail:gb@a-tekstil.com.tr"), ("1234567890", "PK", "urn:mail:pk@a-tekstil.com.tr"),
    }
    with pytest.raises(CommandError):
        call_command("gibhub", "register", "1234567890", "B", "--endpoint", ENDPOINT, "--gb", "urn:mail:pk@a-tekstil.com.tr")


# --- the published lists -----------------------------------------------------------------------------------


def fetched(live_server, name: str) -> bytes:
    answer = requests.get(f"{live_server.url}/gibhub/userlist/{name}", timeout=30)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        (member,) = archive.infolist()
        return archive.read(member)


def to_second(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=0)


@pytest.fixture
def registry():
    """A and B with both aliases each, a person with a postbox only, and one postbox of A's deleted."""
    hub_register(identifier="1234567890", title="A Tekstil A.Ş.", endpoint=ENDPOINT,
                 aliases=[("GB", "urn:mail:gb@a-tekstil.com.tr"), ("PK", "urn:mail:pk@a-tekstil.com.tr"), ("PK", "urn:mail:eski@a-tekstil.com.tr")])
    hub_register(identifier="4840847211", title="B Gıda & Ticaret <Ltd.>", endpoint=ENDPOINT,
                 aliases=[("GB", "urn:mail:gb@b-gida.com.tr"), ("PK", "urn:mail:pk@b-gida.com.tr")])
    register_c()
    hub_alias_delete(name="urn:mail:eski@a-tekstil.com.tr")


def test_the_lists_follow_gibs_schema_and_hold_each_kinds_users(live_server, registry):
    schema = etree.XMLSchema(etree.parse(str(GIB / "xsd" / "Userlist" / "NewUserList.xsd")))
    for name, kind, identifiers in (("newUserPkListxml.zip", "PK", ["1234567890", "12345678950", "4840847211"]),
                                    ("newUserGbListxml.zip", "GB", ["1234567890", "4840847211"])):
        document = etree.fromstring(fetched(live_server, name))
        assert schema.validate(document), schema.error_log
        assert document.xpath("User/Identifier/text()") == identifiers
        assert set(document.xpath("User/Documents/Document/@type")) == {"Invoice"}
        names = document.xpath("User/Documents/Document/Alias/Name/text()")
        assert names and all(HubAlias.objects.get(name=n).kind == kind for n in names)


def test_our_importer_reads_the_hubs_lists_as_the_hub_holds_them(live_server, registry):
    for name in ("newUserPkListxml.zip", "newUserGbListxml.zip"):
        result = userlist_import(source=f"{live_server.url}/gibhub/userlist/{name}")
        assert result.kind == name[7:9].upper()

    assert {(u.identifier, u.title, u.type, u.account_type, u.first_created_at) for u in RegisteredUser.objects.all()} == {
        (u.identifier, u.title, u.type, u.account_type, to_second(u.first_created_at)) for u in HubUser.objects.all()
    }
    imported = set(RegisteredAlias.objects.values_list("user__identifier", "kind", "document_type", "name", "created_at", "deleted_at"))
    assert imported == {
        (a.user.identifier, a.kind, a.document_type, a.name, to_second(a.created_at), a.deleted_at and to_second(a.deleted_at))
        for a in HubAlias.objects.select_related("user")
    }
    assert default_postbox("1234567890").name == "urn:mail:pk@a-tekstil.com.tr"  # the deleted one is not chosen
    assert {a.kind for a in registered_user("1234567890").active_aliases} == {"GB", "PK"}


def test_an_empty_registry_publishes_an_empty_list(live_server):
    document = etree.fromstring(fetched(live_server, "newUserGbListxml.zip"))

    assert document.tag == "UserList" and len(document) == 0


# --- the admin --------------------------------------------------------------------------------------------


def test_the_admin_shows_envelopes_with_their_history_and_edits_forced_codes(hub, envelope, admin_client):
    hub.send(envelope)
    stored = HubEnvelope.objects.get()

    page = admin_client.get(reverse("admin:gibhub_hubenvelope_change", args=[stored.pk]))
    assert page.status_code == 200 and b"ZARF BA" in page.content and str(ENVELOPE_ID).encode() in page.content
    assert admin_client.get(reverse("admin:gibhub_hubenvelope_add")).status_code == 403
    assert admin_client.get(reverse("admin:gibhub_hubuser_changelist")).status_code == 200
    for query in (ENVELOPE_ID, "gb@a-tekstil", "not a uuid"):
        listed = admin_client.get(reverse("admin:gibhub_hubenvelope_changelist"), {"q": query})
        assert listed.status_code == 200

    added = admin_client.post(reverse("admin:gibhub_forcedcode_add"), {"code": "2004", "receiver_alias": "", "operation": "", "remaining": "1"})
    assert added.status_code == 302
    assert ForcedCode.objects.get().operation == ForcedCode.Operation.QUERY
    refused = admin_client.post(reverse("admin:gibhub_forcedcode_add"), {"code": "1000", "receiver_alias": "", "operation": "", "remaining": "1"})
    assert refused.status_code == 200 and ForcedCode.objects.count() == 1
