"""Amazon orders through Dockline's engine: the overlap cursor, shipments back, stock out, the
wizard and the whole demo. Real sandbox, real database, real services."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

from dockline.orders.imports import CURSOR_OVERLAP, import_orders
from dockline.orders.models import Order
from dockline.sandbox.demo import wait_until
from dockline.sync.jobs import sync_inventory, sync_orders, sync_shipments


def _sandbox(world):
    return world.store.sandbox


def test_each_import_asks_from_the_newest_update_less_the_overlap_and_stores_nothing_twice(amazon_world):
    sb = _sandbox(amazon_world)
    first = sb.seller.place_order([("LANTERN-300", 1)])
    assert import_orders(amazon_world.connection, amazon_world.connection.store.connector()) == {"fetched": 1, "new": 1}
    cursor = amazon_world.connection.channels.get(kind="orders").cursor["modified_since"]
    assert cursor == datetime.fromisoformat(sb.seller.orders[first]["lastUpdatedTime"].replace("Z", "+00:00")
                                            ).isoformat()
    second = sb.seller.place_order([("ACME-MUG", 2)])
    counts = import_orders(amazon_world.connection, amazon_world.connection.store.connector())
    assert counts == {"fetched": 2, "new": 1}  # the first again, inside the overlap: not stored twice
    asked = parse_qs([e for e in sb.app.exchanges if e.operation == "searchOrders"][-1].query)["lastUpdatedAfter"][0]
    expected = datetime.fromisoformat(cursor) - CURSOR_OVERLAP
    assert asked == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert CURSOR_OVERLAP >= timedelta(minutes=2)  # Amazon: updates may show up to two minutes late
    assert set(Order.objects.values_list("external_id", flat=True)) == {first, second}


def test_an_order_ships_back_as_one_confirmed_package_and_stock_goes_out(amazon_world):
    sb = _sandbox(amazon_world)
    order_id = sb.seller.place_order([("LANTERN-300", 1), ("ACME-MUG", 1)], service_level="EXPEDITED")
    sync_orders(amazon_world.connection)
    assert wait_until(lambda: amazon_world.wms.received.get(order_id), timeout=15), amazon_world.wms.received
    assert wait_until(lambda: amazon_world.wms.shipped_shipments, timeout=15)
    assert wait_until(lambda: sync_shipments(amazon_world.connection) is not None
                      and bool(sb.seller.tracking_numbers(order_id)), timeout=15)
    wms_tracking = {t for s in amazon_world.wms.shipped_shipments for t in s.tracking_numbers}
    assert set(sb.seller.tracking_numbers(order_id)) == wms_tracking
    assert sb.seller.orders[order_id]["fulfillment"]["fulfillmentStatus"] == "SHIPPED"
    sync_shipments(amazon_world.connection)
    assert len(sb.seller.confirmations) == 1  # posting again changes nothing
    sync_inventory(amazon_world.connection)
    assert sb.seller.quantity("LANTERN-300") == amazon_world.wms.stock["LANTERN-300"]


def test_the_wizard_offers_amazon_with_exactly_its_fields(client, org, login_as):
    from dockline.accounts.models import Role
    from dockline.sandbox.amazon import AmazonSandbox

    login_as(Role.ADMIN)
    client.post("/connections/new/basic/", {"name": "Acme on Amazon", "go": "next"})
    client.post("/connections/new/merchant/", {"choice": "new", "new_name": "Acme", "go": "next"})
    client.post("/connections/new/warehouse/", {
        "name": "Riverside 3PL", "transport": "ftp", "format": "dsfx", "t_ftp__host": "127.0.0.1", "t_ftp__port": "1",
        "t_ftp__username": "wms", "t_ftp__password": "pw", "folder_inbox": "/in", "folder_outbox": "/out",
        "folder_archive": "", "folder_error": "", "go": "next"})
    page = client.get("/connections/new/store/").content.decode()
    assert re.search(r'<option value="amazon"[^>]*>Amazon</option>', page)
    fields = sorted(set(re.findall(r'name="([ps]_amazon__\w+)"', page)))
    assert fields == ["p_amazon__lwa_client_id", "p_amazon__lwa_client_secret", "p_amazon__refresh_token",
                      "p_amazon__seller_id", "s_amazon__api_base", "s_amazon__feed_threshold",
                      "s_amazon__marketplace_id", "s_amazon__token_url"]
    with AmazonSandbox(rate_scale=100) as sb:
        form = {"name": "Acme on Amazon", "platform": "amazon",
                **{f"p_amazon__{k}": v for k, v in sb.credentials.items()},
                **{f"s_amazon__{k}": v for k, v in sb.settings.items()}, "s_amazon__feed_threshold": "30"}
        works = client.post("/connections/new/test-store/", form).content.decode()
        sb.app.denied_roles.add("Product Listing")
        denied = client.post("/connections/new/test-store/", form).content.decode()
    assert "Connection works" in works and sb.client_secret not in works and sb.refresh_token not in works
    assert "Missing role: Product Listing" in denied


def test_demo_check_passes_on_amazon(tmp_path):
    env = {**os.environ, "DOCKLINE_HOME": str(tmp_path),
           "PYTHONPATH": str(Path(__file__).resolve().parents[3] / "src")}
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "BROKER_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "dockline.cli", "demo", "--check", "--orders", "20", "--platform", "amazon",
         "--timeout", "120"], capture_output=True, text=True, env=env, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check passed: 20 orders: 20 reached the warehouse (0 more than once)" in result.stdout
    assert "20 closed" in result.stdout
