"""A fresh install's one-time setup page, and users who belong to no organization."""
import pytest
from django.contrib.auth import get_user_model

from dockline.accounts import services

pytestmark = pytest.mark.django_db


def _fill(client, token, username="alice"):
    return client.post("/setup/", {"token": token, "organization": "ACME", "username": username, "email": "",
                                   "password1": "a-Long-passphrase-9", "password2": "a-Long-passphrase-9"})


def test_a_fresh_install_sends_the_login_page_to_setup_and_the_printed_code_creates_the_admin(client):
    assert client.get("/login/")["Location"] == "/setup/"
    token = services.issue_setup_token()
    page = _fill(client, "not-the-code").content.decode()
    assert "not valid" in page and not get_user_model().objects.exists()
    response = _fill(client, token)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200  # signed in as the new administrator
    client.logout()
    assert client.get("/login/").status_code == 200
    assert client.get("/setup/")["Location"] == "/login/"
    assert _fill(client, token, "mallory").status_code == 302  # refused: redirected to login
    assert not get_user_model().objects.filter(username="mallory").exists()


def test_a_superuser_without_membership_is_told_what_to_do_instead_of_404(client):
    services.create_admin("ACME", "alice", "", "a-Long-passphrase-9")
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    for path in ("/", "/orders/", "/connections/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "belongs to no organization" in response.content.decode()
        assert "dockline createadmin" in response.content.decode()
