"""Test Connection is no port scanner: metadata, link-local and (unless allowed) private destinations are
refused before any packet is sent, for the warehouse transports and the stores' HTTP clients alike."""
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dockline.core import http
from dockline.core.addresses import check_destination
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.warehouses.transports import transport_class
from dockline.warehouses.transports.base import Folders, TransportConfig

REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def no_packets(monkeypatch):
    """Any connect fails the test: the refusal must come before a socket reaches out."""
    def forbidden(*args, **kwargs):
        pytest.fail(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(socket.socket, "connect", forbidden)
    monkeypatch.setattr(socket.socket, "connect_ex", forbidden)


@pytest.fixture
def fake_dns(monkeypatch):
    """fake_dns({"name": ["ip", ...]}): those names resolve to those addresses; others as usual."""
    def install(table: dict[str, list[str]]):
        def getaddrinfo(host, port, *args, **kwargs):
            if host in table:
                return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                         (ip, port) if ":" not in ip else (ip, port, 0, 0)) for ip in table[host]]
            return REAL_GETADDRINFO(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    return install


@pytest.fixture
def private_off(settings):
    settings.ALLOW_PRIVATE_ADDRESSES = False


def _transport(kind: str, host: str, port: int = 2121):
    config = TransportConfig(host=host, port=port, username="u", password="p", folders=Folders(), extra={})
    return transport_class(kind)(config)


@pytest.mark.parametrize("kind", ["ftp", "ftps", "sftp"])
def test_a_name_resolving_to_the_metadata_service_is_refused_before_any_connect(kind, fake_dns, no_packets):
    fake_dns({"warehouse.attacker.example": ["169.254.169.254"]})
    transport = _transport(kind, "warehouse.attacker.example", 80)
    report = transport.test()
    assert not report.ok and len(report.steps) == 1
    assert "metadata service" in report.steps[0].detail and "169.254.169.254" in report.steps[0].detail
    with pytest.raises(ConnectorError) as err:
        transport.connect()
    assert err.value.kind is ErrorKind.CONFIG and "does not connect to warehouse.attacker.example" in err.value.message


def test_a_store_address_resolving_to_the_metadata_service_is_refused_by_the_http_client(fake_dns, no_packets):
    fake_dns({"shop.attacker.example": ["10.0.0.1", "169.254.169.254"]})
    with http.client() as session, pytest.raises(ConnectorError) as err:
        session.get("https://shop.attacker.example/latest/meta-data/")
    assert err.value.kind is ErrorKind.CONFIG and "metadata service" in err.value.message


def test_a_store_connector_refuses_a_link_local_api_address(no_packets):
    from dockline.platforms.bigcommerce import BigCommerceConnector

    connector = BigCommerceConnector({"store_hash": "abc", "access_token": "t"},
                                     {"api_base": "http://169.254.10.20:8080"})
    try:
        with pytest.raises(ConnectorError) as err:
            connector.client.request("GET", "/v2/store")
    finally:
        connector.close()
    assert err.value.kind is ErrorKind.CONFIG and "link-local" in err.value.message


@pytest.mark.parametrize("host", ["169.254.0.1", "169.254.169.254", "fe80::1", "[fe80::1%eth0]", "fd00:ec2::254",
                                  "::ffff:169.254.169.254", "metadata.google.internal", "METADATA.google.internal.",
                                  "0.0.0.0"])
def test_link_local_and_metadata_destinations_are_refused_even_when_private_ones_are_allowed(host, no_packets,
                                                                                              settings):
    settings.ALLOW_PRIVATE_ADDRESSES = True
    with pytest.raises(ConnectorError) as err:
        check_destination(host, 21)
    assert err.value.kind is ErrorKind.CONFIG and err.value.message.startswith("Dockline does not connect to")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "10.1.2.3", "192.168.1.10", "172.16.0.5"])
def test_loopback_and_private_addresses_are_refused_when_the_setting_is_off(host, private_off, no_packets):
    with pytest.raises(ConnectorError) as err:
        check_destination(host, 22)
    assert "DOCKLINE_ALLOW_PRIVATE_ADDRESSES=1" in err.value.message


def test_ftp_test_connection_to_loopback_is_refused_when_off_without_telling_open_from_closed(private_off,
                                                                                             no_packets):
    open_port, closed_port = 21, 1
    details = {_transport("ftp", "127.0.0.1", port).test().steps[0].detail for port in (open_port, closed_port)}
    assert len(details) == 1 and "loopback" in details.pop()


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args):
        pass


@pytest.fixture
def loopback_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_loopback_is_reached_when_allowed_and_refused_when_not(loopback_server, settings):
    settings.ALLOW_PRIVATE_ADDRESSES = True
    with http.client() as session:
        assert session.get(loopback_server).text == "hello"
    settings.ALLOW_PRIVATE_ADDRESSES = False
    with http.client() as session, pytest.raises(ConnectorError) as err:
        session.get(loopback_server)
    assert "this machine (loopback)" in err.value.message


def test_a_public_address_passes_the_check(fake_dns, private_off, no_packets):
    fake_dns({"ftp.3pl.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]})
    check_destination("ftp.3pl.example", 21)
    check_destination("8.8.4.4", 22)


def _staff_browser(client):
    from django.contrib.auth import get_user_model

    from dockline.accounts.models import Membership, Merchant, Organization, Role

    org = Organization.objects.create(name="Riverside Fulfillment")
    acme = Merchant.objects.create(organization=org, name="Acme")
    user = get_user_model().objects.create_user("staff", password="pw-long-enough-1")
    Membership.objects.create(user=user, organization=org, role=Role.STAFF).merchants.set([acme])
    client.force_login(user)
    return client


def test_staff_test_connection_in_the_wizard_says_no_to_metadata_and_closed_ports_alike(db, client, fake_dns,
                                                                                       no_packets, private_off):
    browser = _staff_browser(client)
    fake_dns({"ftp.attacker.example": ["169.254.169.254"]})
    form = {"name": "3PL", "transport": "ftp", "format": "dsfx", "t_ftp__host": "ftp.attacker.example",
            "t_ftp__port": "80", "t_ftp__username": "u", "t_ftp__password": "p", "folder_inbox": "/in",
            "folder_outbox": "/out", "folder_archive": "", "folder_error": ""}
    page = browser.post("/connections/new/test-warehouse/", form).content.decode()
    assert "does not connect to ftp.attacker.example (169.254.169.254)" in page and "metadata service" in page
    pages = {browser.post("/connections/new/test-warehouse/", {**form, "t_ftp__host": "10.0.0.5",
                                                                "t_ftp__port": port}).content.decode()
             .replace(f"10.0.0.5:{port}", "10.0.0.5:<port>") for port in ("22", "1")}
    assert len(pages) == 1 and "private network address" in pages.pop()  # open or closed: the same answer
    store = {"name": "Shop", "platform": "bigcommerce", "p_bigcommerce__store_hash": "acme",
             "p_bigcommerce__access_token": "t", "s_bigcommerce__api_base": "http://169.254.169.254",
             "s_bigcommerce__monitored_status_id": "11"}
    page = browser.post("/connections/new/test-store/", store).content.decode()
    assert "metadata service" in page
