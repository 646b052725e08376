"""People page: invitations by link or mail, roles, deactivation, password links, and who may see them."""
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from dockline.accounts import invites
from dockline.accounts.models import Invitation, Membership, Merchant, Organization, Role

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://[^\s\"<]+/(invite|reset)/[^\s\"<]+/")
PASSWORD = "a-long-new-passphrase-7"


@pytest.fixture
def acme(org):
    return Merchant.objects.create(organization=org, name="Acme")


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN, username="alice")


def invite(client, email="bob@example.com", role=Role.STAFF, merchants=()):
    page = client.post("/people/invite/", {"email": email, "role": role.value,
                                           "merchants": [m.pk for m in merchants]}, follow=True).content.decode()
    found = LINK.search(page)
    return page, found.group(0).split("8000", 1)[1] if found else None


def test_an_invited_staff_member_joins_with_the_chosen_role_and_merchants_and_the_link_then_stops(
        client, admin, acme):
    page, path = invite(client, merchants=[acme])
    assert "shown only this once" in page and path.startswith("/invite/")
    assert "bob@example.com" in client.get("/people/").content.decode()  # waiting, without the link again
    assert LINK.search(client.get("/people/").content.decode()) is None

    guest = Client()
    assert "Join Riverside Fulfillment" in guest.get(path).content.decode()
    answer = guest.post(path, {"username": "bob", "password1": PASSWORD, "password2": PASSWORD})
    assert answer.status_code == 302 and answer["Location"] == "/"
    member = Membership.objects.get(user__username="bob")
    assert member.role == Role.STAFF and [m.name for m in member.merchants.all()] == ["Acme"]
    assert member.user.email == "bob@example.com" and member.user.check_password(PASSWORD)
    assert "Welcome to Riverside Fulfillment" in guest.get("/").content.decode()

    again = Client().post(path, {"username": "bob2", "password1": PASSWORD, "password2": PASSWORD})
    assert again.status_code == 410 and "used already" in again.content.decode()
    assert not get_user_model().objects.filter(username="bob2").exists()


def test_an_invitee_cannot_take_an_existing_username_nor_a_weak_password(client, admin):
    _, path = invite(client, role=Role.ADMIN)
    guest = Client()
    taken = guest.post(path, {"username": "Alice", "password1": PASSWORD, "password2": PASSWORD}).content.decode()
    assert "is taken: choose another" in taken
    weak = guest.post(path, {"username": "bob", "password1": "password", "password2": "password"}).content.decode()
    assert "The password is not accepted" in weak
    assert not Membership.objects.filter(user__username="bob").exists()
    assert guest.get(path).status_code == 200  # still usable after the refusals


def test_an_expired_or_revoked_invitation_says_so_in_plain_words(client, org, admin):
    _, old = invites.invite(org, "old@example.com", Role.ADMIN, now=timezone.now() - timedelta(days=8))
    expired = Client().get(old.link.split("8000", 1)[1])
    assert expired.status_code == 410 and "This invitation expired on" in expired.content.decode()

    invitation, sent = invites.invite(org, "carol@example.com", Role.ADMIN)
    assert client.post(f"/people/invitations/{invitation.pk}/revoke/").status_code == 302
    revoked = Client().get(sent.link.split("8000", 1)[1])
    assert revoked.status_code == 410 and "withdrawn" in revoked.content.decode()
    assert Client().get("/invite/not-a-real-token/").status_code == 410


def test_staff_needs_a_merchant_and_the_form_says_so(client, admin, acme):
    page, path = invite(client, role=Role.STAFF)
    assert path is None and "choose at least one" in page and not Invitation.objects.exists()


def test_staff_and_merchant_users_get_404_on_the_people_pages(client, login_as, acme, admin):
    target = Membership.objects.get(user=admin)
    for role in (Role.STAFF, Role.MERCHANT):
        login_as(role, [acme])
        assert client.get("/people/").status_code == 404
        assert ">People<" not in client.get("/").content.decode()
        assert client.post(f"/people/{target.pk}/deactivate/").status_code == 404
        assert client.post("/people/invite/", {"email": "x@example.com", "role": "admin"}).status_code == 404
    assert get_user_model().objects.get(username="alice").is_active and not Invitation.objects.exists()


def test_another_organizations_admin_can_neither_see_nor_change_your_people(client, org, admin, acme):
    mine = Membership.objects.get(user=admin)
    invitation, _ = invites.invite(org, "bob@example.com", Role.ADMIN)
    other = Organization.objects.create(name="Harbor Logistics")
    intruder = get_user_model().objects.create_user("mallory", password=PASSWORD)
    Membership.objects.create(user=intruder, organization=other, role=Role.ADMIN)
    client.force_login(intruder)
    page = client.get("/people/").content.decode()
    assert "mallory" in page and "alice" not in page and "bob@example.com" not in page
    for url in (f"/people/{mine.pk}/deactivate/", f"/people/{mine.pk}/reset-password/",
                f"/people/invitations/{invitation.pk}/revoke/"):
        assert client.post(url).status_code == 404
    assert client.post(f"/people/{mine.pk}/role/", {"role": "merchant", "merchants": [acme.pk]}).status_code == 404
    mine.refresh_from_db(), invitation.refresh_from_db()
    assert mine.role == Role.ADMIN and mine.user.is_active and invitation.revoked_at is None


def test_demoting_or_deactivating_the_last_admin_is_refused_with_a_message(client, admin, acme):
    me = Membership.objects.get(user=admin)
    page = client.post(f"/people/{me.pk}/role/", {"role": "staff", "merchants": [acme.pk]}, follow=True)
    assert "alice is the last active administrator" in page.content.decode()
    page = client.post(f"/people/{me.pk}/deactivate/", follow=True)
    assert "last active administrator" in page.content.decode()
    me.refresh_from_db()
    assert me.role == Role.ADMIN and me.user.is_active


def test_a_role_change_gives_the_merchants_chosen(client, admin, login_as, acme):
    Merchant.objects.create(organization=acme.organization, name="Globex")
    bob = Membership.objects.get(user=login_as(Role.ADMIN, username="bob"))
    client.force_login(admin)
    page = client.post(f"/people/{bob.pk}/role/", {"role": "merchant", "merchants": [acme.pk]}, follow=True)
    assert "bob is now merchant user" in page.content.decode()
    bob.refresh_from_db()
    assert bob.role == Role.MERCHANT and list(bob.merchants.all()) == [acme]


def test_a_deactivated_user_cannot_log_in_until_reactivated(client, admin, acme):
    bob = get_user_model().objects.create_user("bob", password=PASSWORD)
    member = Membership.objects.create(user=bob, organization=acme.organization, role=Role.STAFF)
    member.merchants.set([acme])
    page = client.post(f"/people/{member.pk}/deactivate/", follow=True).content.decode()
    assert "bob can no longer log in" in page and "Deactivated" in page
    guest = Client()
    guest.post("/login/", {"username": "bob", "password": PASSWORD})
    assert "_auth_user_id" not in guest.session
    client.post(f"/people/{member.pk}/reactivate/")
    guest.post("/login/", {"username": "bob", "password": PASSWORD})
    assert guest.session["_auth_user_id"] == str(bob.pk)


def test_a_password_link_works_once(client, admin, login_as):
    bob = login_as(Role.ADMIN, username="bob")
    client.force_login(admin)
    page = client.post(f"/people/{bob.membership.pk}/reset-password/", follow=True).content.decode()
    path = LINK.search(page).group(0).split("8000", 1)[1]
    guest = Client()
    assert "For <strong>bob</strong>" in guest.get(path).content.decode()
    assert guest.post(path, {"password1": PASSWORD, "password2": PASSWORD}).status_code == 302
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)
    used = guest.post(path, {"password1": "another-passphrase-8", "password2": "another-passphrase-8"})
    assert used.status_code == 410 and "used already or has expired" in used.content.decode()
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


def test_the_invitation_is_mailed_through_the_smtp_server_and_its_link_works(client, admin, smtp):
    page, shown = invite(client, email="dana@example.com", role=Role.ADMIN)
    assert "The invitation was mailed to dana@example.com" in page and shown is None  # not shown when mailed
    (mail,) = smtp.messages
    assert mail.rcpt_tos == ["dana@example.com"]
    body = mail.content.decode()
    assert "You are invited to Riverside Fulfillment" in body
    path = LINK.search(body).group(0).split("8000", 1)[1]
    Client().post(path, {"username": "dana", "password1": PASSWORD, "password2": PASSWORD})
    assert Membership.objects.get(user__username="dana").role == Role.ADMIN


def test_when_the_mail_server_is_down_the_link_is_shown_with_the_reason(client, admin, settings, closed_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port  # nothing listens there
    page, path = invite(client, role=Role.ADMIN)
    assert "could not be mailed: the mail server 127.0.0.1 refused it" in page and path.startswith("/invite/")


def test_a_password_link_for_someone_without_email_is_shown_even_with_mail_set_up(client, admin, login_as, smtp):
    bob = login_as(Role.ADMIN, username="bob")
    client.force_login(admin)
    page = client.post(f"/people/{bob.membership.pk}/reset-password/", follow=True).content.decode()
    assert "there is no email address to send it to" in page and LINK.search(page) and not smtp.messages


def test_an_admin_who_makes_themselves_staff_lands_on_the_dashboard(client, admin, login_as, acme):
    login_as(Role.ADMIN, username="bob")
    client.force_login(admin)
    me = Membership.objects.get(user=admin)
    answer = client.post(f"/people/{me.pk}/role/", {"role": "staff", "merchants": [acme.pk]})
    assert answer["Location"] == "/" and client.get("/people/").status_code == 404
