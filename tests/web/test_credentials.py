"""Credential screens and the merchant's credential link on the server side: secrets never drawn back, a failing
test saves nothing unless asked, the re-authorization mark clears only after a pass, a link works once."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from dockline.accounts.models import Role
from dockline.connections import credential_links
from dockline.connections.models import Connection, ConnectionActivity, CredentialCheck, CredentialLink, Side
from dockline.sandbox.bigcommerce import BigCommerceSandbox

pytestmark = pytest.mark.django_db
OLD_TOKEN = "old-access-token-0000"
NEW_TOKEN = "new-access-token-9876"


@pytest.fixture
def sandbox():
    with BigCommerceSandbox(store_hash="acme", access_token=NEW_TOKEN) as box:
        yield box


@pytest.fixture
def conn(make_connection, sandbox):
    conn = make_connection("Acme")
    store = conn.store
    store.credentials = {"store_hash": "acme", "access_token": OLD_TOKEN, "scope": "store_v2_orders"}
    store.settings = {"api_base": sandbox.base_url}
    store.save()
    Connection.objects.filter(pk=conn.pk).update(store_auth_error="BigCommerce refused the access token.")
    conn.refresh_from_db()
    return conn


def _form(token=""):
    return {"c__store_hash": "acme", "c__access_token": token, "c__client_id": "", "c__client_secret": ""}


def test_store_screen_never_draws_the_secret_back_and_a_failing_token_saves_nothing(client, conn, login_as):
    login_as(Role.ADMIN)
    page = client.get(f"/connections/{conn.pk}/store/credentials/").content.decode()
    assert OLD_TOKEN not in page and "kept: ••••••••0000" in page and 'value="acme"' in page

    response = client.post(f"/connections/{conn.pk}/store/credentials/", _form())  # empty = keep the old one
    assert response.status_code == 400 and "Connection failed" in response.content.decode()
    conn.refresh_from_db()
    assert conn.store.credentials["access_token"] == OLD_TOKEN and conn.store_auth_error
    assert not ConnectionActivity.objects.exists()


def test_a_passing_new_token_is_saved_clears_reauthorization_and_logs_who_changed_what(client, conn, login_as):
    user = login_as(Role.STAFF, [conn.merchant])
    tested = client.post(f"/connections/{conn.pk}/store/credentials/test/", _form(NEW_TOKEN)).content.decode()
    assert "Connection works" in tested and NEW_TOKEN not in tested
    conn.refresh_from_db()
    assert conn.store.credentials["access_token"] == OLD_TOKEN  # testing stores nothing

    response = client.post(f"/connections/{conn.pk}/store/credentials/", _form(NEW_TOKEN))
    assert response.status_code == 302
    conn.refresh_from_db()
    assert conn.store.credentials == {"store_hash": "acme", "access_token": NEW_TOKEN}  # the old scope is dropped
    assert conn.store_auth_error == ""
    check = CredentialCheck.objects.get(connection=conn, side=Side.STORE)
    assert check.ok
    entry = ConnectionActivity.objects.get(connection=conn)
    assert entry.user == user and "Access Token" in entry.message and NEW_TOKEN not in entry.message
    page = client.get(f"/connections/{conn.pk}/store/credentials/").content.decode()
    assert NEW_TOKEN not in page and "✓ passed" in page


def test_save_anyway_keeps_the_reauthorization_mark(client, conn, login_as):
    login_as(Role.ADMIN)
    client.post(f"/connections/{conn.pk}/store/credentials/", {**_form("still-wrong-token"), "save_anyway": "on"})
    conn.refresh_from_db()
    assert conn.store.credentials["access_token"] == "still-wrong-token" and conn.store_auth_error
    assert CredentialCheck.objects.get(connection=conn, side=Side.STORE).ok is False


def test_merchant_users_get_no_credential_screen_and_make_no_links(client, conn, login_as):
    login_as(Role.MERCHANT, [conn.merchant])
    assert client.get(f"/connections/{conn.pk}/store/credentials/").status_code in (403, 404)
    assert client.post(f"/connections/{conn.pk}/store/credential-links/", {"hours": "72"}).status_code in (403, 404)
    assert not CredentialLink.objects.exists()


def test_a_credential_link_works_once_expires_and_never_shows_the_secret_to_the_3pl(client, conn, login_as):
    login_as(Role.ADMIN)
    made = client.post(f"/connections/{conn.pk}/store/credential-links/", {"hours": "72"}).content.decode()
    link = CredentialLink.objects.get()
    token = re.search(r'<code class="link">[^<]*/credentials/([^/<]+)/</code>', made).group(1)
    assert credential_links.token_hash(token) == link.token_hash and token not in link.token_hash  # only the hash
    assert link.expires_at - link.created_at == timedelta(hours=72)
    client.logout()

    page = client.get(f"/credentials/{token}/")
    body = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "same-origin"
    assert "Acme store" in body and OLD_TOKEN not in body and 'value="acme"' not in body  # nothing stored is shown
    assert "Acme connection" not in body  # nor anything else of the organization

    refused = client.post(f"/credentials/{token}/", _form("wrong-token"))
    assert refused.status_code == 400 and "Connection failed" in refused.content.decode()
    done = client.post(f"/credentials/{token}/", _form(NEW_TOKEN))
    assert done.status_code == 200 and "credentials were received" in done.content.decode()
    conn.refresh_from_db()
    assert conn.store.credentials["access_token"] == NEW_TOKEN and conn.store_auth_error == ""

    again = client.get(f"/credentials/{token}/")  # works once
    assert again.status_code == 410 and "already used" in again.content.decode()
    assert client.post(f"/credentials/{token}/", _form("another-token")).status_code == 400
    conn.refresh_from_db()
    assert conn.store.credentials["access_token"] == NEW_TOKEN

    login_as(Role.ADMIN, username="ops2")
    screen = client.get(f"/connections/{conn.pk}/store/credentials/").content.decode()
    assert NEW_TOKEN not in screen and "kept: ••••••••9876" in screen
    assert "Credentials received from the merchant through a credential link" in screen
    assert "Acme (credential link)" in screen


def test_a_credential_link_stops_working_at_its_expiry_and_when_withdrawn(client, conn, login_as):
    user = login_as(Role.ADMIN)
    link, token = credential_links.create_link(conn, user, hours=1, now=timezone.now() - timedelta(hours=2))
    assert client.get(f"/credentials/{token}/").status_code == 410
    assert "expired" in client.get(f"/credentials/{token}/").content.decode()
    assert client.post(f"/credentials/{token}/", _form(NEW_TOKEN)).status_code == 400
    conn.refresh_from_db()
    assert conn.store.credentials["access_token"] == OLD_TOKEN

    link, token = credential_links.create_link(conn, user)
    client.post(f"/connections/{conn.pk}/store/credential-links/{link.pk}/withdraw/")
    assert "withdrawn" in client.get(f"/credentials/{token}/").content.decode()
    assert client.get("/credentials/not-a-token/").status_code == 410


def test_a_link_page_refuses_an_address_that_keeps_trying(client, conn, login_as, settings):
    from dockline.web.views import credential_link

    for _ in range(credential_link.MAX_REQUESTS):
        client.get("/credentials/guessing/")
    assert "Too many attempts" in client.get("/credentials/guessing/").content.decode()


def test_staff_see_no_names_of_other_merchants_connections_on_a_shared_warehouse(client, make_connection, login_as):
    acme, bolt = make_connection("Acme"), make_connection("Bolt")
    Connection.objects.filter(pk=bolt.pk).update(warehouse=acme.warehouse)
    login_as(Role.STAFF, [acme.merchant])
    page = client.get(f"/connections/{acme.pk}/warehouse/credentials/").content.decode()
    assert "Bolt connection" not in page and "also serves 1 other connection" in page
    assert client.get(f"/connections/{bolt.pk}/warehouse/credentials/").status_code == 404


def test_a_link_runs_only_a_bounded_number_of_tests(client, conn, login_as, monkeypatch):
    monkeypatch.setattr(credential_links, "MAX_TESTS", 1)
    _link, token = credential_links.create_link(conn, login_as(Role.ADMIN))
    client.logout()
    assert "Connection works" in client.post(f"/credentials/{token}/test/", _form(NEW_TOKEN)).content.decode()
    again = client.post(f"/credentials/{token}/test/", _form(NEW_TOKEN)).content.decode()
    assert "Test Connection was run 1 times" in again and "Connection works" not in again


def test_unreadable_store_credentials_can_be_entered_again(client, conn, login_as):
    from cryptography.fernet import Fernet
    from django.db import connection as db

    from dockline.connections.models import Store

    other_key = Fernet(Fernet.generate_key()).encrypt(b"{}").decode()  # a key Dockline does not have
    with db.cursor() as cursor:
        cursor.execute(f"UPDATE {Store._meta.db_table} SET credentials = %s WHERE id = %s", [other_key, conn.store_id])
    login_as(Role.ADMIN)
    page = client.get(f"/connections/{conn.pk}/store/credentials/").content.decode()
    assert "cannot be read with Dockline's configured keys" in page
    assert client.post(f"/connections/{conn.pk}/store/credentials/", _form(NEW_TOKEN)).status_code == 302
    assert Store.objects.get(pk=conn.store_id).credentials["access_token"] == NEW_TOKEN
