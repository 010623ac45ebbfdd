"""The audit of portal actions: every request that may change something, answered by any portal page
(those of tomorrow too, which is why the URL conf is swept), leaves one entry; signing in and out and
a failed sign-in leave one; owners read their tenant's, newest first, by person and action."""

import re
import uuid

from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from tenants.audit import ACTIONS, audit_record, audit_summary
from tenants.models import AuditEntry, Membership
from tenants.people import invitation_create
from tenants.roles import Role
from tests.conftest import PASSWORD
from tests.factories import make_user

NEW_PASSWORD = "kırmızı elma ağacı 42"


def entries(**filters) -> list[tuple]:
    return list(AuditEntry.objects.filter(**filters).order_by("id").values_list("action", "user__username", "tenant__identifier", "status_code"))


def test_signing_in_and_out_and_a_failed_sign_in_are_recorded(client, user_a):
    client.post(reverse("login"), {"username": user_a.username, "password": "wrong"}, REMOTE_ADDR="203.0.113.9")
    client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    client.post(reverse("login"), {"username": user_a.username, "password": PASSWORD})
    client.post(reverse("logout"))
    assert entries() == [("login-failed", user_a.username, None, None), ("login-failed", None, None, None),
                         ("login", user_a.username, None, None), ("logout", user_a.username, None, None)]
    failed = AuditEntry.objects.order_by("id").first()
    translation.activate("en")  # a page left its own language active
    assert (failed.params, failed.client_ip, audit_summary(failed)) == ({"username": user_a.username}, "203.0.113.9", f"Failed sign-in as {user_a.username}")
    assert "wrong" not in str(list(AuditEntry.objects.values()))  # never the password


def test_people_actions_are_recorded_with_what_they_touched(client_a, tenant_a, user_a, mailoutbox):
    people = reverse("portal:people", args=[tenant_a.identifier])
    client_a.post(people, {"name": "Ayşe Yılmaz", "email": "ayse@a-tekstil.com.tr", "role": "clerk"}, REMOTE_ADDR="198.51.100.7")
    invitation = tenant_a.invitations.get()
    client_a.post(reverse("portal:invitation-revoke", args=[tenant_a.identifier, invitation.id]))
    clerk = Membership.objects.get(user=make_user(tenant=tenant_a, role=Role.CLERK, password=PASSWORD))
    client_a.post(reverse("portal:member-role", args=[tenant_a.identifier, clerk.id]), {"role": "accountant"})
    own = Membership.objects.get(user=user_a)
    client_a.post(reverse("portal:member-remove", args=[tenant_a.identifier, own.id]))  # the last owner: refused
    client_a.post(reverse("portal:member-remove", args=[tenant_a.identifier, clerk.id]))
    rows = list(AuditEntry.objects.filter(tenant=tenant_a).order_by("id"))
    name = clerk.user.username
    translation.activate("en")  # a page left its own language active
    assert [(e.action, e.subject_type, e.status_code, audit_summary(e)) for e in rows] == [
        ("member-invite", "invitation", 302, "Invited ayse@a-tekstil.com.tr as Clerk"),
        ("invitation-revoke", "invitation", 302, "Withdrew the invitation of ayse@a-tekstil.com.tr"),
        ("member-role", "member", 302, f"Changed the role of {name} from Clerk to Accountant"),
        ("member-remove", "member", 409, f"Removed {user_a.username} (Owner)"),
        ("member-remove", "member", 302, f"Removed {name} (Accountant)"),
    ]
    assert rows[0].client_ip == "198.51.100.7" and all(e.user == user_a for e in rows)
    assert (rows[1].subject_ref, rows[2].subject_ref) == (str(invitation.id), str(clerk.id))


def test_accepting_an_invitation_is_recorded_in_the_tenant_and_its_token_is_not(client, tenant_a, user_a, mailoutbox):
    _invitation, token = invitation_create(tenant=tenant_a, email="ayse@a-tekstil.com.tr", name="Ayşe Yılmaz", role="clerk", invited_by=user_a)
    url = reverse("portal:invite", args=[token])
    client.post(url, {"first_name": "Ayşe", "last_name": "Yılmaz", "password1": "short", "password2": "short"})
    client.post(url, {"first_name": "Ayşe", "last_name": "Yılmaz", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert entries() == [("invite", None, None, 200), ("login", "ayse@a-tekstil.com.tr", None, None),
                         ("invitation-accept", "ayse@a-tekstil.com.tr", tenant_a.identifier, 302)]
    assert not AuditEntry.objects.filter(path__contains=token).exists()
    assert AuditEntry.objects.filter(action="invite").get().path == "/invite/…/"


def test_an_invoice_action_of_another_app_is_recorded_with_its_invoice(client_a, tenant_a):
    ettn = uuid.uuid4()
    client_a.post(reverse("portal:invoice-cancel", args=[tenant_a.identifier, ettn]), {"reason": "yanlış"})
    [entry] = AuditEntry.objects.exclude(action="login")  # client_a signed in
    assert (entry.action, entry.tenant, entry.subject_type, entry.subject_ref, entry.status_code, entry.refused) == (
        "invoice-cancel", tenant_a, "invoice", str(ettn), 404, True)


def test_a_page_that_says_an_error_and_goes_back_is_recorded_as_refused(client_a, tenant_a, mailoutbox):
    answer = client_a.post(reverse("portal:inbox-answer", args=[tenant_a.identifier]), {"code": "KABUL"})  # nothing ticked
    invited = client_a.post(reverse("portal:people", args=[tenant_a.identifier]), {"name": "A", "email": "a@a-tekstil.com.tr", "role": "clerk"})
    assert (answer.status_code, invited.status_code) == (302, 302)
    assert list(AuditEntry.objects.exclude(action="login").order_by("id").values_list("action", "status_code", "refused")) == [
        ("inbox-answer", 302, True), ("member-invite", 302, False)]


def test_changing_ones_password_is_recorded_and_a_refused_change_too(client_a, user_a):
    url = reverse("password_change")
    client_a.post(url, {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    client_a.post(url, {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    user_a.refresh_from_db()
    assert user_a.check_password(NEW_PASSWORD)
    assert list(AuditEntry.objects.filter(action="password_change").order_by("id").values_list("status_code", "refused")) == [
        (200, True), (302, False)]


def test_reading_and_calculating_are_not_recorded(client_a, tenant_a):
    client_a.get(reverse("portal:people", args=[tenant_a.identifier]))
    client_a.get(reverse("portal:invoices", args=[tenant_a.identifier]))
    client_a.post(reverse("portal:invoice-new-totals", args=[tenant_a.identifier]), "{}", content_type="application/json")
    client_a.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["login"]  # client_a signed in


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            yield from _patterns(item, prefix + str(item.pattern), item.namespace or namespace)
        elif isinstance(item, URLPattern) and namespace == "portal":
            yield prefix + str(item.pattern), item


VALUES = {"uuid": str(uuid.uuid4()), "number": str(uuid.uuid4()), "direction": "out", "token": "no-such-token"}


def test_every_portal_page_records_what_is_posted_to_it_unless_it_changes_nothing(tenant_a, user_a):
    """A sweep of the URL conf: a page added tomorrow is audited without asking."""
    client = Client(raise_request_exception=False)
    client.force_login(user_a)
    AuditEntry.objects.all().delete()
    values = {**VALUES, "identifier": tenant_a.identifier}
    swept = 0
    for route, pattern in _patterns(get_resolver()):
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda part: values.get(part.group(1), "999999"), "/" + route.replace("^", "").replace("\\Z", ""))
        before = AuditEntry.objects.count()
        client.post(url, {})
        quiet = getattr(pattern.callback, "audit_quiet", False)
        assert AuditEntry.objects.count() == before + (0 if quiet else 1), url
        swept += 1
    assert swept > 30 and AuditEntry.objects.filter(tenant=tenant_a).count() > 20


# --- the audit log page -------------------------------------------------------------------------------


def test_owners_read_their_tenants_audit_newest_first_by_person_and_action(client_a, tenant_a, tenant_b, user_a, user_b, monkeypatch):
    clerk = make_user(tenant=tenant_a, role=Role.CLERK)
    for n in range(5):
        audit_record(action="exports", user=clerk if n % 2 else user_a, tenant=tenant_a, status_code=302)
    audit_record(action="uploads", user=clerk, tenant=tenant_a, status_code=400)
    audit_record(action="exports", user=user_b, tenant=tenant_b, status_code=302)
    url = reverse("portal:audit-log", args=[tenant_a.identifier])
    page = client_a.get(url)
    shown = [entry for entry, *_words in page.context["entries"]]
    assert shown == list(AuditEntry.objects.filter(tenant=tenant_a).order_by("-id")) and len(shown) == 6
    assert page.context["people"] == sorted([user_a, clerk], key=lambda u: u.username)
    assert [code for code, _label in page.context["actions"]] == ["exports", "uploads"]
    by_clerk = client_a.get(url, {"person": clerk.id}).context["entries"]
    assert {entry.user for entry, *_words in by_clerk} == {clerk} and len(by_clerk) == 3
    uploads = client_a.get(url, {"action": "uploads"}).context["entries"]
    assert [(entry.action, entry.status_code) for entry, *_words in uploads] == [("uploads", 400)]
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "refused (400)" in client_a.get(url, {"action": "uploads"}).content.decode()

    monkeypatch.setattr("tenants.views.people.AUDIT_PAGE", 4)
    first = client_a.get(url)
    assert len(first.context["entries"]) == 4 and first.context["next_query"]
    second = client_a.get(f"{url}?{first.context['next_query']}")
    seen = [e[0].id for e in first.context["entries"]] + [e[0].id for e in second.context["entries"]]
    assert seen == [entry.id for entry in shown] and not second.context["next_query"]


def test_every_action_that_is_worded_reads_without_its_values_too():
    for action in ACTIONS:
        assert audit_summary(AuditEntry(action=action, params={})).strip()
