"""1ShoppingCart orders into Dockline: a product without SKU stops its order in Error; an order
accepted after the cursor passed its date still comes in; each run lists from its cursor; the
demo check ends with orders Shipped and tracking kept in Dockline."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from dockline.connections.models import ChannelKind
from dockline.orders.imports import import_orders
from dockline.orders.models import Order
from dockline.orders.services import prepare_orders
from dockline.orders.status import OrderStatus


def test_product_without_sku_stops_the_order_in_error_saying_so(osc_world):
    store = osc_world.store.sandbox.store
    bare = store.add_product("Gift wrap", "3.00")  # no SKU in 1ShoppingCart
    good = store.place_order([(store.product_by_sku("LANTERN-300"), 1)], "Flat Rate")
    bad = store.place_order([(store.product_by_sku("LANTERN-300"), 1), (bare, 1)], "Flat Rate")
    connection = osc_world.connection
    assert import_orders(connection, connection.store.connector()) == {"fetched": 2, "new": 2}
    prepare_orders(connection)
    stopped = Order.objects.get(connection=connection, external_id=bad)
    assert stopped.status == OrderStatus.ERROR
    assert stopped.error == ("Item 'Gift wrap' has no SKU: add the SKU to the product in the store, "
                             "then reprocess the order.")
    assert Order.objects.get(connection=connection, external_id=good).status == OrderStatus.QUEUED


def test_demo_check_passes_on_1shoppingcart(tmp_path):
    env = {**os.environ, "DOCKLINE_HOME": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "dockline.cli", "demo", "--check", "--platform", "oneshoppingcart", "--orders", "20",
         "--timeout", "120"], capture_output=True, text=True, env=env, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check passed: 20 orders: 20 reached the warehouse (0 more than once)" in result.stdout
    assert "kept in Dockline (the platform takes no tracking) (0 twice), 20 shipped" in result.stdout


def _orders_cursor(connection) -> dict:
    return connection.channels.get(kind=ChannelKind.ORDERS).cursor


def _order_reads(store) -> list[str]:
    return [path.rsplit("/", 1)[1] for _, path, _ in store.requests if "/Orders/" in path
            and not path.endswith("/LIST")]


def test_an_order_accepted_after_the_cursor_passed_its_date_is_imported(osc_world):
    store, connection = osc_world.store.sandbox.store, osc_world.connection
    lantern = store.product_by_sku("LANTERN-300")
    day = datetime(2026, 1, 5, tzinfo=UTC)
    first = store.place_order([(lantern, 1)], placed_at=day)
    waiting = store.place_order([(lantern, 1)], status="Pending", placed_at=day + timedelta(hours=1))
    later = store.place_order([(lantern, 1)], placed_at=day + timedelta(hours=60))
    assert import_orders(connection, connection.store.connector()) == {"fetched": 2, "new": 2}
    assert _orders_cursor(connection)["platform"]["waiting"] == {waiting: (day + timedelta(hours=1)).isoformat()}

    store.orders[waiting]["OrderStatusType"] = "Accepted"  # the payment cleared a day later
    newest = store.place_order([(lantern, 1)], placed_at=day + timedelta(hours=90))
    # the cursor (60 h) is days past the order's date (1 h): LIST from the cursor no longer shows it
    assert import_orders(connection, connection.store.connector()) == {"fetched": 3, "new": 2}
    imported = set(Order.objects.filter(connection=connection).values_list("external_id", flat=True))
    assert imported == {first, waiting, later, newest}
    assert _orders_cursor(connection)["platform"]["waiting"] == {}


def test_each_run_lists_from_its_cursor_instead_of_days_back(osc_world):
    store, connection = osc_world.store.sandbox.store, osc_world.connection
    lantern = store.product_by_sku("LANTERN-300")
    start = datetime(2026, 1, 5, tzinfo=UTC)
    for hour in range(48):  # two days of orders, one an hour
        store.place_order([(lantern, 1)], placed_at=start + timedelta(hours=hour))
    assert import_orders(connection, connection.store.connector())["new"] == 48
    fresh = store.place_order([(lantern, 1)], placed_at=start + timedelta(hours=49))
    store.requests.clear()
    assert import_orders(connection, connection.store.connector()) == {"fetched": 2, "new": 1}
    [listing] = [query for _, path, query in store.requests if path.endswith("/Orders/LIST")]
    assert listing["LimitStartDate"] == "01/06/2026 22:55:00"  # the newest order (47 h) less 5 minutes
    assert len(_order_reads(store)) == 2 and fresh in _order_reads(store)
