"""UltraCart orders into Dockline: acknowledged only once stored, never imported twice,
and the setup checklist's SKU check. Real sandbox, real database, real services."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from dockline.core.errors import ConnectorError
from dockline.orders.imports import import_orders
from dockline.orders.models import Order
from dockline.platforms.ultracart.checklist import checklist_item, unknown_skus


def _uc(world):
    return world.store.sandbox


def test_import_pages_through_the_queue_acknowledging_each_100_after_storing(uc_world):
    sb = _uc(uc_world)
    ids = [sb.store.place_order([("LANTERN-300", 1)], "Flat Rate") for _ in range(250)]
    connector = uc_world.connection.store.connector()
    counts = import_orders(uc_world.connection, connector)
    assert counts == {"fetched": 250, "new": 250}
    assert sorted(Order.objects.filter(connection=uc_world.connection).values_list("external_id", flat=True)) == ids
    assert sb.store.queues["RIVER"] == []
    calls = [m for m, p in sb.store.requests if p.endswith(("/orders", "/acknowledgements"))]
    assert calls == ["GET", "PUT", "GET", "PUT", "GET", "PUT"]  # 100, 100, 50: each acknowledged before the next


def test_crash_between_storing_and_acknowledging_imports_nothing_twice(uc_world):
    sb = _uc(uc_world)
    ids = [sb.store.place_order([("LANTERN-300", 1)], "Flat Rate") for _ in range(150)]
    # the run dies right after storing the first 100: UltraCart fails the acknowledgement past every retry
    sb.faults.fail_next("PUT", "/acknowledgements", 500, times=3)
    with pytest.raises(ConnectorError):
        import_orders(uc_world.connection, uc_world.connection.store.connector())
    stored = set(Order.objects.filter(connection=uc_world.connection).values_list("external_id", flat=True))
    assert stored == set(ids[:100])  # stored first...
    assert sb.store.queues["RIVER"] == ids  # ...and not acknowledged: UltraCart delivers them again

    counts = import_orders(uc_world.connection, uc_world.connection.store.connector())
    assert counts == {"fetched": 150, "new": 50}  # the re-delivered 100 are no-ops, then acknowledged
    assert Order.objects.filter(connection=uc_world.connection).count() == 150
    assert sb.store.queues["RIVER"] == []


def test_checklist_lists_imported_skus_the_warehouse_never_reported(uc_world):
    sb = _uc(uc_world)
    sb.store.add_item("NEW-GADGET", "New gadget", "5.00")
    sb.store.place_order([("LANTERN-300", 1), ("NEW-GADGET", 2)], "Flat Rate")
    sb.store.place_order([("MUG-ENML-01", 1)], "Flat Rate")
    import_orders(uc_world.connection, uc_world.connection.store.connector())
    # LANTERN-300 and MUG-ENML-01 are in the warehouse's stock reports (demo.build pulled them)
    assert unknown_skus(uc_world.connection) == ["NEW-GADGET"]
    item = checklist_item(uc_world.connection)
    assert item["label"] == "UltraCart SKUs must match the warehouse's SKUs." and not item["ok"]
    assert "NEW-GADGET" in item["detail"]


def test_demo_check_passes_on_ultracart(tmp_path):
    env = {**os.environ, "DOCKLINE_HOME": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "dockline.cli", "demo", "--check", "--platform", "ultracart", "--orders", "20",
         "--timeout", "120"], capture_output=True, text=True, env=env, timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check passed: 20 orders: 20 reached the warehouse (0 more than once)" in result.stdout
    assert "posted to the store (0 twice), 20 closed, stock matches for 7/7 SKUs" in result.stdout
