"""Server identity through the web: the wizard pins what Test Connection showed; a changed SFTP host key stops
runs until an administrator accepts it on the connection page; the FTPS certificate check is chosen there too."""
import ssl
from pathlib import Path

import pytest

from dockline.accounts.models import Role
from dockline.connections.models import Connection
from dockline.sandbox.ftpserver import LoopbackFtpServer, self_signed_certificate
from dockline.sandbox.sftpserver import SftpServer
from dockline.warehouses.models import WarehouseActivity
from dockline.warehouses.transports.ftps import cert_fingerprint
from dockline.warehouses.transports.sftp import (
    HostKeyChanged,
    HostKeyUnknown,
    fingerprint,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sftp(tmp_path):
    with_folders = tmp_path / "sftp"
    for folder in ("in", "out"):
        (with_folders / folder).mkdir(parents=True)
    server = SftpServer(with_folders, password="wms-Pa55word")
    server.start()
    yield server
    server.stop()


def _wizard_until_warehouse(client):
    client.post("/connections/new/basic/", {"name": "Acme → Riverside", "go": "next"})
    client.post("/connections/new/merchant/", {"choice": "new", "new_name": "Acme Outfitters", "go": "next"})


def _finish(client):
    client.post("/connections/new/store/", {
        "name": "Acme on BigCommerce", "platform": "bigcommerce", "p_bigcommerce__store_hash": "acme",
        "p_bigcommerce__access_token": "token-abc", "s_bigcommerce__api_base": "http://127.0.0.1:1",
        "s_bigcommerce__monitored_status_id": "11", "go": "next"})
    review = client.get("/connections/new/review/").content.decode()
    client.post("/connections/new/review/", {"go": "next", "add_anyway": "on"})
    return review, Connection.objects.get(name="Acme → Riverside")


def _sftp_form(server, **changes):
    return {"name": "Riverside 3PL", "transport": "sftp", "format": "dsfx", "t_sftp__host": server.host,
            "t_sftp__port": str(server.port), "t_sftp__username": server.username,
            "t_sftp__password": server.password, "folder_inbox": "/in", "folder_outbox": "/out", **changes}


def test_the_key_shown_at_test_connection_is_pinned_and_trusted_by_the_first_run(client, org, login_as, sftp):
    login_as(Role.ADMIN)
    _wizard_until_warehouse(client)
    report = client.post("/connections/new/test-warehouse/", _sftp_form(sftp)).content.decode()
    shown = fingerprint(sftp.host_key_line)
    assert "Connection works" in report and shown in report and "pinned when you add the connection" in report
    client.post("/connections/new/warehouse/", {**_sftp_form(sftp), "go": "next"})
    review, conn = _finish(client)
    assert shown in review

    assert conn.warehouse.settings["host_key"] == sftp.host_key_line
    with conn.warehouse.open_transport() as transport:  # what every scheduled run opens
        assert transport.list("/out") == []
    assert sftp.logins == 2  # Test Connection, then the run
    page = client.get(f"/connections/{conn.pk}/").content.decode()
    assert f"SFTP host key pinned: {shown} (ssh-ed25519)" in page


def test_a_key_seen_on_another_server_is_not_pinned_and_the_first_run_refuses(client, org, login_as, sftp, tmp_path):
    login_as(Role.ADMIN)
    _wizard_until_warehouse(client)
    client.post("/connections/new/test-warehouse/", _sftp_form(sftp))
    with SftpServer(tmp_path / "other", password=sftp.password) as other:  # the host was changed after the test
        client.post("/connections/new/warehouse/", {**_sftp_form(other), "go": "next"})
        review, conn = _finish(client)
        assert "none seen" in review and "run Test Connection" in review
        assert "host_key" not in conn.warehouse.settings
        with pytest.raises(HostKeyUnknown):
            conn.warehouse.open_transport().connect()
        assert other.logins == 0
        conn.warehouse.refresh_from_db()
        assert conn.warehouse.settings["offered_host_key"] == other.host_key_line  # for an administrator to accept


def test_changed_key_stops_runs_until_an_administrator_accepts_it_on_the_connection_page(
        client, org, login_as, make_connection, sftp):
    conn = make_connection("Acme")
    warehouse = conn.warehouse
    warehouse.transport = "sftp"
    warehouse.credentials = {"host": sftp.host, "port": sftp.port, "username": sftp.username,
                             "password": sftp.password}
    warehouse.settings = {"host_key": sftp.host_key_line}
    warehouse.save()
    old = fingerprint(sftp.host_key_line)
    sftp.rotate_host_key()
    new = fingerprint(sftp.host_key_line)

    with pytest.raises(HostKeyChanged) as info:
        warehouse.open_transport().connect()
    assert old in info.value.message and new in info.value.message
    warehouse.refresh_from_db()
    assert warehouse.host_key_fingerprint.startswith(old)  # not overwritten
    assert warehouse.offered_host_key_fingerprint.startswith(new)

    staff = login_as(Role.STAFF, [conn.merchant], username="staff")
    page = client.get(f"/connections/{conn.pk}/").content.decode()
    assert "host key has changed" in page and old in page and new in page
    assert "Only an administrator can accept the new key" in page and "Accept the new key" not in page
    offered = warehouse.offered_host_key_fingerprint
    assert client.post(f"/connections/{conn.pk}/accept-host-key/", {"fingerprint": offered}).status_code == 404
    warehouse.refresh_from_db()
    assert warehouse.host_key_fingerprint.startswith(old)

    admin = login_as(Role.ADMIN, username="admin")
    page = client.get(f"/connections/{conn.pk}/").content.decode()
    assert "Accept the new key" in page and old in page and new in page
    response = client.post(f"/connections/{conn.pk}/accept-host-key/", {"fingerprint": offered}, follow=True)
    assert f"Host key {offered} accepted" in response.content.decode()
    warehouse.refresh_from_db()
    assert warehouse.settings["host_key"] == sftp.host_key_line and "offered_host_key" not in warehouse.settings
    with warehouse.open_transport() as transport:  # the next run works
        assert transport.list("/in") == []

    entry = WarehouseActivity.objects.filter(warehouse=warehouse).first()
    assert entry.user == admin and entry.actor == "admin" and new in entry.message and old in entry.message
    assert not WarehouseActivity.objects.filter(user=staff).exists()
    page = client.get(f"/connections/{conn.pk}/").content.decode()
    assert f"admin</span> — Accepted the SFTP host key {offered}" in page


def test_accepting_a_key_the_server_changed_again_meanwhile_is_refused(client, org, login_as, make_connection, sftp):
    conn = make_connection("Acme")
    warehouse = conn.warehouse
    warehouse.transport = "sftp"
    warehouse.settings = {"host_key": sftp.host_key_line}
    warehouse.save()
    sftp.rotate_host_key()
    warehouse.record_offered_host_key(sftp.host_key_line)
    seen = warehouse.offered_host_key_fingerprint
    warehouse.record_offered_host_key(sftp.rotate_host_key())  # changed again after the admin looked
    login_as(Role.ADMIN)
    response = client.post(f"/connections/{conn.pk}/accept-host-key/", {"fingerprint": seen}, follow=True)
    assert "not the one you saw" in response.content.decode()
    warehouse.refresh_from_db()
    assert warehouse.settings["host_key"] != sftp.host_key_line


# -- FTPS certificates ------------------------------------------------------------------------------


@pytest.fixture
def ftps(tmp_path):
    cert = self_signed_certificate(tmp_path)
    root = tmp_path / "ftps"
    for folder in ("in", "out"):
        (root / folder).mkdir(parents=True)
    with LoopbackFtpServer(root, tls_certfile=cert, tls_required=True, require_session_reuse=True) as server:
        pem = cert.read_text()
        server.fingerprint = cert_fingerprint(ssl.PEM_cert_to_DER_cert(pem[:pem.index("-----BEGIN PRIVATE")]))
        yield server


def _ftps_form(server, **changes):
    return {"name": "Riverside 3PL", "transport": "ftps", "format": "dsfx", "t_ftps__host": server.host,
            "t_ftps__port": str(server.port), "t_ftps__username": server.username,
            "t_ftps__password": server.password, "folder_inbox": "/in", "folder_outbox": "/out",
            "tls_mode": "system", **changes}


def test_wizard_pins_the_certificate_fingerprint_test_connection_showed(client, org, login_as, ftps):
    login_as(Role.ADMIN)
    _wizard_until_warehouse(client)
    report = client.post("/connections/new/test-warehouse/", _ftps_form(ftps)).content.decode()
    assert "Connection failed" in report and "not trusted" in report and ftps.fingerprint in report

    page = client.post("/connections/new/warehouse/", {**_ftps_form(ftps, tls_mode="pin", tls_pin="12"), "go": "next"})
    assert "64 hexadecimal digits" in page.content.decode()  # stays on the step, says why
    report = client.post("/connections/new/test-warehouse/", _ftps_form(ftps, tls_mode="pin")).content.decode()
    assert "Connection works" in report and ftps.fingerprint in report
    client.post("/connections/new/warehouse/", {**_ftps_form(ftps, tls_mode="pin"), "go": "next"})
    review, conn = _finish(client)
    assert ftps.fingerprint in review
    assert conn.warehouse.settings["tls_mode"] == "pin" and conn.warehouse.settings["tls_pin"] == ftps.fingerprint
    with conn.warehouse.open_transport() as transport:
        transport.write_atomic("/in", "ord_1.csv", b"order")
    page = client.get(f"/connections/{conn.pk}/").content.decode()
    assert "FTPS certificate pinned to one certificate." in page


def test_wizard_refuses_a_pasted_private_key(client, org, login_as, ftps):
    login_as(Role.ADMIN)
    _wizard_until_warehouse(client)
    pem = Path(ftps.tls_certfile).read_text()  # certificate and key, as the server's file holds them
    page = client.post("/connections/new/warehouse/",
                       {**_ftps_form(ftps, tls_mode="certificate", tls_certificate=pem), "go": "next"})
    assert "holds a private key" in page.content.decode() and "BEGIN PRIVATE KEY" not in page.content.decode()
    cert_only = pem[:pem.index("-----BEGIN PRIVATE KEY")]
    client.post("/connections/new/warehouse/",
                {**_ftps_form(ftps, tls_mode="certificate", tls_certificate=cert_only), "go": "next"})
    _review, conn = _finish(client)
    assert conn.warehouse.settings["tls_certificate"].startswith("-----BEGIN CERTIFICATE-----")
    with conn.warehouse.open_transport() as transport:
        assert transport.list("/in") == []


def test_only_an_administrator_turns_certificate_checks_off_and_the_page_warns(
        client, org, login_as, make_connection, ftps):
    conn = make_connection("Acme")
    warehouse = conn.warehouse
    warehouse.transport = "ftps"
    warehouse.credentials = {"host": ftps.host, "port": ftps.port, "username": ftps.username,
                             "password": ftps.password}
    warehouse.save()
    login_as(Role.STAFF, [conn.merchant], username="staff")
    assert client.post(f"/connections/{conn.pk}/certificate/", {"tls_mode": "off"}).status_code == 404
    assert "Save certificate check" not in client.get(f"/connections/{conn.pk}/").content.decode()

    admin = login_as(Role.ADMIN, username="admin")
    report = client.post(f"/connections/{conn.pk}/certificate/test/", {"tls_mode": "pin"}).content.decode()
    assert "Connection works" in report and ftps.fingerprint in report
    client.post(f"/connections/{conn.pk}/certificate/", {"tls_mode": "pin", "tls_pin": ""})  # pins what was seen
    warehouse.refresh_from_db()
    assert warehouse.settings["tls_pin"] == ftps.fingerprint

    response = client.post(f"/connections/{conn.pk}/certificate/", {"tls_mode": "off"}, follow=True)
    page = response.content.decode()
    assert "Certificate checks are off" in page and 'id="tls-off"' in page
    warehouse.refresh_from_db()
    assert warehouse.settings["tls_mode"] == "off" and "tls_pin" not in warehouse.settings
    entry = WarehouseActivity.objects.filter(warehouse=warehouse).first()
    assert entry.user == admin and entry.level == "warning" and "check: not verified" in entry.message


def test_a_stale_offer_is_dropped_once_the_server_shows_the_pinned_key_again(org, make_connection, sftp):
    conn = make_connection("Acme")
    warehouse = conn.warehouse
    warehouse.transport = "sftp"
    warehouse.credentials = {"host": sftp.host, "port": sftp.port, "username": sftp.username,
                             "password": sftp.password}
    warehouse.settings = {"host_key": sftp.host_key_line}
    warehouse.save()
    pinned_private = sftp.host_key_private_pem
    intercepting = sftp.rotate_host_key()  # someone in the middle, for a while
    with pytest.raises(HostKeyChanged):
        warehouse.open_transport().connect()
    warehouse.refresh_from_db()
    assert warehouse.settings["offered_host_key"] == intercepting

    sftp.stop()
    with SftpServer(sftp.root, password=sftp.password, port=sftp.port, host_key=pinned_private), \
            warehouse.open_transport() as transport:  # the real server again
        assert transport.list("/in") == []
    warehouse.refresh_from_db()
    assert "offered_host_key" not in warehouse.settings  # nobody can accept the interceptor's key any more
    assert "no longer waiting" in WarehouseActivity.objects.filter(warehouse=warehouse).first().message


def test_staff_can_check_the_key_now_and_an_administrator_then_pins_it(client, org, login_as, make_connection, sftp):
    conn = make_connection("Acme")
    warehouse = conn.warehouse
    warehouse.transport = "sftp"  # added before keys were pinned: none recorded
    warehouse.credentials = {"host": sftp.host, "port": sftp.port, "username": sftp.username,
                             "password": sftp.password}
    warehouse.save()
    login_as(Role.STAFF, [conn.merchant], username="staff")
    response = client.post(f"/connections/{conn.pk}/check-host-key/", follow=True)
    page = response.content.decode()
    assert "No host key is pinned" in page and fingerprint(sftp.host_key_line) in page
    assert sftp.logins == 0
    warehouse.refresh_from_db()
    assert "host_key" not in warehouse.settings  # checking never pins

    login_as(Role.ADMIN, username="admin")
    client.post(f"/connections/{conn.pk}/accept-host-key/", {"fingerprint": warehouse.offered_host_key_fingerprint})
    response = client.post(f"/connections/{conn.pk}/check-host-key/", follow=True)
    assert "presented the pinned host key" in response.content.decode()
    warehouse.refresh_from_db()
    assert warehouse.settings["host_key"] == sftp.host_key_line
