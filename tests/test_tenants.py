import pytest
from django.core.exceptions import ValidationError

from tenants.ledger import credits_balance
from tenants.models import Alias
from tenants.services import alias_add, alias_delete, membership_set, tenant_create
from tests.factories import make_user


def test_a_company_needs_a_title(db):
    with pytest.raises(ValidationError) as caught:
        tenant_create(identifier="1234567890", tax_office="Kadıköy", city="İstanbul")
    assert "title" in str(caught.value)


def test_a_person_needs_first_and_last_name(db):
    with pytest.raises(ValidationError, match="first and a last name"):
        tenant_create(identifier="10000000146", tax_office="Kadıköy", city="İstanbul", title="Ayşe Yılmaz Danışmanlık")
    person = tenant_create(identifier="10000000146", tax_office="Kadıköy", city="İstanbul", first_name="Ayşe", last_name="Yılmaz")
    assert person.is_person and person.display_name == "Ayşe Yılmaz"


def test_malformed_vkn_is_refused_with_its_reason(db):
    with pytest.raises(ValidationError) as caught:
        tenant_create(identifier="1234567891", title="X A.Ş.", tax_office="Kadıköy", city="İstanbul")
    assert "check digit" in str(caught.value)


def test_a_new_tenant_starts_with_an_empty_credit_account(tenant_a):
    assert credits_balance(tenant=tenant_a) == 0


def test_aliases_are_normalized_and_kept(tenant_a):
    alias = alias_add(tenant=tenant_a, kind="PK", name="  URN:MAIL:Sube1PK@A-Tekstil.com.tr ", branch="Şube 1")
    assert alias.name == "urn:mail:sube1pk@a-tekstil.com.tr"
    assert alias.created_at is not None and alias.deleted_at is None


@pytest.mark.parametrize(
    "name, code",
    [
        ("mailto:pk@a.com.tr", "alias_prefix"),
        ("pk@a.com.tr", "alias_prefix"),
        ("urn:mail:", "alias_address"),
        ("urn:mail:pk", "alias_address"),
        ("urn:mail:pk@", "alias_address"),
        ("urn:mail:şube@a.com.tr", "alias_address"),
        ("urn:mail:p k@a.com.tr", "alias_address"),
        ("urn:mail:defaultpk@a.com.tr", "alias_reserved"),
        ("urn:mail:usergb@a.com.tr", "alias_reserved"),
        ("urn:mail:ihracatpk@gtb.gov.tr", "alias_reserved"),
        ("urn:mail:anything@efatura.gov.tr", "alias_reserved"),
        ("urn:mail:x@test.gib.gov.tr", "alias_reserved"),
    ],
)
def test_bad_aliases_get_a_clear_error(tenant_a, name, code):
    with pytest.raises(ValidationError) as caught:
        alias_add(tenant=tenant_a, kind="PK", name=name)
    assert caught.value.code == code
    assert caught.value.messages[0]


def test_a_gb_never_equals_a_pk_of_the_same_tenant(tenant_a):
    with pytest.raises(ValidationError) as caught:
        alias_add(tenant=tenant_a, kind="GB", name="urn:mail:pk@a-tekstil.com.tr")
    assert caught.value.code == "alias_gb_equals_pk"


def test_an_alias_in_use_by_another_tenant_is_refused(tenant_a, tenant_b):
    with pytest.raises(ValidationError) as caught:
        alias_add(tenant=tenant_b, kind="PK", name="urn:mail:pk@a-tekstil.com.tr")
    assert caught.value.code == "alias_taken"


def test_unknown_alias_kind_is_refused(tenant_a):
    with pytest.raises(ValidationError) as caught:
        alias_add(tenant=tenant_a, kind="XX", name="urn:mail:x@a-tekstil.com.tr")
    assert caught.value.code == "alias_kind"


def test_a_deleted_alias_is_kept_and_its_name_can_be_reused(tenant_a):
    alias = Alias.objects.get(tenant=tenant_a, kind="PK")
    alias_delete(alias=alias)
    assert Alias.objects.filter(pk=alias.pk, deleted_at__isnull=False).exists()
    again = alias_add(tenant=tenant_a, kind="PK", name=alias.name)
    assert again.pk != alias.pk
    assert Alias.objects.filter(tenant=tenant_a, name=alias.name).count() == 2


def test_several_aliases_per_tenant(tenant_a):
    alias_add(tenant=tenant_a, kind="PK", name="urn:mail:izmirpk@a-tekstil.com.tr", branch="İzmir")
    alias_add(tenant=tenant_a, kind="GB", name="urn:mail:izmirgb@a-tekstil.com.tr", branch="İzmir")
    assert tenant_a.aliases.filter(deleted_at__isnull=True).count() == 4


def test_unknown_role_is_refused(tenant_a):
    user = make_user()
    with pytest.raises(ValidationError) as caught:
        membership_set(tenant=tenant_a, user=user, role="admin")
    assert caught.value.code == "unknown_role"
    assert "owner" in caught.value.messages[0]


def test_roles_grant_what_they_say(tenant_a):
    user = make_user()
    viewer = membership_set(tenant=tenant_a, user=user, role="viewer")
    assert viewer.can("view") and not viewer.can("issue")
    clerk = membership_set(tenant=tenant_a, user=user, role="clerk")
    assert clerk.pk == viewer.pk and clerk.can("issue") and not clerk.can("respond")
    owner = membership_set(tenant=tenant_a, user=user, role="owner")
    assert owner.can("manage_members")
