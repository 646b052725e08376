"""An SFTP warehouse's host key changed: runs stop, the connection page shows both fingerprints, an administrator
accepts the new key in the browser, and the next run works."""
import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import Channel, ChannelKind, Connection, Store
from dockline.sandbox.sftpserver import SftpServer
from dockline.sync.jobs import run_channel
from dockline.warehouses.models import Warehouse, WarehouseActivity
from dockline.warehouses.transports.sftp import fingerprint

pytestmark = pytest.mark.integration


def _run_shipments(connection):
    channel = Channel.objects.get(connection=connection, kind=ChannelKind.SHIPMENTS)
    Channel.objects.filter(pk=channel.pk).update(lease_owner="test")
    return run_channel(channel.id, "test")


def test_administrator_accepts_a_changed_host_key_in_the_browser(page, shot, login, transactional_db, tmp_path):
    root = tmp_path / "sftp"
    for folder in ("in", "out"):
        (root / folder).mkdir(parents=True)
    with SftpServer(root, password="wms-Pa55word") as server:
        org = Organization.objects.create(name="Riverside Fulfillment")
        user = get_user_model().objects.create_user("ops", password="correct-horse-9")
        Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
        merchant = Merchant.objects.create(organization=org, name="Acme Outfitters")
        store = Store.objects.create(organization=org, merchant=merchant, name="Acme on BigCommerce",
                                     platform="bigcommerce", credentials={"store_hash": "acme", "access_token": "t"},
                                     settings={"api_base": "http://127.0.0.1:1"})
        warehouse = Warehouse.objects.create(
            organization=org, name="Riverside 3PL", transport="sftp",
            credentials={"host": server.host, "port": server.port, "username": server.username,
                         "password": server.password},
            settings={"inbox": "/in", "outbox": "/out", "host_key": server.host_key_line})
        connection = Connection.objects.create(organization=org, name="Acme → Riverside", merchant=merchant,
                                               store=store, warehouse=warehouse, enabled=True)
        assert _run_shipments(connection).ok
        old = fingerprint(server.host_key_line)
        new = fingerprint(server.rotate_host_key())

        run = _run_shipments(connection)
        assert run.ok is False and old in run.error and new in run.error

        login("ops", "correct-horse-9")
        page.goto(f"/connections/{connection.pk}/")
        box = page.locator("#offered-host-key")
        expect(box).to_contain_text("The server's host key has changed.")
        expect(box).to_contain_text(old)
        expect(box).to_contain_text(new)
        expect(page.locator("ul.check")).to_contain_text("runs stop until an administrator checks it")
        box.scroll_into_view_if_needed()
        shot("trust-01-host-key-changed")

        page.get_by_role("button", name=f"Accept the new key {new}").click()
        expect(page.locator(".msg.success")).to_contain_text(f"Host key {new}")
        expect(page.locator("#offered-host-key")).to_have_count(0)
        expect(page.locator("#trust")).to_contain_text(f"ops — Accepted the SFTP host key {new}")
        page.locator("#trust").scroll_into_view_if_needed()
        shot("trust-02-host-key-accepted")

        entry = WarehouseActivity.objects.filter(warehouse=warehouse, user=user).get()
        assert old in entry.message and new in entry.message
        assert _run_shipments(connection).ok  # the next run works


def test_wizard_shows_the_ftps_certificate_and_pins_it(page, shot, login, transactional_db, tmp_path):
    from dockline.sandbox.ftpserver import LoopbackFtpServer, self_signed_certificate

    cert = self_signed_certificate(tmp_path)
    root = tmp_path / "ftps"
    for folder in ("in", "out"):
        (root / folder).mkdir(parents=True)
    with LoopbackFtpServer(root, tls_certfile=cert, tls_required=True, require_session_reuse=True) as server:
        org = Organization.objects.create(name="Riverside Fulfillment")
        user = get_user_model().objects.create_user("ops", password="correct-horse-9")
        Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
        Merchant.objects.create(organization=org, name="Acme Outfitters")
        login("ops", "correct-horse-9")
        page.goto("/connections/new/")
        page.fill("#name", "Acme → Riverside")
        page.get_by_role("button", name="Next →").click()
        page.select_option("#merchant_id", label="Acme Outfitters")
        page.get_by_role("button", name="Next →").click()
        page.fill("#name", "Riverside 3PL")
        page.select_option("#transport", "ftps")
        page.fill("#t_ftps__host", server.host)
        page.fill("#t_ftps__port", str(server.port))
        page.fill("#t_ftps__username", server.username)
        page.fill("#t_ftps__password", server.password)
        page.get_by_role("button", name="Test Connection").click()
        expect(page.locator("#warehouse-report")).to_contain_text("not trusted")
        seen = page.locator("#warehouse-report .identity code").inner_text()
        assert seen.startswith("SHA256 ")
        page.get_by_label("Pin the certificate's SHA-256 fingerprint seen at Test Connection").check()
        page.get_by_role("button", name="Test Connection").click()
        expect(page.locator("#warehouse-report")).to_contain_text("Connection works")
        page.locator("#tls-trust").scroll_into_view_if_needed()
        shot("trust-03-wizard-ftps-pin")
        page.get_by_role("button", name="Next →").click()
        expect(page.locator("#wizard-form")).to_contain_text("Store Setup")
        assert Warehouse.objects.count() == 0  # nothing saved before the last step
        page.get_by_role("button", name="← Back").click()
        expect(page.get_by_label("Pin the certificate's SHA-256 fingerprint seen at Test Connection")).to_be_checked()
        expect(page.locator("#id_tls_pin")).to_have_value(seen)


def test_connection_page_warns_when_certificate_checks_are_off_and_an_administrator_pins_one(
        page, shot, login, transactional_db, tmp_path):
    from dockline.sandbox.ftpserver import LoopbackFtpServer, self_signed_certificate

    cert = self_signed_certificate(tmp_path)
    root = tmp_path / "ftps"
    for folder in ("in", "out"):
        (root / folder).mkdir(parents=True)
    with LoopbackFtpServer(root, tls_certfile=cert, tls_required=True, require_session_reuse=True) as server:
        org = Organization.objects.create(name="Riverside Fulfillment")
        user = get_user_model().objects.create_user("ops", password="correct-horse-9")
        Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
        merchant = Merchant.objects.create(organization=org, name="Acme Outfitters")
        store = Store.objects.create(organization=org, merchant=merchant, name="Acme on BigCommerce",
                                     platform="bigcommerce", credentials={"store_hash": "acme", "access_token": "t"})
        warehouse = Warehouse.objects.create(
            organization=org, name="Riverside 3PL", transport="ftps",
            credentials={"host": server.host, "port": server.port, "username": server.username,
                         "password": server.password},
            settings={"inbox": "/in", "outbox": "/out", "verify_tls": "false"})  # set up before checks existed
        connection = Connection.objects.create(organization=org, name="Acme → Riverside", merchant=merchant,
                                               store=store, warehouse=warehouse)
        login("ops", "correct-horse-9")
        page.goto(f"/connections/{connection.pk}/")
        expect(page.locator("#tls-off")).to_contain_text("Certificate checks are off.")
        page.locator("#trust").scroll_into_view_if_needed()
        shot("trust-04-ftps-checks-off")

        page.get_by_label("Pin the certificate's SHA-256 fingerprint seen at Test Connection").check()
        page.locator("#trust").get_by_role("button", name="Test Connection").click()
        expect(page.locator("#tls-report")).to_contain_text("Connection works")
        seen = page.locator("#tls-report .identity code").inner_text()
        page.get_by_role("button", name="Save certificate check").click()
        expect(page.locator(".msg.success")).to_contain_text("Saved: the FTPS certificate is pinned to one certificate.")
        expect(page.locator("#tls-off")).to_have_count(0)
        expect(page.locator("#trust")).to_contain_text(f"ops — Set the FTPS certificate check: pinned to one certificate {seen}")
        page.locator("#trust").scroll_into_view_if_needed()
        shot("trust-05-ftps-pinned")
        warehouse.refresh_from_db()
        assert warehouse.settings["tls_pin"] == seen
        with warehouse.open_transport() as transport:
            assert transport.list("/in") == []
