"""The demo world: a sandbox store and a simulated warehouse wired to Dockline through one connection.

Used by `dockline demo`, `dockline demo --check` and the end-to-end tests.
"""
from __future__ import annotations

import random
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from dockline.accounts.models import Membership, Merchant, Organization, Role
from dockline.connections.models import Channel, ChannelKind, Connection, Store, Warehouse
from dockline.mapping.models import Listing, ListingComponent, ShippingRule
from dockline.orders.models import Order
from dockline.orders.status import OrderStatus
from dockline.sandbox.bigcommerce import BigCommerceSandbox
from dockline.sandbox.wms import SimulatedWms
from dockline.sync.jobs import sync_inventory

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
                   "SOCK-WL-02": 9000, "LANTERN-300": 3000}
SHIPPING_RULES = [("Flat Rate", "UPS", "GND"), ("Free Shipping", "USPS", "PRIORITY"), ("Express", "FEDEX", "2DAY")]
UNMAPPED_SKU = ("ACME-HAT", "Sun Hat (new product, not yet mapped)", "22.00")


@dataclass
class DemoWorld:
    store_sandbox: BigCommerceSandbox
    wms: SimulatedWms
    connection: Connection
    username: str
    password: str
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    placed: list[int] = field(default_factory=list)

    def place_order(self, *, allow_unmapped: bool = False) -> int:
        skus = [c[0] for c in CATALOG]
        picks = self.rng.sample(skus, k=self.rng.randint(1, 3))
        if allow_unmapped and self.rng.random() < 0.1:
            picks.append(UNMAPPED_SKU[0])
        items = [(sku, self.rng.randint(1, 3)) for sku in picks]
        method = self.rng.choice([r[0] for r in SHIPPING_RULES])
        order_id = self.store_sandbox.store.place_order(items=items, shipping_method=method)
        self.placed.append(order_id)
        return order_id

    def stop(self) -> None:
        self.wms.stop()
        self.store_sandbox.stop()


def build(*, intervals: dict[str, timedelta], store_quota: int = 10_000, ship_delay: float = 1.0,
          partial_rate: float = 0.2, seed: int = 7) -> DemoWorld:
    """Start both sandboxes and create the organization, merchant, store, warehouse and an enabled connection."""
    sandbox = BigCommerceSandbox(store_hash="acme", access_token=secrets.token_hex(16), quota=store_quota)
    sandbox.start()
    for sku, name, price, _ in CATALOG:
        sandbox.store.add_product(sku=sku, name=name, price=price, inventory_level=0, inventory_tracking="product")
    sandbox.store.add_product(sku=UNMAPPED_SKU[0], name=UNMAPPED_SKU[1], price=UNMAPPED_SKU[2],
                              inventory_level=0, inventory_tracking="none")
    wms = SimulatedWms(dict(WAREHOUSE_STOCK), ship_delay=ship_delay, partial_rate=partial_rate,
                       inventory_interval=2.0, seed=seed)
    wms.start()

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
        store = Store.objects.create(
            organization=org, merchant=merchant, name=f"Acme on BigCommerce ({sandbox.base_url})",
            platform="bigcommerce", credentials=sandbox.credentials, settings={"api_base": sandbox.base_url},
        )
        settings = wms.transport_settings()
        creds = {k: settings.pop(k) for k in ("host", "port", "username", "password")}
        warehouse = Warehouse.objects.create(
            organization=org, name="Riverside 3PL", transport="ftp", credentials=creds, settings=settings,
        )
        connection = Connection.objects.create(
            organization=org, name="Acme → Riverside", merchant=merchant, store=store, warehouse=warehouse,
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
    # Learn the warehouse's SKUs before the first order arrives, as a new connection's setup does.
    sync_inventory(connection)
    return DemoWorld(sandbox, wms, connection, "admin", password)


def demo_intervals(seconds: float) -> dict[str, timedelta]:
    return {kind: timedelta(seconds=seconds) for kind in ChannelKind.values}


@dataclass
class CheckResult:
    ok: bool
    summary: str


def verify(world: DemoWorld, expected_orders: int) -> CheckResult:
    """Compare what each side saw: the warehouse, the store, and Dockline."""
    order_numbers = [str(i) for i in world.placed]
    received = dict(world.wms.received)
    missing = [n for n in order_numbers if received.get(n, 0) == 0]
    twice = [n for n in order_numbers if received.get(n, 0) > 1]
    shipped = list(world.wms.shipped_shipments)
    store = world.store_sandbox.store
    posted_twice, not_posted, posted = [], [], 0
    for order_id in world.placed:
        wms_tracking = sorted(t for s in shipped if s.order_number == str(order_id) for t in s.tracking_numbers)
        store_tracking = sorted(tracking_in_store(store.shipments_for(order_id)))
        posted += len(store_tracking)
        if len(store_tracking) > len(set(store_tracking)):
            posted_twice.append(order_id)
        if set(store_tracking) != set(wms_tracking):
            not_posted.append(order_id)
    closed = Order.objects.filter(connection=world.connection, status=OrderStatus.CLOSED).count()
    expected_stock = _expected_store_stock(world)
    stock_off = {sku: (store.inventory_level(sku), qty) for sku, qty in expected_stock.items()
                 if store.inventory_level(sku) != qty}
    problems = []
    if len(order_numbers) != expected_orders:
        problems.append(f"{len(order_numbers)} orders placed, expected {expected_orders}")
    if missing:
        problems.append(f"{len(missing)} orders never reached the warehouse (e.g. {missing[:3]})")
    if twice:
        problems.append(f"{len(twice)} orders reached the warehouse more than once (e.g. {twice[:3]})")
    if posted_twice:
        problems.append(f"{len(posted_twice)} orders have a shipment posted twice (e.g. {posted_twice[:3]})")
    if not_posted:
        problems.append(f"{len(not_posted)} orders' store shipments differ from the warehouse's (e.g. {not_posted[:3]})")
    if closed != expected_orders:
        problems.append(f"{closed} of {expected_orders} orders closed")
    if stock_off:
        problems.append(f"store stock differs from the warehouse's for {len(stock_off)} SKU(s): {stock_off}")
    summary = (f"{expected_orders} orders: {len(order_numbers) - len(missing)} reached the warehouse "
               f"({len(twice)} more than once), {len(shipped)} warehouse shipments, {posted} posted to the store "
               f"({len(posted_twice)} twice), {closed} closed, stock matches for "
               f"{len(expected_stock) - len(stock_off)}/{len(expected_stock)} SKUs")
    return CheckResult(not problems, summary if not problems else summary + "; " + "; ".join(problems))


def tracking_in_store(shipments: list[dict]) -> list[str]:
    """Each shipment's tracking number, plus those a shipment lists as additional (more boxes than items)."""
    numbers = []
    for shipment in shipments:
        if shipment.get("tracking_number"):
            numbers.append(shipment["tracking_number"])
        extra = re.search(r"Additional tracking numbers: ([^.]*)\.", shipment.get("comments") or "")
        if extra:
            numbers.extend(n.strip() for n in extra.group(1).split(","))
    return numbers


def _expected_store_stock(world: DemoWorld) -> dict[str, int]:
    stock = dict(world.wms.stock)
    expected = {}
    for store_sku, _, _, components in CATALOG:
        parts = components or [(store_sku, 1)]
        expected[store_sku] = min(stock[sku] // qty for sku, qty in parts)
    return expected


def wait_until(predicate, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
