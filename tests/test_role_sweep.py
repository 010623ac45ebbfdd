"""Every portal page against every role: the role table below is what each role may do, and the
test reads the URL conf, so a page that is added without a line here fails it. For each page, each
role gets the page (or its form's answer) or 403; another tenant's ids give 404 on every one."""

import datetime as dt
import re
import uuid
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from archive.handover import handover_put
from archive.models import Document
from archive.services import document_store
from designs.models import Design
from earsiv.models import Report
from exports.models import Export
from invoices.models import SavedDraft
from tenants.api_keys import api_key_create
from tenants.models import Invitation
from tenants.people import token_hash
from tenants.roles import ROLE_PERMISSIONS, Permission, Role
from tenants.webhooks import webhook_create
from tests.clock import NOW, TODAY
from tests.factories import make_user
from tests.test_portal_invoices import incoming, outgoing
from uploads.models import Upload

STAFF = "staff"  # the integrator's staff (is_staff), whatever their role: no role of a tenant gives it
VIEW, ISSUE, RESPOND, EXPORT, CONFIGURE, MEMBERS = (Permission.VIEW, Permission.ISSUE, Permission.RESPOND, Permission.EXPORT,
                                                    Permission.CONFIGURE, Permission.MANAGE_MEMBERS)

# name in the ``portal`` namespace → (the method a person uses, the permission it needs)
ROLE_TABLE = {
    "home": ("GET", None),
    "switch": ("GET", VIEW),
    "dashboard": ("GET", VIEW),
    "invoices": ("GET", VIEW),
    "inbox": ("GET", VIEW),
    "inbox-answer": ("POST", RESPOND),
    "invoice-new": ("GET", ISSUE),
    "invoice-new-customer": ("GET", ISSUE),
    "invoice-new-totals": ("POST", ISSUE),
    "invoice-new-check": ("POST", ISSUE),
    "invoice-new-preview": ("POST", ISSUE),
    "invoice-new-save": ("POST", ISSUE),
    "invoice-new-issue": ("POST", ISSUE),
    "drafts": ("GET", ISSUE),
    "draft-delete": ("POST", ISSUE),
    "search": ("GET", VIEW),
    "move-in": ("GET", CONFIGURE),
    "exports": ("GET", VIEW),
    "list-download": ("POST", VIEW),
    "uploads": ("GET", ISSUE),
    "upload-template": ("GET", ISSUE),
    "upload": ("GET", ISSUE),
    "upload-status": ("GET", ISSUE),
    "upload-report-csv": ("GET", ISSUE),
    "upload-report-xlsx": ("GET", ISSUE),
    "delivery-preferences": ("GET", CONFIGURE),
    "export-status": ("GET", VIEW),
    "export-download": ("GET", VIEW),
    "invoice": ("GET", VIEW),
    "invoice-xml": ("GET", VIEW),
    "invoice-view": ("GET", VIEW),
    "invoice-pdf": ("GET", VIEW),
    "invoice-deliver": ("POST", ISSUE),
    "invoice-link-revoke": ("POST", ISSUE),
    "invoice-cancel": ("POST", ISSUE),
    "invoice-objection": ("POST", ISSUE),
    "earsiv-reports": ("GET", VIEW),
    "earsiv-report-xml": ("GET", VIEW),
    "invoice-response-xml": ("GET", VIEW),
    "invoice-response-view": ("GET", VIEW),
    "invoice-answer": ("POST", RESPOND),
    "invoice-return": ("POST", ISSUE),
    "people": ("GET", MEMBERS),
    "member-role": ("POST", MEMBERS),
    "member-remove": ("POST", MEMBERS),
    "invitation-revoke": ("POST", MEMBERS),
    "audit-log": ("GET", MEMBERS),
    "profile": ("GET", None),
    "invite": ("GET", None),  # opened by its token, by whoever holds it
    "seals": ("GET", CONFIGURE),
    "seal-authorisation": ("POST", MEMBERS),  # the owner's to give
    "api-keys": ("GET", CONFIGURE),
    "api-key-revoke": ("GET", CONFIGURE),
    "webhooks": ("GET", CONFIGURE),
    "webhook": ("GET", CONFIGURE),
    "webhook-delete": ("GET", CONFIGURE),
    "webhook-action": ("POST", CONFIGURE),
    "designs": ("GET", VIEW),
    "design": ("GET", VIEW),
    "design-view": ("GET", VIEW),
    "design-pdf": ("GET", VIEW),
    "design-activate": ("POST", CONFIGURE),
    "design-default": ("POST", CONFIGURE),
    "design-gib": ("POST", CONFIGURE),
    "aliases": ("GET", VIEW),
    "credits": ("GET", VIEW),
    "credits-threshold": ("POST", MEMBERS),  # the owner's to set
    "credits-top-up": ("POST", STAFF),
    "security": ("GET", MEMBERS),  # whether its owners must use two-factor: the owners' to say
    "reports": ("GET", VIEW),
    "report-download": ("GET", VIEW),
}
DESIGN = (Path(__file__).resolve().parent.parent / "ubl" / "default.xslt").read_text(encoding="utf-8")
NOT_IDS = {"direction", "action", "name", "fmt"}  # words of an address that name no row of a tenant
# Pages that take away what they name: asked last, so the pages before find it.
LAST = {"member-remove", "invitation-revoke", "draft-delete"}
# What a person who may use the page gets: the page, its file, where it sends them, or a form's
# complaint about the empty form the sweep sends. Never 403, never 404, never an error.
ALLOWED = {200, 302, 400, 409, 422}


def _patterns(resolver=None, prefix: str = "", route: str = "") -> list[tuple[str, str]]:
    """(name, its whole route) of every named URL."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            found += _patterns(entry, f"{prefix}{entry.namespace}:" if entry.namespace else prefix, route + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            found.append((f"{prefix}{entry.name}", route + str(entry.pattern)))
    return found


def portal_pages() -> dict[str, str]:
    return {name.removeprefix("portal:"): route for name, route in _patterns() if name.startswith("portal:")}


def _names(route: str) -> set[str]:
    return set(re.findall(r"<(?:\w+:)?(\w+)>", route))


def test_every_portal_page_is_in_the_role_table():
    assert sorted(set(portal_pages()) - set(ROLE_TABLE)) == []
    assert sorted(set(ROLE_TABLE) - set(portal_pages())) == []


def _objects(tenant, tag: str, tmp_path) -> dict:
    """One of each thing a portal URL names, of ``tenant``, each with its documents."""
    answer = b"<ApplicationResponse/>"
    invoices = [outgoing(tenant, f"{tag}{TODAY.year}000000001"), incoming(tenant, f"X{tag}{TODAY.year}00000001")]
    for invoice in invoices:
        invoice.answer = "KABUL"
        invoice.answer_document = document_store(tenant=tenant, kind=Document.Kind.ANSWER_RECEIVED, data=answer, subject=("invoice", invoice.id))
        invoice.save(update_fields=["answer", "answer_document"])
    report = Report.objects.create(tenant=tenant, day=TODAY - dt.timedelta(days=1))
    report.document = document_store(tenant=tenant, kind=Document.Kind.EARSIV_REPORT, data=b"<eArsivRaporu/>", subject=("report", report.id))
    report.save(update_fields=["document"])
    (zipped := tmp_path / f"{tag}.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    key = f"sweep-{uuid.uuid4()}.zip"
    handover_put(key=key, path=zipped)
    export = Export.objects.create(tenant=tenant, requested_via="portal", contents=Export.Contents.BOTH, state=Export.State.READY,
                                   file_key=key, size=22, selection={"direction": "out", "uuids": [str(invoices[0].uuid)]})
    return {
        "identifier": tenant.identifier,
        "out": invoices[0].uuid, "in": invoices[1].uuid,
        "draft_id": SavedDraft.objects.create(tenant=tenant, payload={}).id,
        "export_id": export.id,
        "upload_id": Upload.objects.create(tenant=tenant).id,  # its uploader's account gone
        "number": report.number,
        "member_id": make_user(tenant=tenant, role=Role.VIEWER).memberships.get(tenant=tenant).id,
        "invitation_id": _invitation(tenant, f"geri-{tag}").id,  # the one withdrawn
        "token": _invitation(tenant, f"davetli-{tag}").token_hash and f"davetli-{tag}",  # the one opened
        "key_id": api_key_create(tenant=tenant, name="erp", scopes=["read"])[0].id,
        "webhook_id": webhook_create(tenant=tenant, url=f"https://erp.{tag.lower()}.example/hook")[0].id,
        "action": "disable",
        "name": "vat", "fmt": "csv",
        "design_id": Design.objects.create(tenant=tenant, name="Sade", xslt=DESIGN, size=len(DESIGN), sha256="0" * 64).id,
    }


def _invitation(tenant, token: str) -> Invitation:
    return Invitation.objects.create(tenant=tenant, email=f"{token}@example.com", role=Role.CLERK, token_hash=token_hash(token),
                                     expires_at=NOW + dt.timedelta(days=7))


def _address(name: str, route: str, objects: dict) -> list[str]:
    """The page's addresses with ``objects``' ids: one per direction where the page has both."""
    wanted = _names(route)
    kwargs = {key: objects[key] for key in wanted if key in objects}
    if "uuid" in wanted and "direction" not in wanted:
        kwargs["uuid"] = objects["in" if "/in/" in route else "out"]
    if "direction" in wanted:
        return [reverse(f"portal:{name}", kwargs=kwargs | {"direction": way, "uuid": objects[way]}) for way in ("out", "in")]
    address = reverse(f"portal:{name}", kwargs=kwargs)
    return [address + ("?tenant=" + objects["identifier"] if name == "switch" else "")]


@pytest.fixture
def world(tenant_a, tenant_b, gib_package, tmp_path):
    people = {role: make_user(tenant=tenant_a, role=role) for role in Role.values}
    return {"a": _objects(tenant_a, "A", tmp_path), "b": _objects(tenant_b, "B", tmp_path), "people": people}


def _ask(client, method: str, address: str) -> int:
    return (client.get(address) if method == "GET" else client.post(address, {})).status_code


@pytest.mark.parametrize("role", Role.values)
def test_each_role_gets_what_the_table_gives_it(client, world, role):
    client.force_login(world["people"][role])
    wrong = []
    for name, route in sorted(portal_pages().items(), key=lambda page: (page[0] in LAST, page[0])):
        method, needed = ROLE_TABLE[name]
        may = needed is None or needed in ROLE_PERMISSIONS[role]
        for address in _address(name, route, world["a"]):
            status = _ask(client, method, address)
            if (status in ALLOWED) != may or (not may and status != 403):
                wrong.append((name, method, address, status, "allowed" if may else "refused"))
    assert wrong == [], "\n".join(map(str, wrong))


def test_another_tenants_ids_give_404_on_every_page(client, world):
    """An owner of A, on A's address with B's ids, and on B's address: nothing of B is found."""
    client.force_login(world["people"][Role.OWNER])
    b_ids = world["b"] | {"identifier": world["a"]["identifier"]}
    wrong = []
    for name, route in sorted(portal_pages().items()):
        method = ROLE_TABLE[name][0]
        named = _names(route) - NOT_IDS
        if "identifier" not in named and name != "switch":
            continue  # not a tenant's page: the profile, an invitation opened by its token
        addresses = (_address(name, route, b_ids) if named - {"identifier"} else []) + _address(name, route, world["b"])
        for address in addresses:
            if (status := _ask(client, method, address)) != 404:
                wrong.append((name, method, address, status))
    assert wrong == [], "\n".join(map(str, wrong))
