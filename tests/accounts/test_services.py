"""Organizations, administrators and users: what the CLI and the setup page rely on."""
import pytest
from django.contrib.auth import get_user_model

from dockline.accounts import services
from dockline.accounts.models import Merchant, Organization, Role, SetupToken
from dockline.accounts.services import AccountRefused

pytestmark = pytest.mark.django_db


def test_createadmin_makes_the_organization_and_an_administrator_who_sees_every_merchant():
    m = services.create_admin("ACME", "alice", "alice@example.com", "a-Long-passphrase-9")
    Merchant.objects.create(organization=m.organization, name="Globex")
    assert m.role == Role.ADMIN and m.organization.name == "ACME"
    assert [x.name for x in m.visible_merchants()] == ["Globex"]
    assert get_user_model().objects.get(username="alice").check_password("a-Long-passphrase-9")


def test_a_weak_password_is_refused_with_the_validators_reasons_and_nothing_is_created():
    with pytest.raises(AccountRefused, match="too common|too short"):
        services.create_admin("ACME", "alice", "", "password")
    assert not get_user_model().objects.exists()
    assert not Organization.objects.exists()


def test_staff_needs_a_merchant_that_exists_and_sees_only_it():
    services.create_admin("ACME", "alice", "", "a-Long-passphrase-9")
    org = Organization.objects.get()
    with pytest.raises(AccountRefused, match="--merchant"):
        services.add_user("ACME", "bob", "", Role.STAFF, "a-Long-passphrase-9")
    with pytest.raises(AccountRefused, match="no merchant 'Initech'.*none yet"):
        services.add_user("ACME", "bob", "", Role.STAFF, "a-Long-passphrase-9", ("Initech",))
    acme = Merchant.objects.create(organization=org, name="Acme")
    Merchant.objects.create(organization=org, name="Globex")
    bob = services.add_user("ACME", "bob", "", Role.STAFF, "a-Long-passphrase-9", ("acme",))
    assert list(bob.visible_merchants()) == [acme]


def test_the_last_administrator_can_be_neither_demoted_nor_deactivated():
    services.create_admin("ACME", "alice", "", "a-Long-passphrase-9")
    Merchant.objects.create(organization=Organization.objects.get(), name="Acme")
    with pytest.raises(AccountRefused, match="last active administrator"):
        services.set_role("ACME", "alice", Role.STAFF, ("Acme",))
    with pytest.raises(AccountRefused, match="last active administrator"):
        services.deactivate_user("ACME", "alice")
    services.add_user("ACME", "carol", "", Role.ADMIN, "a-Long-passphrase-9")
    services.deactivate_user(None, "alice")
    assert not get_user_model().objects.get(username="alice").is_active


def test_list_users_shows_a_superuser_who_belongs_to_no_organization():
    services.create_admin("ACME", "alice", "", "a-Long-passphrase-9")
    get_user_model().objects.create_superuser("root", password="x")
    rows = {r.username: r for r in services.list_users()}
    assert rows["alice"].role == Role.ADMIN and rows["root"].role is None and rows["root"].organization == ""


def test_a_setup_code_works_once_and_is_stored_only_as_a_hash():
    token = services.issue_setup_token()
    assert not SetupToken.objects.filter(digest__contains=token).exists()
    with pytest.raises(AccountRefused, match="not valid"):
        services.redeem_setup_token("guess", "ACME", "alice", "", "a-Long-passphrase-9")
    services.redeem_setup_token(token, "ACME", "alice", "", "a-Long-passphrase-9")
    with pytest.raises(AccountRefused, match="not valid"):
        services.redeem_setup_token(token, "Evil", "mallory", "", "a-Long-passphrase-9")
    assert list(Organization.objects.values_list("name", flat=True)) == ["ACME"]


def test_a_hand_made_superuser_in_no_organization_can_be_made_its_administrator():
    get_user_model().objects.create_superuser("root", password="x")
    m = services.create_admin("ACME", "root", "", "a-Long-passphrase-9")
    assert m.role == Role.ADMIN and m.user.check_password("a-Long-passphrase-9")
    with pytest.raises(AccountRefused, match="already a user 'root'"):
        services.add_user("ACME", "ROOT", "", Role.ADMIN, "a-Long-passphrase-9")
