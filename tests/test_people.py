"""A tenant's people: an owner invites by e-mail (a link that expires, used once, withdrawn or replaced),
changes roles and removes people, and a tenant always keeps an owner, also when two owners demote
each other at once. Only owners reach these pages; another tenant's ids are a 404."""

import datetime as dt
import hashlib
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from tenants.models import Invitation, Membership
from tenants.people import invitation_create, member_remove, member_role_change
from tenants.roles import Role
from tenants.services import membership_set
from tests.clock import NOW
from tests.concurrency import run_concurrently
from tests.conftest import PASSWORD
from tests.factories import make_user

NEW_PASSWORD = "kırmızı elma ağacı 42"


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def invite(tenant, owner, email="ayse@a-tekstil.com.tr", role=Role.CLERK, **kwargs):
    return invitation_create(tenant=tenant, email=email, name="Ayşe Yılmaz", role=role, invited_by=owner, **kwargs)


def link_of(message) -> str:
    return re.search(r"https?://\S+/invite/[\w-]+/", message.body).group(0)


def path_of(token: str) -> str:
    return reverse("portal:invite", args=[token])


# --- inviting -------------------------------------------------------------------------------------


def test_an_owner_invites_by_e_mail_and_only_the_tokens_hash_is_kept(client_a, tenant_a, user_a, mailoutbox):
    response = client_a.post(reverse("portal:people", args=[tenant_a.identifier]),
                             {"name": "Ayşe Yılmaz", "email": "Ayse@A-Tekstil.com.tr", "role": "clerk"})
    assert response.status_code == 302
    [invitation] = Invitation.objects.all()
    [message] = mailoutbox
    token = link_of(message).rstrip("/").rsplit("/", 1)[1]
    assert (invitation.email, invitation.role, invitation.tenant, invitation.invited_by) == ("ayse@a-tekstil.com.tr", "clerk", tenant_a, user_a)
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in str(Invitation.objects.values().get())
    assert link_of(message).startswith(settings.PUBLIC_URL + "/invite/")
    assert message.to == ["ayse@a-tekstil.com.tr"] and message.extra_headers["Content-Language"] == "tr"
    assert invitation.expires_at - invitation.created_at == dt.timedelta(days=settings.INVITATION_DAYS)


def test_the_e_mail_speaks_english_when_the_inviter_does(client_a, tenant_a, mailoutbox):
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client_a.post(reverse("portal:people", args=[tenant_a.identifier]), {"name": "Ayşe Yılmaz", "email": "ayse@a-tekstil.com.tr", "role": "clerk"})
    [message] = mailoutbox
    assert message.extra_headers["Content-Language"] == "en"
    assert message.subject == f"Invitation to {tenant_a.display_name} on the e-Invoice portal"
    assert "invites you to serve A Tekstil A.Ş. on the e-Invoice portal as Clerk" in message.body


def test_the_days_a_link_lasts_are_a_setting(tenant_a, user_a, settings, mailoutbox):
    settings.INVITATION_DAYS = 2
    invitation, _token = invite(tenant_a, user_a, now=NOW)
    assert invitation.expires_at == NOW + dt.timedelta(days=2)


@pytest.mark.parametrize("data, field", [
    ({"name": "Ayşe", "email": "not an address", "role": "clerk"}, "email"),
    ({"name": "Ayşe", "email": "ayse@a-tekstil.com.tr", "role": "boss"}, "role"),
    ({"name": "", "email": "ayse@a-tekstil.com.tr", "role": "clerk"}, "name"),
])
def test_a_bad_invitation_is_refused_with_a_reason_and_nothing_is_stored(client_a, tenant_a, mailoutbox, data, field):
    response = client_a.post(reverse("portal:people", args=[tenant_a.identifier]), data)
    assert response.status_code == 400 and response.context["form"].errors[field]
    assert not Invitation.objects.exists() and mailoutbox == []


def test_a_member_is_not_invited_again(english, client_a, tenant_a, user_a, mailoutbox):
    user_a.email = "owner@a-tekstil.com.tr"
    user_a.save()
    response = client_a.post(reverse("portal:people", args=[tenant_a.identifier]), {"name": "Ben", "email": "OWNER@a-tekstil.com.tr", "role": "clerk"})
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == ["owner@a-tekstil.com.tr is already a member of this taxpayer."]
    assert not Invitation.objects.exists() and mailoutbox == []


def test_inviting_the_address_again_replaces_the_open_invitation(english, tenant_a, user_a, mailoutbox):
    first, old = invite(tenant_a, user_a)
    second, new = invite(tenant_a, user_a, role=Role.ACCOUNTANT)
    first.refresh_from_db()
    assert (first.revoked_at is not None, first.replaced, second.is_open, second.role) == (True, True, True, "accountant")
    assert Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True).count() == 1
    response = english.get(path_of(old))
    assert response.status_code == 410 and "replaced by a newer one" in response.content.decode()
    assert english.get(path_of(new)).status_code == 200


def test_an_invitation_that_cannot_be_sent_leaves_nothing_and_the_earlier_link_open(english, client_a, tenant_a, user_a, settings,
                                                                                   free_tcp_port, mailoutbox):
    first, token = invite(tenant_a, user_a)
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = "django.core.mail.backends.smtp.EmailBackend", "127.0.0.1", free_tcp_port
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client_a.post(reverse("portal:people", args=[tenant_a.identifier]), {"name": "Ayşe", "email": "ayse@a-tekstil.com.tr", "role": "viewer"})
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "The invitation could not be sent to ayse@a-tekstil.com.tr: the connection was refused. Nothing was changed; try again."]
    assert list(Invitation.objects.values_list("id", "role", "revoked_at")) == [(first.id, "clerk", None)]
    assert english.get(path_of(token)).status_code == 200


# --- opening the link -----------------------------------------------------------------------------


def test_a_person_without_an_account_sets_a_password_and_lands_in_the_tenant(english, tenant_a, user_a, mailoutbox):
    _invitation, token = invite(tenant_a, user_a)
    page = english.get(path_of(token))
    assert page.status_code == 200 and page.context["form"].initial == {"first_name": "Ayşe", "last_name": "Yılmaz"}
    response = english.post(path_of(token), {"first_name": "Ayşe", "last_name": "Yılmaz", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard", args=[tenant_a.identifier])
    user = get_user_model().objects.get(email="ayse@a-tekstil.com.tr")
    assert (user.username, user.get_full_name(), user.check_password(NEW_PASSWORD)) == ("ayse@a-tekstil.com.tr", "Ayşe Yılmaz", True)
    assert Membership.objects.get(user=user).role == Role.CLERK
    assert english.get(reverse("portal:dashboard", args=[tenant_a.identifier])).status_code == 200  # signed in
    assert Invitation.objects.get().accepted_by == user


@pytest.mark.parametrize("password, words", [
    ("kısa", "This password is too short"),
    ("password123", "This password is too common"),
    ("8203948572910", "This password is entirely numeric"),
])
def test_djangos_password_rules_apply_and_a_refused_password_makes_nothing(english, tenant_a, user_a, mailoutbox, password, words):
    _invitation, token = invite(tenant_a, user_a)
    response = english.post(path_of(token), {"first_name": "Ayşe", "last_name": "Yılmaz", "password1": password, "password2": password})
    assert response.status_code == 200 and words in response.content.decode()  # a 4xx would log the path, its token in it
    assert not get_user_model().objects.filter(email="ayse@a-tekstil.com.tr").exists()
    assert Invitation.objects.get().is_open


def test_two_different_passwords_are_refused(english, tenant_a, user_a, mailoutbox):
    _invitation, token = invite(tenant_a, user_a)
    response = english.post(path_of(token), {"first_name": "A", "last_name": "Y", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "!"})
    assert "The two passwords differ." in response.content.decode() and not get_user_model().objects.filter(email__startswith="ayse").exists()


def test_a_used_link_says_so(english, tenant_a, user_a, mailoutbox):
    _invitation, token = invite(tenant_a, user_a)
    english.post(path_of(token), {"first_name": "Ayşe", "last_name": "Yılmaz", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    other = Client()
    other.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for method in (other.get, other.post):
        response = method(path_of(token), {"first_name": "X", "last_name": "Y", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert response.status_code == 410 and "already been accepted" in response.content.decode()
    assert get_user_model().objects.filter(email="ayse@a-tekstil.com.tr").count() == 1


def test_an_expired_link_says_so(english, tenant_a, user_a, mailoutbox):
    _invitation, token = invite(tenant_a, user_a, now=NOW - dt.timedelta(days=settings.INVITATION_DAYS, seconds=1))
    for method in (english.get, english.post):
        response = method(path_of(token), {"first_name": "X", "last_name": "Y", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
        assert response.status_code == 410 and "This invitation has expired." in response.content.decode()
    assert not get_user_model().objects.filter(email="ayse@a-tekstil.com.tr").exists()


def test_a_withdrawn_link_says_so(client_a, tenant_a, user_a, mailoutbox):
    invitation, token = invite(tenant_a, user_a)
    response = client_a.post(reverse("portal:invitation-revoke", args=[tenant_a.identifier, invitation.id]))
    assert response.status_code == 302
    anonymous = Client()
    anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = anonymous.get(path_of(token))
    assert response.status_code == 410 and "This invitation was withdrawn by the taxpayer" in response.content.decode()
    assert client_a.post(reverse("portal:invitation-revoke", args=[tenant_a.identifier, invitation.id])).status_code == 409


def test_an_unknown_link_is_a_404(english, db):
    response = english.get(path_of("no-such-token"))
    assert response.status_code == 404 and "not valid" in response.content.decode()


def test_someone_with_an_account_logs_in_and_accepts(english, tenant_a, tenant_b, user_a, mailoutbox):
    accountant = make_user(tenant=tenant_b, role=Role.ACCOUNTANT)
    accountant.email = "muhasebe@example.com"
    accountant.save()
    _invitation, token = invite(tenant_a, user_a, email="Muhasebe@Example.com", role=Role.ACCOUNTANT)
    page = english.get(path_of(token))
    assert page.status_code == 200 and page.context["log_in"] == f"{reverse('login')}?next=%2Finvite%2F{token}%2F"
    english.post(reverse("login"), {"username": accountant.username, "password": PASSWORD})
    assert english.get(path_of(token)).context["accept"] is True
    response = english.post(path_of(token))
    assert response["Location"] == reverse("portal:dashboard", args=[tenant_a.identifier])
    assert dict(Membership.objects.filter(user=accountant).values_list("tenant__identifier", "role")) == {
        tenant_a.identifier: "accountant", tenant_b.identifier: "accountant"}


def test_the_link_is_not_for_someone_else_signed_in(english, tenant_a, user_a, mailoutbox):
    _invitation, token = invite(tenant_a, user_a, email="ayse@a-tekstil.com.tr")
    someone = make_user()
    someone.email = "ayse@a-tekstil.com.tr"
    someone.save()
    english.force_login(make_user())
    response = english.post(path_of(token))
    assert "you are signed in as someone else" in response.content.decode()
    assert Invitation.objects.get().is_open and not Membership.objects.filter(user=someone).exists()


# --- roles, removal and the last owner --------------------------------------------------------------


def test_an_owner_changes_a_role_and_removes_a_member(client_a, tenant_a):
    clerk = make_user(tenant=tenant_a, role=Role.CLERK)
    membership = Membership.objects.get(user=clerk)
    response = client_a.post(reverse("portal:member-role", args=[tenant_a.identifier, membership.id]), {"role": "accountant"})
    assert response.status_code == 302 and Membership.objects.get(id=membership.id).role == Role.ACCOUNTANT
    assert client_a.post(reverse("portal:member-role", args=[tenant_a.identifier, membership.id]), {"role": "boss"}).status_code == 400
    response = client_a.post(reverse("portal:member-remove", args=[tenant_a.identifier, membership.id]))
    assert response.status_code == 302 and not Membership.objects.filter(id=membership.id).exists()
    assert get_user_model().objects.filter(id=clerk.id).exists()  # the account stays


def test_the_last_owner_can_be_neither_demoted_nor_removed(client_a, tenant_a, user_a):
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    own = Membership.objects.get(user=user_a)
    for url, data in ((reverse("portal:member-role", args=[tenant_a.identifier, own.id]), {"role": "viewer"}),
                      (reverse("portal:member-remove", args=[tenant_a.identifier, own.id]), {})):
        response = client_a.post(url, data)
        assert response.status_code == 409
        assert "is the last owner of this taxpayer: make someone else an owner first." in response.content.decode()
    assert Membership.objects.get(id=own.id).role == Role.OWNER
    with pytest.raises(ValidationError) as refused:
        member_remove(tenant=tenant_a, member_id=own.id)
    assert refused.value.code == "last_owner"


def test_an_owner_may_leave_while_another_stays_and_the_tenant_keeps_the_record(client_a, tenant_a, user_a):
    make_user(tenant=tenant_a, role=Role.OWNER)
    own = Membership.objects.get(user=user_a)
    response = client_a.post(reverse("portal:member-remove", args=[tenant_a.identifier, own.id]))
    assert response["Location"] == reverse("portal:home") and not Membership.objects.filter(id=own.id).exists()
    assert tenant_a.audit_entries.filter(action="member-remove", user=user_a, refused=False).exists()
    assert client_a.get(reverse("portal:people", args=[tenant_a.identifier])).status_code == 404


def test_with_two_owners_one_may_step_down_and_then_the_other_may_not(tenant_a, user_a):
    second = Membership.objects.get(user=make_user(tenant=tenant_a, role=Role.OWNER))
    first = Membership.objects.get(user=user_a)
    member_role_change(tenant=tenant_a, member_id=second.id, role=Role.ACCOUNTANT)
    with pytest.raises(ValidationError):
        member_role_change(tenant=tenant_a, member_id=first.id, role=Role.ACCOUNTANT)
    assert Membership.objects.filter(tenant=tenant_a, role=Role.OWNER).get() == first


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_once_leave_one_owner(tenant_a, user_a):
    first = Membership.objects.get(user=user_a)
    second = Membership.objects.get(user=make_user(tenant=tenant_a, role=Role.OWNER))
    moves = iter([first.id, second.id])

    def demote():
        return member_role_change(tenant=tenant_a, member_id=next(moves), role=Role.VIEWER)

    for _round in range(5):
        results, errors = run_concurrently(demote, 2)
        assert len(results) == 1 and [getattr(e, "code", e) for e in errors] == ["last_owner"]
        assert Membership.objects.filter(tenant=tenant_a, role=Role.OWNER).count() == 1
        Membership.objects.filter(tenant=tenant_a).update(role=Role.OWNER)
        moves = iter([first.id, second.id])


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_one_link_used_twice_at_once_makes_one_account(tenant_a, user_a, mailoutbox):
    from tenants.people import invitation_sign_up

    _invitation, token = invite(tenant_a, user_a)
    results, errors = run_concurrently(lambda: invitation_sign_up(token=token, password=NEW_PASSWORD, first_name="Ayşe"), 2)
    assert len(results) == 1 and [getattr(e, "code", e) for e in errors] == ["used"]
    assert get_user_model().objects.filter(email="ayse@a-tekstil.com.tr").count() == 1


# --- who may, and whose ids ---------------------------------------------------------------------------


def owner_urls(tenant, member_id: int, invitation_id: int) -> list[tuple[str, str]]:
    return [("get", reverse("portal:people", args=[tenant.identifier])), ("get", reverse("portal:audit-log", args=[tenant.identifier])),
            ("post", reverse("portal:people", args=[tenant.identifier])),
            ("post", reverse("portal:member-role", args=[tenant.identifier, member_id])),
            ("post", reverse("portal:member-remove", args=[tenant.identifier, member_id])),
            ("post", reverse("portal:invitation-revoke", args=[tenant.identifier, invitation_id]))]


@pytest.mark.parametrize("role", [Role.ACCOUNTANT, Role.CLERK, Role.VIEWER])
def test_only_owners_reach_the_people_pages_and_see_their_links(client, tenant_a, user_a, mailoutbox, role):
    invitation, _token = invite(tenant_a, user_a)
    own = Membership.objects.get(user=user_a)
    client.force_login(make_user(tenant=tenant_a, role=role))
    for method, url in owner_urls(tenant_a, own.id, invitation.id):
        assert getattr(client, method)(url, {"role": "viewer"}).status_code == 403, url
    dashboard = client.get(reverse("portal:dashboard", args=[tenant_a.identifier])).content.decode()
    assert "/people/" not in dashboard and "/audit/" not in dashboard
    assert Membership.objects.get(id=own.id).role == Role.OWNER and Invitation.objects.get().is_open


def test_an_owner_sees_the_links(client_a, tenant_a):
    dashboard = client_a.get(reverse("portal:dashboard", args=[tenant_a.identifier])).content.decode()
    assert reverse("portal:people", args=[tenant_a.identifier]) in dashboard and reverse("portal:audit-log", args=[tenant_a.identifier]) in dashboard


def test_tenant_bs_ids_are_a_404(client_a, tenant_a, tenant_b, user_b, mailoutbox):
    invitation, _token = invite(tenant_b, user_b, email="someone@b-gida.com.tr")
    theirs = Membership.objects.get(user=user_b)
    for method, url in owner_urls(tenant_a, theirs.id, invitation.id)[3:]:  # A's pages, B's ids
        assert getattr(client_a, method)(url, {"role": "viewer"}).status_code == 404, url
    for method, url in owner_urls(tenant_b, theirs.id, invitation.id):  # B's pages
        assert getattr(client_a, method)(url, {"role": "viewer"}).status_code == 404, url
    assert Membership.objects.get(id=theirs.id).role == Role.OWNER and Invitation.objects.get().is_open


def test_the_people_page_lists_members_with_role_and_since(client_a, tenant_a, user_a, mailoutbox):
    client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    clerk = make_user(tenant=tenant_a, role=Role.CLERK)
    invite(tenant_a, user_a)
    page = client_a.get(reverse("portal:people", args=[tenant_a.identifier]))
    assert [m.user for m in page.context["members"]] == [user_a, clerk]
    assert [i.email for i in page.context["invitations"]] == ["ayse@a-tekstil.com.tr"]
    assert f'data-member="{clerk.username}"' in page.content.decode()


def test_the_profile_shows_every_tenant_served_with_its_role(client, tenant_a, tenant_b):
    accountant = make_user(tenant=tenant_a, role=Role.ACCOUNTANT)
    membership_set(tenant=tenant_b, user=accountant, role=Role.VIEWER)
    accountant.first_name, accountant.last_name, accountant.email = "Demo", "Muhasebeci", "muhasebe@example.com"
    accountant.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(accountant)
    page = client.get(reverse("portal:profile"))
    text = page.content.decode()
    assert {(m.tenant, m.role) for m in page.context["profile_memberships"]} == {(tenant_a, "accountant"), (tenant_b, "viewer")}
    assert "Demo Muhasebeci" in text and "muhasebe@example.com" in text and "English" in text
    assert reverse("password_change") in text
    assert client.get(reverse("password_change")).status_code == 200


def test_the_people_pages_speak_one_language(client_a, tenant_a, user_a, mailoutbox):
    from tests.test_languages import ENGLISH, TURKISH, _gibs_own, _visible, _words

    _invitation, token = invite(tenant_a, user_a)
    client_a.post(reverse("portal:people", args=[tenant_a.identifier]), {"name": "Ali Veli", "email": "ali@a-tekstil.com.tr", "role": "viewer"})
    pages = [reverse("portal:people", args=[tenant_a.identifier]), reverse("portal:audit-log", args=[tenant_a.identifier]),
             reverse("portal:profile"), reverse("password_change")]
    anonymous = Client()
    for language, foreign in (("tr", ENGLISH), ("en", TURKISH)):
        client_a.cookies[settings.LANGUAGE_COOKIE_NAME] = anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        answers = [client_a.get(url) for url in pages] + [anonymous.get(path_of(token))]
        for answer in answers:
            assert answer.status_code == 200, answer.request["PATH_INFO"]
            text = _gibs_own(_visible(answer.content))
            assert not _words(text) & foreign, (language, answer.request["PATH_INFO"], sorted(_words(text) & foreign))
