"""A new connector, transport and format written only against the base classes: each registers, shows
in the Add Connection wizard, and runs through the engine on the base classes' default hooks."""
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, ClassVar

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections import services as connections
from dockline.connections.models import Channel, ChannelKind, Connection, Store
from dockline.core.errors import ConnectorError, ErrorKind
from dockline.core.types import Address, Destination, OrderLine, StockLevel, StoreOrder, StoreShipment
from dockline.inventory.models import PushedStock
from dockline.inventory.models import StockLevel as StockRow
from dockline.mapping.models import ShippingRule
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus
from dockline.platforms import base as platforms
from dockline.platforms.base import Capability, CheckReport, CredentialField, StoreConnector
from dockline.sync.jobs import sync_inventory, sync_orders
from dockline.warehouses.formats import base as formats
from dockline.warehouses.formats.base import FileFormat, Parsed, RowError, StampedNames
from dockline.warehouses.models import Warehouse
from dockline.warehouses.transports import base as transports
from dockline.warehouses.transports.base import RemoteFile, Transport
from dockline.webhooks import services as webhooks

pytestmark = pytest.mark.django_db

DROP: dict[str, bytes] = {}  # the memory drop's files by path
ORDERS: list[StoreOrder] = []  # what the minimal shop has to fulfil


class MinimalShop(StoreConnector):
    """Orders from a list; no webhooks, tracking or stock: every optional hook left to the base."""

    platform: ClassVar[str] = "minimalshop"
    label: ClassVar[str] = "Minimal Shop"
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (
        CredentialField("api_key", "Minimal API key", secret=True),
    )

    def test_connection(self) -> CheckReport:
        report = CheckReport()
        report.add("Reach the shop", True)
        return report

    def fetch_orders(self, since: datetime | None) -> Iterator[StoreOrder]:
        yield from (o for o in ORDERS if since is None or o.modified_at >= since)


class MemoryDrop(Transport):
    """A warehouse file drop held in `DROP`."""

    name: ClassVar[str] = "memdrop"
    label: ClassVar[str] = "Memory drop"
    default_port: ClassVar[int] = 0
    credential_fields: ClassVar[tuple[CredentialField, ...]] = (CredentialField("host", "Drop name"),)

    def list(self, folder: str) -> list[RemoteFile]:
        inside = {p.rsplit("/", 1)[1]: d for p, d in DROP.items() if p.rsplit("/", 1)[0] == folder.rstrip("/")}
        return [RemoteFile(name, len(data)) for name, data in sorted(inside.items())]

    def read_into(self, path: str, sink: IO[bytes]) -> int:
        return sink.write(DROP[path])

    def write_atomic(self, folder: str, name: str, data: bytes) -> None:
        DROP[f"{folder.rstrip('/')}/{name}"] = bytes(data)

    def exists(self, path: str) -> bool:
        return path in DROP

    def stat(self, path: str) -> RemoteFile | None:
        return RemoteFile(path.rsplit("/", 1)[1], len(DROP[path])) if path in DROP else None

    def move(self, src: str, dst_folder: str) -> str:
        dst = f"{dst_folder.rstrip('/')}/{src.rsplit('/', 1)[1]}"
        DROP[dst] = DROP.pop(src)
        return dst

    def delete(self, path: str) -> None:
        DROP.pop(path, None)

    def test(self) -> CheckReport:
        report = CheckReport()
        report.add("Open the drop", True)
        return report


class PlainLines(StampedNames, FileFormat):
    """One "order sku quantity" line per order line; inventory as "sku quantity" lines; no acknowledgments."""

    name: ClassVar[str] = "plainlines"
    label: ClassVar[str] = "Plain lines"
    prefixes: ClassVar[tuple[str, str, str]] = ("ord", "shp", "inv")
    extension: ClassVar[str] = "txt"
    order_pattern: ClassVar[re.Pattern] = re.compile(r"^ord_.+\.txt$")
    shipment_pattern: ClassVar[re.Pattern] = re.compile(r"^shp_.+\.txt$")
    inventory_pattern: ClassVar[re.Pattern] = re.compile(r"^inv_.+\.txt$")

    def render_orders(self, orders) -> bytes:
        return "".join(f"{o.order_number} {ln.sku} {ln.quantity}\n" for o in orders for ln in o.lines).encode()

    def parse_shipments(self, data: bytes) -> Parsed:
        return Parsed()

    def parse_inventory(self, data: bytes) -> Parsed[StockLevel]:
        result: Parsed[StockLevel] = Parsed()
        for number, line in enumerate(data.decode().splitlines(), 1):
            sku, _, qty = line.partition(" ")
            if qty.isdigit():
                result.items.append(StockLevel(sku, int(qty), int(qty)))
            else:
                result.errors.append(RowError(number, f"quantity {qty!r} is not a number"))
        return result


@pytest.fixture(autouse=True)
def registered():
    """The three plugins are known for the test only."""
    platforms.register(MinimalShop)
    transports.register(MemoryDrop)
    formats.register(PlainLines)
    DROP.clear()
    ORDERS.clear()
    yield
    platforms.REGISTRY.unregister(MinimalShop.platform)
    transports.REGISTRY.unregister(MemoryDrop.name)
    formats.REGISTRY.unregister(PlainLines.name)


@pytest.fixture
def org():
    return Organization.objects.create(name="Riverside Fulfillment")


@pytest.fixture
def connection(org):
    merchant = Merchant.objects.create(organization=org, name="Acme")
    store = Store.objects.create(organization=org, merchant=merchant, name="Acme shop", platform="minimalshop",
                                 credentials={"api_key": "k"})
    warehouse = Warehouse.objects.create(organization=org, name="Riverside", transport="memdrop",
                                         file_format="plainlines", credentials={"host": "drop"},
                                         settings={"settle_seconds": 0})
    return Connection.objects.create(organization=org, name="Acme to Riverside", merchant=merchant, store=store,
                                     warehouse=warehouse)


@pytest.fixture
def admin(client, org):
    user = get_user_model().objects.create_user("admin")
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    client.force_login(user)
    return client


def _wizard_to(client, step: str) -> str:
    client.post("/connections/new/basic/", {"name": "Acme to Riverside", "go": "next"})
    client.post("/connections/new/merchant/", {"choice": "new", "new_name": "Acme", "go": "next"})
    if step == "store":
        client.post("/connections/new/warehouse/", {
            "name": "Riverside", "transport": "memdrop", "format": "plainlines", "t_memdrop__host": "drop",
            "folder_inbox": "/in", "folder_outbox": "/out", "go": "next"})
    response = client.get(f"/connections/new/{step}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_new_transport_and_format_are_offered_in_the_wizards_warehouse_step(admin):
    page = _wizard_to(admin, "warehouse")
    assert '<option value="memdrop"' in page and "Memory drop" in page and "t_memdrop__host" in page
    assert '<option value="plainlines"' in page and "Plain lines" in page
    assert "SFTP" in page and "DSFX CSV" in page  # the built-ins are still there


def test_a_new_connector_is_offered_in_the_wizards_store_step_after_its_warehouse_step(admin):
    page = _wizard_to(admin, "store")  # the warehouse step took the new transport and format
    assert '<option value="minimalshop"' in page and "Minimal Shop" in page and "Minimal API key" in page
    warehouse = admin.session["connection_wizard"]["steps"]["warehouse"]
    assert (warehouse["transport"], warehouse["format"]) == ("memdrop", "plainlines")


def test_a_plugin_is_gone_from_the_wizard_once_unregistered(admin):
    platforms.REGISTRY.unregister("minimalshop")
    assert "Minimal Shop" not in _wizard_to(admin, "store")


def test_enabling_a_connector_without_webhooks_says_nothing_about_webhooks(connection):
    assert connections.enable(connection) == ""
    connection.refresh_from_db()
    assert connection.enabled
    connections.disable(connection)  # the default on_disable removes nothing and raises nothing
    connection.refresh_from_db()
    assert not connection.enabled


def test_a_verified_webhook_for_a_connector_without_a_filter_makes_the_orders_channel_due(connection):
    connection.enabled = True
    connection.save()
    Channel.objects.filter(connection=connection).update(next_run_at=timezone.now() + timezone.timedelta(hours=1))
    _, headers = webhooks.endpoint(connection, "https://dockline.example")
    outcome = webhooks.receive("minimalshop", connection.id, headers, json.dumps({"scope": "order"}).encode())
    assert outcome.status == 200
    orders = Channel.objects.get(connection=connection, kind=ChannelKind.ORDERS)
    assert orders.next_run_at <= timezone.now()


def test_the_connection_page_of_a_connector_without_a_checklist_shows_the_platforms_limits(admin, connection):
    page = admin.get(f"/connections/{connection.pk}/").content.decode()
    assert "Minimal Shop cannot receive tracking" in page and "Minimal Shop takes no stock updates" in page


def test_orders_from_a_new_connector_reach_a_new_drop_in_a_new_format(connection):
    placed = datetime(2026, 3, 1, 12, tzinfo=UTC)
    ORDERS.append(StoreOrder("A-1", "1001", placed, placed, [Destination("1", Address(name="Ann"), "Ground")],
                             [OrderLine("1", "MUG", 2)]))
    StockRow.objects.create(warehouse=connection.warehouse, sku="MUG", on_hand=5, available=5)
    ShippingRule.objects.create(connection=connection, store_method="*", carrier="UPS")

    counts = sync_orders(connection)

    assert counts["new"] == 1 and counts["sent"] == 1
    order = Order.objects.get(connection=connection, external_id="A-1")
    assert order.status == OrderStatus.OPEN  # the default mark_forwarded and acknowledge did not stop it
    [(path, data)] = [(p, d) for p, d in DROP.items() if p.startswith("/in/")]
    assert PlainLines.order_pattern.match(path.rsplit("/", 1)[1]) and data == b"1001 MUG 2\n"
    assert Channel.objects.get(connection=connection, kind=ChannelKind.ORDERS).cursor["modified_since"]


def test_stock_from_a_format_without_acknowledgments_is_applied_and_no_ack_is_written(connection):
    from dockline.mapping.models import Listing, ListingComponent

    listing = Listing.objects.create(connection=connection, store_sku="MUG")
    ListingComponent.objects.create(listing=listing, warehouse_sku="MUG", quantity=1)
    DROP["/out/inv_260301120000000.txt"] = b"MUG 7\n"

    counts = sync_inventory(connection)

    assert StockRow.objects.get(warehouse=connection.warehouse, sku="MUG").available == 7
    assert list(DROP) == ["/out/archive/inv_260301120000000.txt"]  # archived; nothing written back
    assert "acks_sent" not in counts
    pushed = PushedStock.objects.get(connection=connection, store_sku="MUG")
    assert pushed.skipped_reason == "Minimal Shop takes no stock updates from Dockline"


def test_the_base_refuses_a_shipment_for_a_connector_without_tracking_for_good():
    shop = MinimalShop({}, {})
    assert Capability.SHIPMENTS not in shop.capabilities
    with pytest.raises(ConnectorError) as refused:
        shop.post_shipment(StoreShipment("A-1", "1", [], "UPS", "Ground", ["1Z1"], datetime.now(UTC)))
    assert refused.value.kind is ErrorKind.FATAL and "Minimal Shop cannot receive tracking" in refused.value.message
