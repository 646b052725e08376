"""Who may do what, enforced on the server; login throttling."""
import pytest
from django.contrib.auth import get_user_model

from dockline.accounts.models import Role
from dockline.connections.models import Connection

pytestmark = pytest.mark.django_db


def test_staff_cannot_delete_connections_and_sees_only_assigned_merchants(client, make_connection, login_as):
    mine, other = make_connection("Acme"), make_connection("Globex")
    login_as(Role.STAFF, [mine.merchant])
    page = client.get("/connections/").content.decode()
    assert "Acme connection" in page and "Globex connection" not in page and ">Delete<" not in page
    assert client.post(f"/connections/{mine.pk}/delete/").status_code == 404
    assert Connection.objects.filter(pk=mine.pk).exists()
    assert client.post(f"/connections/{mine.pk}/sync/", {"kind": "orders"}).status_code == 302
    assert client.get(f"/connections/{other.pk}/").status_code == 404
    assert client.post(f"/connections/{other.pk}/sync/").status_code == 404


def test_admin_deletes_a_connection(client, make_connection, login_as):
    conn = make_connection()
    login_as(Role.ADMIN)
    assert client.post(f"/connections/{conn.pk}/delete/").status_code == 302
    assert not Connection.objects.filter(pk=conn.pk).exists()


def test_merchant_user_only_looks(client, make_connection, make_order, login_as):
    conn = make_connection()
    order = make_order(conn, "1001", status="error")
    login_as(Role.MERCHANT, [conn.merchant])
    assert client.get(f"/orders/{order.pk}/").status_code == 200
    assert client.post(f"/orders/{order.pk}/action/", {"action": "archive"}).status_code == 404
    assert client.post(f"/connections/{conn.pk}/sync/").status_code == 404
    assert client.get("/connections/new/").status_code == 404
    order.refresh_from_db()
    assert order.status == "error"


@pytest.fixture
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()  # the lockout must not follow other tests


def test_login_is_throttled_after_repeated_failures(client, org, fresh_cache):
    get_user_model().objects.create_user("ops", password="the-right-one-1")
    for _ in range(5):
        page = client.post("/login/", {"username": "ops", "password": "guess"}).content.decode()
        assert "didn" in page or "correct" in page
    page = client.post("/login/", {"username": "ops", "password": "the-right-one-1"}).content.decode()
    assert "Too many failed attempts" in page
    assert "_auth_user_id" not in client.session


def test_password_change(client, org, login_as):
    user = login_as(Role.ADMIN)
    response = client.post("/password/", {"old_password": "pw-long-enough-1", "new_password1": "n3w-Passw0rd-x",
                                          "new_password2": "n3w-Passw0rd-x"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("n3w-Passw0rd-x")
