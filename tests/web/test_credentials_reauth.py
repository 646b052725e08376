"""Re-authorization on the credential screens against real stand-ins: Acumatica signs in again with the new
password (the old session and the "refused" marker go), and a shared warehouse's new password clears the mark of
every connection that uses it."""
import pytest

from dockline.accounts.models import Role
from dockline.connections.models import Connection, ConnectionActivity, CredentialCheck, Side, Store
from dockline.sandbox.acumatica import AcumaticaSandbox
from dockline.sandbox.ftpserver import LoopbackFtpServer

pytestmark = pytest.mark.django_db


def test_acumatica_reauthorizes_with_the_new_password_and_drops_the_old_session(client, make_connection, login_as):
    conn = make_connection("Acme")
    with AcumaticaSandbox(action_seconds=0.01) as sb:
        old = {**sb.credentials, "password": "the-old-password", "token": {"access_token": "stale"},
               "token_for": "x", "reauth": {"fingerprint": "f", "at": "2026-01-01T00:00:00+00:00"}}
        Store.objects.filter(pk=conn.store_id).update(platform="acumatica", settings={})
        store = Store.objects.get(pk=conn.store_id)
        store.credentials = old
        store.save()
        Connection.objects.filter(pk=conn.pk).update(store_auth_error="Acumatica refused Dockline's sign-in.")
        login_as(Role.ADMIN)
        form = {f"c__{k}": v for k, v in sb.credentials.items() if k not in ("client_secret", "password")}
        wrong = client.post(f"/connections/{conn.pk}/store/credentials/", form)  # secrets kept: the old password
        assert wrong.status_code == 400 and "Connection failed" in wrong.content.decode()

        response = client.post(f"/connections/{conn.pk}/store/credentials/", {**form, "c__password": sb.password})
        assert response.status_code == 302
        store.refresh_from_db()
        assert store.credentials == sb.credentials  # session token and refusal marker are gone
        conn.refresh_from_db()
        assert conn.store_auth_error == "" and CredentialCheck.objects.get(connection=conn, side=Side.STORE).ok
        assert sb.password not in ConnectionActivity.objects.get().message
        report = store.connector().test_connection()  # the next call signs in with what was entered
        assert report.ok, report.steps


def test_a_shared_warehouse_new_password_clears_every_connection_that_uses_it(client, make_connection, login_as,
                                                                              tmp_path):
    for folder in ("in", "out"):
        (tmp_path / folder).mkdir()
    with LoopbackFtpServer(tmp_path) as ftp:
        first = make_connection("Acme")
        warehouse = first.warehouse
        warehouse.transport = "ftp"
        warehouse.credentials = {"host": ftp.host, "port": ftp.port, "username": ftp.username, "password": "old-pass"}
        warehouse.settings = {"inbox": "/in", "outbox": "/out"}
        warehouse.save()
        second = make_connection("Bolt")
        Connection.objects.filter(pk=second.pk).update(warehouse=warehouse)
        Connection.objects.all().update(warehouse_auth_error="530 Login incorrect.")
        login_as(Role.ADMIN)
        page = client.get(f"/connections/{first.pk}/warehouse/credentials/").content.decode()
        assert "old-pass" not in page and "Bolt connection" in page  # it says who else uses the warehouse

        form = {"c__host": ftp.host, "c__port": str(ftp.port), "c__username": ftp.username, "c__password": ftp.password}
        assert client.post(f"/connections/{first.pk}/warehouse/credentials/", form).status_code == 302
    warehouse.refresh_from_db()
    assert warehouse.credentials["password"] == ftp.password
    assert list(Connection.objects.values_list("warehouse_auth_error", flat=True)) == ["", ""]
    assert CredentialCheck.objects.filter(side=Side.WAREHOUSE, ok=True).count() == 2
