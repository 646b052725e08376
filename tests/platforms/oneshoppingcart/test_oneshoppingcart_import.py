"""1ShoppingCart orders into Dockline: a product without SKU stops its order in Error;
the demo check ends with orders Shipped and tracking kept in Dockline."""
from __future__ import annotations

import os
import subprocess
import sys

from dockline.orders.models import Order
from dockline.orders.services import import_orders, prepare_orders
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
