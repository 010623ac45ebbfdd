from django.urls import reverse

from tenants.services import membership_set
from tests.conftest import PASSWORD
from tests.factories import make_user


def test_login_page_is_turkish_by_default(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en")
    assert response.status_code == 200
    assert "Oturum aç" in response.content.decode()
    assert response["Content-Language"] == "tr"


def test_english_can_be_chosen(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("login"))
    assert "Log in" in response.content.decode()
    assert response["Content-Language"] == "en"


def test_anonymous_people_are_sent_to_login(client, tenant_a):
    response = client.get(reverse("portal:dashboard", args=[tenant_a.identifier]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_login_leads_to_the_dashboard(client, user_a, tenant_a):
    response = client.post(reverse("login"), {"username": user_a.username, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert tenant_a.title in page and "urn:mail:pk@a-tekstil.com.tr" in page


def test_wrong_password_is_refused(client, user_a):
    response = client.post(reverse("login"), {"username": user_a.username, "password": "wrong"})
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated


def test_an_accountant_switches_between_tenants(client, tenant_a, tenant_b):
    accountant = make_user()
    membership_set(tenant=tenant_a, user=accountant, role="accountant")
    membership_set(tenant=tenant_b, user=accountant, role="accountant")
    client.force_login(accountant)
    home = client.get(reverse("portal:home")).content.decode()
    assert tenant_a.title in home and tenant_b.title in home
    response = client.get(reverse("portal:switch"), {"tenant": tenant_b.identifier})
    assert response["Location"] == reverse("portal:dashboard", args=[tenant_b.identifier])
    page = client.get(response["Location"]).content.decode()
    assert tenant_b.title in page and 'id="tenant-switch"' in page


def test_the_dashboard_of_a_lone_tenant_opens_directly(client_a, tenant_a):
    response = client_a.get(reverse("portal:home"))
    assert response["Location"] == reverse("portal:dashboard", args=[tenant_a.identifier])
