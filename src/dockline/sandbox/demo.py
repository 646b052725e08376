"""The demo world: a sandbox store and a simulated warehouse wired to Dockline through one connection.

With `second_warehouse`, the connection also ships from a second simulated warehouse that alone stocks
the lanterns: orders are split by availability, so a person sees an order go to two warehouses.

Used by `dockline demo`, `dockline demo --check` and the end-to-end tests.
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import Channel, ChannelKind, Connection, ConnectionWarehouse, Routing, Store
from dockline.mapping.models import Listing, ListingComponent, ShippingRule
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus
from dockline.rules.models import Hook, Rule
from dockline.rules.services import save_rule, switch_rule
from dockline.sandbox.wms import SimulatedWms
from dockline.shipments.models import Package
from dockline.sync.jobs import sync_inventory
from dockline.warehouses.models import Warehouse

# store SKU, product name, price, warehouse components
CATALOG = [
    ("ACME-TEE-S", "Trail Tee, small", "19.00", [("TT-100-S", 1)]),
    ("ACME-TEE-M", "Trail Tee, medium", "19.00", [("TT-100-M", 1)]),
    ("ACME-TEE-L", "Trail Tee, large", "19.00", [("TT-100-L", 1)]),
    ("ACME-MUG", "Camp Mug", "12.50", [("MUG-ENML-01", 1)]),
    ("ACME-SOCKS", "Wool Socks", "14.00", [("SOCK-WL-02", 1)]),
    ("ACME-CAMP-KIT", "Camp Kit (1 mug, 2 pairs of socks)", "36.00", [("MUG-ENML-01", 1), ("SOCK-WL-02", 2)]),
    ("LANTERN-300", "Lantern 300", "42.00", []),  # same SKU in store and warehouse: no listing needed
]
WAREHOUSE_STOCK = {"TT-100-S": 4000, "TT-100-M": 4000, "TT-100-L": 4000, "MUG-ENML-01": 6000,
                   "SOCK-WL-02": 9000, "LANTERN-300": 3000, "CARD-THANKS": 9000}  # the card: an insert
SHIPPING_RULES = [("Flat Rate", "UPS", "GND"), ("Free Shipping", "USPS", "PRIORITY"), ("Express", "FDXE", "2DAY"),
                  # Amazon names shipping speeds, not methods (sandbox/amazon/demo.py)
                  ("Standard", "UPS", "GND"), ("Free Economy", "USPS", "PRIORITY"), ("Expedited", "FDXE", "2DAY")]
# The second warehouse (with `second_warehouse`): the only one with lanterns, and some medium tees.
SECOND_WAREHOUSE = "Harbor 3PL"
SECOND_WAREHOUSE_STOCK = {"LANTERN-300": 3000, "TT-100-M": 500}
UNMAPPED_SKU = ("ACME-HAT", "Sun Hat (new product, not yet mapped)", "22.00")
# What the demo's warehouse stocks the hat as: the answer to "map it to what?" on Needs mapping.
UNMAPPED_SKU_MAPS_TO = "HAT-SUN-01"
# Where the demo tells its store to send webhooks: the store delivers them to the demo's own web
# server (`DemoStore.route_webhooks`), as DNS and a TLS proxy would for a real Dockline.
DEMO_PUBLIC_URL = "https://dockline-demo.test"


class DemoStore(Protocol):
    """A platform sandbox as the demo drives it: the same few moves whatever the platform."""

    platform: str  # the connector's platform name
    label: str
    address: str  # where it listens, for the terminal
    credentials: dict  # what the wizard would save for it
    settings: dict

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def add_product(self, sku: str, name: str, price: str, *, tracked: bool) -> None: ...

    def place_order(self, items: list[tuple[str, int]], shipping_method: str) -> str:
        """Place an order as a shopper would; returns the order number Dockline will see."""

    def tracking_numbers(self, order_number: str) -> list[str] | None:
        """Every tracking number the store holds for the order (a repeat means posted twice);
        None where the platform cannot receive tracking."""

    def inventory_level(self, sku: str) -> int | None: ...

    def route_webhooks(self, public_url: str, origin: str) -> bool:
        """Deliver the store's webhooks for `public_url`'s host to `origin` (the demo's web server);
        False where the store sends no webhooks."""


class SandboxDemoStore:
    """What demo stores that wrap one platform sandbox share: its lifecycle, and what the wizard would save."""

    sandbox: Any  # a started or startable platform sandbox

    def start(self) -> None:
        self.sandbox.start()

    def stop(self) -> None:
        self.sandbox.stop()

    @property
    def address(self) -> str:
        return self.sandbox.base_url

    @property
    def credentials(self) -> dict:
        return self.sandbox.credentials

    @property
    def settings(self) -> dict:
        return self.sandbox.settings

    def route_webhooks(self, public_url: str, origin: str) -> bool:
        """Stores send no webhooks unless their sandbox can deliver them (BigCommerce's can)."""
        return False


def demo_stores() -> dict[str, type[DemoStore]]:
    """Every platform sandbox that offers a demo store: a `demo` module with DEMO_STORE in its package."""
    import dockline.sandbox as package

    found = {}
    for module in pkgutil.iter_modules(package.__path__):
        if module.ispkg and importlib.util.find_spec(f"{package.__name__}.{module.name}.demo"):
            cls = importlib.import_module(f"{package.__name__}.{module.name}.demo").DEMO_STORE
            found[cls.platform] = cls
    return dict(sorted(found.items()))


def demo_store(platform: str) -> DemoStore:
    return demo_stores()[platform]()


@dataclass
class DemoWorld:
    store: DemoStore
    wms: SimulatedWms
    connection: Connection
    username: str
    password: str
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    placed: list[str] = field(default_factory=list)
    other_wms: list[SimulatedWms] = field(default_factory=list)  # further warehouses, in the connection's order

    @property
    def all_wms(self) -> list[SimulatedWms]:
        return [self.wms, *self.other_wms]

    def place_order(self, *, allow_unmapped: bool = False) -> str:
        skus = [c[0] for c in CATALOG]
        picks = self.rng.sample(skus, k=self.rng.randint(1, 3))
        if allow_unmapped and self.rng.random() < 0.1:
            picks.append(UNMAPPED_SKU[0])
        items = [(sku, self.rng.randint(1, 3)) for sku in picks]
        method = self.rng.choice([r[0] for r in SHIPPING_RULES])
        number = self.store.place_order(items, method)
        self.placed.append(number)
        return number

    def stop(self) -> None:
        for wms in self.all_wms:
            wms.stop()
        self.store.stop()


def build(*, intervals: dict[str, timedelta], platform: str = "bigcommerce", ship_delay: float = 1.0,
          partial_rate: float = 0.2, seed: int = 7, transport: str = "ftp", file_format: str = "dsfx",
          format_settings: dict | None = None, simulate: bool = True, second_warehouse: bool = False) -> DemoWorld:
    """Start both sandboxes and create the organization, merchant, store, warehouse and an enabled connection.

    `transport` (ftp, ftps, sftp) and `file_format` (dsfx, x12, json; with `format_settings`
    such as ``{"version": 1}`` for DSFX) pick how the simulated warehouse is reached and what it speaks.
    With `simulate` off the warehouse only acts when the caller calls ``world.wms.tick()``.
    With `second_warehouse`, a second simulated warehouse (same transport and format) holds the lanterns.
    """
    sandbox = demo_store(platform)
    sandbox.start()
    for sku, name, price, _ in CATALOG:
        sandbox.add_product(sku, name, price, tracked=True)
    sandbox.add_product(*UNMAPPED_SKU, tracked=False)
    first_stock = {**WAREHOUSE_STOCK, UNMAPPED_SKU_MAPS_TO: 500}
    if second_warehouse:
        first_stock.pop("LANTERN-300")
    wms = SimulatedWms(first_stock, ship_delay=ship_delay, partial_rate=partial_rate,
                       inventory_interval=2.0, seed=seed, transport=transport, format=file_format,
                       format_settings=format_settings)
    wms.start(simulate=simulate)
    if not simulate:
        wms.tick()  # its first stock snapshot

    connection, password = create_connection(sandbox, wms.transport_settings(), transport=transport,
                                             file_format=file_format, format_settings=format_settings,
                                             intervals=intervals)
    others = []
    if second_warehouse:
        other = SimulatedWms(dict(SECOND_WAREHOUSE_STOCK), ship_delay=ship_delay, partial_rate=partial_rate,
                             inventory_interval=2.0, seed=seed + 1, transport=transport, format=file_format,
                             format_settings=format_settings)
        other.start(simulate=simulate)
        if not simulate:
            other.tick()
        add_warehouse(connection, SECOND_WAREHOUSE, other.transport_settings(), transport=transport,
                      file_format=file_format, format_settings=format_settings)
        others.append(other)
    # Learn the warehouse's SKUs before the first order arrives, as a new connection's setup does.
    sync_inventory(connection)
    return DemoWorld(sandbox, wms, connection, "admin", password, other_wms=others)


def add_warehouse(connection: Connection, name: str, warehouse_settings: dict, *, transport: str, file_format: str,
                  format_settings: dict | None = None, routing: Routing = Routing.SPLIT) -> Warehouse:
    """Another warehouse for `connection`, reached with `warehouse_settings`, after those it has; orders
    are routed by `routing` from then on."""
    settings = dict(warehouse_settings)
    creds = {k: settings.pop(k) for k in ("host", "port", "username", "password")}
    warehouse = Warehouse.objects.create(
        organization=connection.organization, name=name, transport=transport, credentials=creds,
        settings={**settings, **(format_settings or {})}, file_format=file_format,
    )
    ConnectionWarehouse.objects.create(connection=connection, warehouse=warehouse,
                                       position=connection.other_warehouses.count() + 1)
    connection.routing = routing
    connection.save(update_fields=["routing"])
    return warehouse


def create_connection(store: DemoStore, warehouse_settings: dict, *, transport: str, file_format: str,
                      format_settings: dict | None, intervals: dict[str, timedelta]) -> tuple[Connection, str]:
    """The demo organization, merchant, admin, store, warehouse, listings and shipping rules, and an
    enabled connection between `store` and the warehouse reached with `warehouse_settings`
    (host, port, username, password, folders); returns it with the admin's new password."""
    password = secrets.token_urlsafe(9)
    with transaction.atomic():
        org, _ = Organization.objects.get_or_create(name="Demo Fulfillment Co.")
        merchant, _ = Merchant.objects.get_or_create(organization=org, name="Acme Outfitters")
        user, _ = get_user_model().objects.get_or_create(username="admin")
        user.set_password(password)
        user.save()
        Membership.objects.update_or_create(user=user, defaults={"organization": org, "role": Role.ADMIN})
        # A demo run starts on fresh sandboxes: earlier demo connections point at servers that are gone.
        Connection.objects.filter(organization=org).update(enabled=False)
        store_row = Store.objects.create(
            organization=org, merchant=merchant, name=f"Acme on {store.label}",
            platform=store.platform, credentials=store.credentials, settings=store.settings,
        )
        settings = dict(warehouse_settings)
        creds = {k: settings.pop(k) for k in ("host", "port", "username", "password")}
        warehouse = Warehouse.objects.create(
            organization=org, name="Riverside 3PL", transport=transport, credentials=creds,
            settings={**settings, **(format_settings or {})}, file_format=file_format,
        )
        connection = Connection.objects.create(
            organization=org, name="Acme → Riverside", merchant=merchant, store=store_row, warehouse=warehouse,
        )
        for store_sku, _, _, components in CATALOG:
            if components:
                listing = Listing.objects.create(connection=connection, store_sku=store_sku)
                ListingComponent.objects.bulk_create(
                    ListingComponent(listing=listing, warehouse_sku=sku, quantity=qty) for sku, qty in components
                )
        ShippingRule.objects.bulk_create(
            ShippingRule(connection=connection, store_method=m, carrier=c, service=s) for m, c, s in SHIPPING_RULES
        )
        for kind, interval in intervals.items():
            Channel.objects.filter(connection=connection, kind=kind).update(interval=interval)
        connection.enabled = True
        connection.save(update_fields=["enabled"])
    return connection, password


def turn_on_webhooks(world: DemoWorld, origin: str) -> str:
    """Have the store send new orders to Dockline at once: register the connection's hooks under
    DEMO_PUBLIC_URL, delivered to `origin` (where the demo's web server listens, already up, so no
    delivery is refused). Returns what Enable would say about webhooks ("" when they are on)."""
    if not world.store.route_webhooks(DEMO_PUBLIC_URL, origin):
        return "this store sends no webhooks in the demo; new orders arrive by polling"
    connector = world.connection.store.connector()
    try:
        return connector.on_enable(world.connection, public_url=DEMO_PUBLIC_URL)
    finally:
        connector.close()


# The demo's rules: one on (a thank-you card in big orders), one as a new rule starts, off, to try with Test.
DEMO_RULES = [
    ("Thank-you card in orders over $100", Hook.IMPORT, "order.total > 100.0",
     "set_notes: Put a thank-you card in the box\nadd_tag: big-order", True),
    ("Hold orders to a PO box for review", Hook.BEFORE_SEND,
     'order.ship_to.street1.matches("(?i)^p\\.?\\s*o\\.?\\s*box")', "hold: review", False),
]


def add_demo_rules(connection: Connection) -> None:
    """The demo merchant's rules (`dockline demo`), saved as the dashboard saves them."""
    for name, hook, conditions, actions, active in DEMO_RULES:
        if not Rule.objects.filter(merchant=connection.merchant, name=name).exists():
            rule = save_rule(Rule(merchant=connection.merchant, name=name, hook=hook, conditions=conditions,
                                  actions=actions))
            switch_rule(rule, active)


def demo_intervals(seconds: float) -> dict[str, timedelta]:
    return {kind: timedelta(seconds=seconds) for kind in ChannelKind.values}


@dataclass
class CheckResult:
    ok: bool
    summary: str


def verify(world: DemoWorld, expected_orders: int) -> CheckResult:
    """Compare what each side saw: the warehouse, the store, and Dockline."""
    numbers = list(world.placed)
    received = [dict(wms.received) for wms in world.all_wms]  # a split order reaches several, once each
    missing = [n for n in numbers if not any(r.get(n, 0) for r in received)]
    twice = [n for n in numbers if any(r.get(n, 0) > 1 for r in received)]
    shipped = [s for wms in world.all_wms for s in wms.shipped_shipments]
    posted_twice, not_posted, posted = [], [], 0
    takes_tracking = True
    for number in numbers:
        wms_tracking = {t for s in shipped if s.order_number == number for t in s.tracking_numbers}
        store_tracking = world.store.tracking_numbers(number)
        if store_tracking is None:  # the platform cannot receive tracking: Dockline keeps it
            takes_tracking = False
            store_tracking = list(
                Package.objects.filter(shipment__order__connection=world.connection, shipment__order__number=number)
                .values_list("tracking_number", flat=True)
            )
        posted += len(store_tracking)
        if len(store_tracking) > len(set(store_tracking)):
            posted_twice.append(number)
        if set(store_tracking) != wms_tracking:
            not_posted.append(number)
    final = OrderStatus.CLOSED if takes_tracking else OrderStatus.SHIPPED
    done = Order.objects.filter(connection=world.connection, status=final).count()
    expected_stock = _expected_store_stock(world)
    levels = {sku: world.store.inventory_level(sku) for sku in expected_stock}
    takes_stock = any(level is not None for level in levels.values())  # all None: the platform takes no stock
    stock_off = {sku: (levels[sku], qty) for sku, qty in expected_stock.items() if takes_stock and levels[sku] != qty}
    problems = []
    if len(numbers) != expected_orders:
        problems.append(f"{len(numbers)} orders placed, expected {expected_orders}")
    if missing:
        problems.append(f"{len(missing)} orders never reached the warehouse (e.g. {missing[:3]})")
    if twice:
        problems.append(f"{len(twice)} orders reached the warehouse more than once (e.g. {twice[:3]})")
    if posted_twice:
        problems.append(f"{len(posted_twice)} orders have a shipment posted twice (e.g. {posted_twice[:3]})")
    if not_posted:
        problems.append(f"{len(not_posted)} orders' tracking differs from the warehouse's (e.g. {not_posted[:3]})")
    if done != expected_orders:
        problems.append(f"{done} of {expected_orders} orders {final.label}")
    if stock_off:
        problems.append(f"store stock differs from the warehouse's for {len(stock_off)} SKU(s): {stock_off}")
    where = "posted to the store" if takes_tracking else "kept in Dockline (the platform takes no tracking)"
    split = (Order.objects.filter(connection=world.connection).annotate(parts_count=Count("parts"))
             .filter(parts_count__gt=1).count())
    summary = (f"{expected_orders} orders: {len(numbers) - len(missing)} reached the warehouse "
               f"({len(twice)} more than once), {len(shipped)} warehouse shipments, {posted} tracking numbers "
               f"{where} ({len(posted_twice)} twice), {done} {final.label.lower()}, "
               + (f"stock matches for {len(expected_stock) - len(stock_off)}/{len(expected_stock)} SKUs" if takes_stock
                  else "stock kept in Dockline (the platform takes no stock)")
               + (f", {split} split across {len(world.all_wms)} warehouses" if world.other_wms else ""))
    return CheckResult(not problems, summary if not problems else summary + "; " + "; ".join(problems))


def _expected_store_stock(world: DemoWorld) -> dict[str, int]:
    """What each warehouse can make of each store SKU, summed over the warehouses that stock any of it."""
    stocks = [dict(wms.stock) for wms in world.all_wms]
    expected = {}
    for store_sku, _, _, components in CATALOG:
        parts = components or [(store_sku, 1)]
        expected[store_sku] = sum(min(stock.get(sku, 0) // qty for sku, qty in parts)
                                  for stock in stocks if any(sku in stock for sku, _ in parts))
    return expected


def wait_until(predicate, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
